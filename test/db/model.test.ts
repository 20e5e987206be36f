/**
 * Model-based property test: random sequences of puts, deletes, batches, snapshots, bounded iterators
 * in both directions, cursor walks, flushes and reopens, compared with a sorted map. SHALE_SEED fixes
 * fast-check's seed and MODEL_RUNS the sequences per option set; a failure names both and the rerun.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DB, WriteBatch, MemFileSystem, NodeFileSystem } from '../../src/index.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';
import type { Snapshot } from '../../src/index.js';
import { Model } from '../support/model.js';
import { toHex } from '../../src/util/bytes.js';

const keyArb = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      ...['a', 'b', 'c', 'ab', 'abc', 'b\0', 'z'].map((s) => new TextEncoder().encode(s)),
    ),
  },
  {
    weight: 3,
    arbitrary: fc
      .uint8Array({ minLength: 0, maxLength: 4 })
      .map((b) => b.map((x) => [0, 1, 0x7f, 0xfe, 0xff][x % 5]!)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 40 }) },
);
const valueArb = fc.oneof(
  { weight: 10, arbitrary: fc.uint8Array({ maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 40000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
  },
);

type Op =
  | { t: 'put'; k: Uint8Array; v: Uint8Array }
  | { t: 'del'; k: Uint8Array }
  | { t: 'batch'; ops: { k: Uint8Array; v?: Uint8Array }[] }
  | { t: 'get'; k: Uint8Array; snap: number }
  | { t: 'snap' }
  | { t: 'release'; i: number }
  | {
      t: 'scan';
      lo?: Uint8Array;
      hi?: Uint8Array;
      loInc: boolean;
      hiInc: boolean;
      reverse: boolean;
      limit: number;
      snap: number;
    }
  | { t: 'cursor'; seek: Uint8Array; moves: boolean[]; snap: number }
  | { t: 'flush' }
  | { t: 'compact'; lo?: Uint8Array; hi?: Uint8Array }
  | { t: 'reopen' }
  | { t: 'gc'; ratio: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('put' as const), k: keyArb, v: valueArb }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('del' as const), k: keyArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('batch' as const),
      ops: fc.array(fc.record({ k: keyArb, v: fc.option(valueArb, { nil: undefined }) }), { maxLength: 8 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('get' as const), k: keyArb, snap: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('snap' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), i: fc.nat(5) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('scan' as const),
      lo: fc.option(keyArb, { nil: undefined }),
      hi: fc.option(keyArb, { nil: undefined }),
      loInc: fc.boolean(),
      hiInc: fc.boolean(),
      reverse: fc.boolean(),
      limit: fc.oneof(fc.constant(-1), fc.nat(5)),
      snap: fc.nat(5),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('cursor' as const),
      seek: keyArb,
      moves: fc.array(fc.boolean(), { maxLength: 8 }),
      snap: fc.nat(5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('flush' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('compact' as const),
      lo: fc.option(keyArb, { nil: undefined }),
      hi: fc.option(keyArb, { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reopen' as const) }) },
  // Value-log garbage collection (a no-op without the value log); ratio 1 rewrites any garbage.
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('gc' as const), ratio: fc.constantFrom(0.5, 1) }),
  },
);

const SEED = process.env.SHALE_SEED ?? process.env.SEED;
const RUNS = Number(process.env.MODEL_RUNS ?? 60);
const LENGTH = Number(process.env.MODEL_LENGTH ?? 120);

/** modelOps counts the operations checked against the model (the stress figure `modelOps`). */
let modelOps = 0;

const hex = (e: [Uint8Array, Uint8Array][]): string[] => e.map(([k, v]) => `${toHex(k)}=${toHex(v)}`);
const eq = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : Buffer.compare(a, b) === 0;

/** sameEntries compares entry lists byte for byte; the hex rendering is only built for a failure. */
function sameEntries(
  got: [Uint8Array, Uint8Array][],
  want: [Uint8Array, Uint8Array][],
  what: string | (() => string),
): void {
  if (got.length === want.length && got.every(([k, v], i) => eq(k, want[i]![0]) && eq(v, want[i]![1])))
    return;
  assert.deepEqual(hex(got), hex(want), typeof what === 'string' ? what : what());
}

async function run(ops: Op[], options: Record<string, unknown>, onDisk = false): Promise<void> {
  const fs = onDisk ? new NodeFileSystem() : new MemFileSystem();
  const dir = onDisk ? makeTmpDir('shale-model-') : '/db';
  let db = await DB.open(dir, { fs, ...options });
  const model = new Model();
  // Snapshots: [engine snapshot, frozen model]; index 0 means "no snapshot".
  let snaps: [Snapshot, Model][] = [];
  const at = (i: number): [Snapshot | undefined, Model] => {
    if (i === 0 || snaps.length === 0) return [undefined, model];
    const s = snaps[(i - 1) % snaps.length]!;
    return [s[0], s[1]];
  };
  try {
    for (const op of ops) {
      modelOps++;
      switch (op.t) {
        case 'put':
          db.put(op.k, op.v);
          model.put(op.k, op.v);
          break;
        case 'del':
          db.delete(op.k);
          model.delete(op.k);
          break;
        case 'batch': {
          const b = new WriteBatch();
          for (const o of op.ops) {
            if (o.v === undefined) {
              b.delete(o.k);
              model.delete(o.k);
            } else {
              b.put(o.k, o.v);
              model.put(o.k, o.v);
            }
          }
          db.write(b);
          break;
        }
        case 'get': {
          const [snap, m] = at(op.snap);
          const got = db.get(op.k, { snapshot: snap });
          const want = m.get(op.k);
          if (!eq(got, want)) assert.deepEqual(got && toHex(got), want && toHex(want), `get ${toHex(op.k)}`);
          break;
        }
        case 'snap':
          snaps.push([db.snapshot(), model.clone()]);
          break;
        case 'release':
          if (snaps.length > 0) {
            const [s] = snaps.splice(op.i % snaps.length, 1)[0]!;
            s.release();
          }
          break;
        case 'scan': {
          const [snap, m] = at(op.snap);
          const bounds: Record<string, Uint8Array> = {};
          if (op.lo) bounds[op.loInc ? 'gte' : 'gt'] = op.lo;
          if (op.hi) bounds[op.hiInc ? 'lte' : 'lt'] = op.hi;
          let want = m.range(bounds);
          if (op.reverse) want.reverse();
          if (op.limit >= 0) want = want.slice(0, op.limit);
          const got = [...db.iterator({ ...bounds, reverse: op.reverse, limit: op.limit, snapshot: snap })];
          sameEntries(got, want, () => `scan ${JSON.stringify(op)}`);
          break;
        }
        case 'cursor': {
          const [snap, m] = at(op.snap);
          const all = m.range();
          const it = db.iterator({ snapshot: snap });
          it.seek(op.seek);
          let pos = all.findIndex(([k]) => Buffer.compare(k, op.seek) >= 0);
          if (pos < 0) pos = all.length;
          for (const fwd of [...op.moves, true]) {
            if (pos >= 0 && pos < all.length) {
              assert.ok(it.valid());
              if (!eq(it.key(), all[pos]![0]) || !eq(it.value(), all[pos]![1]))
                sameEntries([[it.key(), it.value()]], [all[pos]!], () => `cursor ${JSON.stringify(op)}`);
            } else {
              assert.equal(it.valid(), false);
              break;
            }
            if (fwd) {
              it.next();
              pos++;
            } else {
              it.prev();
              pos--;
            }
          }
          it.close();
          break;
        }
        case 'flush':
          await db.flush();
          break;
        case 'compact':
          await db.compactRange(op.lo, op.hi);
          break;
        case 'gc':
          await db.collectGarbage({ gcRatio: op.ratio });
          break;
        case 'reopen':
          for (const [s] of snaps) s.release();
          snaps = [];
          await db.close();
          db = await DB.open(dir, { fs, ...options });
          break;
      }
    }
    // Final full comparison both ways, then after a reopen.
    sameEntries([...db.iterator()], model.range(), 'final scan');
    sameEntries([...db.iterator({ reverse: true })], model.range().reverse(), 'final reverse scan');
    await db.close();
    db = await DB.open(dir, { fs, ...options });
    sameEntries([...db.iterator()], model.range(), 'scan after reopen');
  } finally {
    await db.close();
    if (onDisk) removeTmpDir(dir);
  }
}

/** TINY_LEVELS makes every level fill up within a short test: the compaction configuration. */
const TINY_LEVELS = {
  writeBufferSize: 1024,
  maxFileSize: 1024,
  level1MaxBytes: 4096,
  l0CompactionTrigger: 2,
  l0SlowdownWritesTrigger: 3,
  l0StopWritesTrigger: 4,
  blockSize: 128,
};

const CONFIGS: [string, Record<string, unknown>][] = [
  ['tiny levels: every level compacts', TINY_LEVELS],
  ['tiny levels, no compression, no bloom', { ...TINY_LEVELS, compression: 'none', bloomBitsPerKey: 0 }],
  ['defaults', {}],
  [
    'tiny buffers and blocks',
    { writeBufferSize: 1024, blockSize: 64, blockRestartInterval: 1, compression: 'none' },
  ],
  ['no bloom, snappy, small blocks', { writeBufferSize: 4096, blockSize: 256, bloomBitsPerKey: 0 }],
  ['reuse logs, no block cache', { writeBufferSize: 2048, reuseLogs: true, blockCacheSize: 0 }],
  // Key-value separation: values of 16 bytes and more (most large ones, some small) in the value log.
  ['value log, tiny levels', { ...TINY_LEVELS, valueLog: { minValueSize: 16, segmentSize: 4096 } }],
  ['value log, defaults, no value cache', { valueLog: { minValueSize: 1000, cacheSize: 0 } }],
];

/**
 * check runs `runs` fast-check sequences through `run` and prints the figures; a failure names the
 * option set, fast-check's seed and path, and the command that repeats it.
 */
async function check(
  t: { diagnostic(msg: string): void },
  name: string,
  runs: number,
  body: (ops: Op[]) => Promise<void>,
): Promise<void> {
  const before = modelOps;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: LENGTH, size: 'max' }), body),
      {
        numRuns: runs,
        seed: SEED === undefined ? undefined : Number(SEED),
      },
    );
  } catch (err) {
    const seed = SEED ?? /seed: (-?\d+)/.exec(String(err))?.[1] ?? '?';
    throw new Error(
      `model (${name}), seed ${seed}: ${(err as Error).message}\nrerun: SHALE_SEED=${seed} MODEL_RUNS=${RUNS} ` +
        `node --test --test-name-pattern=${JSON.stringify(name)} build/test/db/model.test.js`,
      { cause: err },
    );
  }
  t.diagnostic(`figures ${JSON.stringify({ config: name, sequences: runs, modelOps: modelOps - before })}`);
}

test('the engine agrees with a sorted-map model (tiny levels, worker jobs on disk)', async (t) => {
  await check(t, 'tiny levels, worker jobs on disk', Math.ceil(RUNS / 3), (ops) =>
    run(ops, TINY_LEVELS, true),
  );
});

test('the engine agrees with a sorted-map model (three immutable memtables, worker jobs on disk)', async (t) => {
  // Synchronous writes outrun the flush worker, so reads, iterators and snapshots meet several
  // immutable memtables waiting for their flush.
  await check(t, 'three immutable memtables, worker jobs on disk', Math.ceil(RUNS / 3), (ops) =>
    run(ops, { ...TINY_LEVELS, maxImmutableMemTables: 3 }, true),
  );
});

test('the engine agrees with a sorted-map model (value log, tiny levels, worker jobs on disk)', async (t) => {
  await check(t, 'value log, tiny levels, worker jobs on disk', Math.ceil(RUNS / 3), (ops) =>
    run(ops, { ...TINY_LEVELS, valueLog: { minValueSize: 16 } }, true),
  );
});

for (const [name, options] of CONFIGS) {
  test(`the engine agrees with a sorted-map model (${name})`, async (t) => {
    await check(t, name, RUNS, (ops) => run(ops, options));
  });
}
