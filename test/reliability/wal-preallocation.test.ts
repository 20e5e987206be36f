/**
 * Power cuts with preallocated (zero-filled) logs: many synced commits, alone and in groups, some
 * unsynced ones, logs rotating and, in some runs, reused at open. The power goes out at a random
 * operation; every crash image (FaultFS: overwritten sectors revert to zeros, torn at a sector
 * boundary or out of order; unsynced extensions lost) must open, hold every acknowledged synced write,
 * hold exactly a prefix of the commits in log order (nothing after a missing one, nothing not yet
 * issued), and never read zeros as data (every value names its key and commit). Then the recovered
 * database takes a synced write, and a second crash image of that keeps it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DB } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { CRASH_MODES, FaultFileSystem } from '../support/fault-fs.js';

// A fixed seed, as the other power-cut suites: FC_SEED varies it.
const SEED = Number(process.env.FC_SEED ?? 20261207);
const RUNS = Number(process.env.PREALLOC_RUNS ?? 40);

interface Commit {
  readonly key: string;
  readonly value: string;
}

interface Run {
  readonly seed: number;
  readonly chunk: number;
  readonly reuseLogs: boolean;
  readonly writeBufferSize: number;
  /** lagging: flushes start late, so older logs (with their zero tails) stay next to newer ones. */
  readonly lagging: boolean;
}

/** valueFor makes a self-verifying value of about `n` bytes for commit `i`. */
function valueFor(i: number, n: number): string {
  const head = `c${i}:`;
  return head + 'v'.repeat(Math.max(0, n - head.length - 2)) + `:${i % 10}`;
}

const keyOf = (i: number): string => `k${String(i).padStart(5, '0')}`;

/**
 * workload issues commits until the file system crashes: each step is one synced put on the caller,
 * a group of 2-5 concurrent synced putAsyncs (group commit), or a few unsynced puts. Returns the
 * commits in issue order (the write queue logs them in that order) and how many of them are
 * acknowledged durable: every commit up to the last acknowledged synced one.
 */
async function workload(db: DB, rnd: Random, commits: Commit[]): Promise<number> {
  let durable = 0;
  const next = (): Commit => {
    const i = commits.length;
    const size = rnd.oneIn(8) ? 2000 + rnd.uniform(40_000) : 20 + rnd.uniform(400);
    const c = { key: keyOf(i), value: valueFor(i, size) };
    commits.push(c);
    return c;
  };
  try {
    for (let step = 0; step < 400; step++) {
      const kind = rnd.uniform(10);
      if (kind < 5) {
        const c = next();
        db.put(c.key, c.value, { sync: true });
        durable = commits.length;
      } else if (kind < 8) {
        const group = 2 + rnd.uniform(4);
        const ps: Promise<void>[] = [];
        const ends: number[] = [];
        for (let g = 0; g < group; g++) {
          const c = next();
          ps.push(db.putAsync(c.key, c.value, { sync: true }));
          ends.push(commits.length);
        }
        const settled = await Promise.allSettled(ps);
        settled.forEach((s, g) => {
          if (s.status === 'fulfilled' && ends[g]! > durable) durable = ends[g]!;
        });
        if (settled.some((s) => s.status === 'rejected')) return durable;
      } else {
        for (let u = 1 + rnd.uniform(4); u > 0; u--) {
          const c = next();
          db.put(c.key, c.value);
        }
      }
      if (rnd.oneIn(4)) await new Promise<void>((r) => setImmediate(r));
    }
  } catch {
    // the power went out
  }
  return durable;
}

/** verify opens `img` and checks the recovered state against the commits; returns the open database. */
async function verify(
  img: FaultFileSystem,
  run: Run,
  commits: Commit[],
  durable: number,
  what: string,
  extra: Record<string, unknown> = {},
): Promise<DB> {
  let db: DB;
  try {
    db = await DB.open('/db', { fs: img, ...options(run), ...extra });
  } catch (err) {
    throw new Error(`${what}: the crash image does not open: ${(err as Error).message}`, { cause: err });
  }
  const present: number[] = [];
  for (const [k, v] of db.iterator()) {
    const key = fromUtf8(k);
    const i = Number(key.slice(1));
    assert.ok(key.startsWith('k') && i < commits.length, `${what}: unknown key ${key}`);
    assert.equal(fromUtf8(v), commits[i]!.value, `${what}: wrong value for ${key} (zeros read as data?)`);
    present.push(i);
  }
  present.sort((a, b) => a - b);
  const n = present.length;
  assert.ok(
    n === 0 || present[n - 1] === n - 1,
    `${what}: not a prefix: ${n} commits, last ${present[n - 1]}`,
  );
  assert.ok(n >= durable, `${what}: acknowledged synced writes lost: ${n} of ${durable} present`);
  return db;
}

function options(run: Run): Record<string, unknown> {
  return {
    walPreallocateSize: run.chunk,
    reuseLogs: run.reuseLogs,
    writeBufferSize: run.writeBufferSize,
    // No table work in the way of the log: flushes still happen, compactions rarely.
    l0CompactionTrigger: 8,
    l0SlowdownWritesTrigger: 100,
    l0StopWritesTrigger: 100,
  };
}

async function crashRun(
  run: Run,
  crashAt: number,
): Promise<{ fs: FaultFileSystem; commits: Commit[]; durable: number }> {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.delayFlushes = run.lagging;
  const db = await DB.open('/db', { fs, ...options(run) });
  fs.crashAt = fs.ops + crashAt;
  const commits: Commit[] = [];
  const durable = await workload(db, new Random(run.seed), commits);
  if (!fs.crashed) await db.close();
  return { fs, commits, durable };
}

const runArb = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  chunk: fc.constantFrom(32 * 1024, 64 * 1024, 1 << 20),
  reuseLogs: fc.boolean(),
  writeBufferSize: fc.constantFrom(64 * 1024, 512 * 1024, 4 << 20),
  lagging: fc.boolean(),
});

test('power cuts with preallocated logs keep every synced commit and a prefix, and read no zeros', async () => {
  const figures = { images: 0, reopened: 0, crashedRuns: 0, outOfOrderRefused: 0 };
  await fc.assert(
    fc.asyncProperty(runArb, fc.integer({ min: 1, max: 0x7fffffff }), async (run, cutSeed) => {
      // A dry run counts the operations, so the cut falls anywhere in the workload (drawn uniformly: a
      // fast-check number would favour the ends).
      const dry = await crashRun(run, Infinity);
      const crashAt = new Random(cutSeed).uniform(dry.fs.ops);
      const { fs, commits, durable } = await crashRun(run, crashAt);
      if (!fs.crashed) return;
      figures.crashedRuns++;
      for (const mode of CRASH_MODES) {
        const what = `crash at op ${crashAt}/${dry.fs.ops} (${mode}), run ${JSON.stringify(run)}`;
        const img = fs.crashImage(mode, new Random(run.seed ^ crashAt));
        let db: DB;
        let dbFs = img;
        try {
          db = await verify(img, run, commits, durable, what);
        } catch (err) {
          // Sectors of an unsynced group written back out of order can leave a later record intact
          // after a lost earlier one: damage in the middle, which the default mode refuses
          // (docs/wal.md, "known limit"); pointInTime must then recover a prefix with every synced commit.
          if (mode !== 'randomBlocks' || !/in the middle/.test(String(err))) throw err;
          figures.outOfOrderRefused++;
          dbFs = img.snapshotAll();
          db = await verify(dbFs, run, commits, durable, what, {
            walRecoveryMode: 'pointInTime',
          });
        }
        figures.images++;
        // The recovered database goes on: one more synced commit, then the power goes out again.
        const n = [...db.iterator()].length;
        const c = { key: keyOf(n), value: `${valueFor(n, 100)}:again` };
        const more = [...commits.slice(0, n), c];
        db.put(c.key, c.value, { sync: true });
        // Every log left is complete or ends in zeros: even absoluteConsistency opens it.
        const again = dbFs.crashImage('dropUnsynced');
        const db2 = await verify(again, run, more, more.length, `${what}, then a write and a second cut`, {
          walRecoveryMode: 'absoluteConsistency',
        });
        figures.reopened++;
        await db2.close();
        await db.close();
      }
    }),
    { seed: SEED, numRuns: RUNS, path: process.env.FC_PATH, verbose: 1 },
  );
  assert.ok(figures.crashedRuns > RUNS / 2, `most runs were cut: ${JSON.stringify(figures)}`);
  console.log(`# figures ${JSON.stringify(figures)} (FC_SEED=${SEED})`);
});

test('a preallocated log is trimmed at close and its zero tail is never reused as data', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  const db = await DB.open('/db', { fs, reuseLogs: true });
  for (let i = 0; i < 50; i++) db.put(keyOf(i), valueFor(i, 100), { sync: i % 10 === 9 });
  const log = fs.list('/db').find((n) => n.endsWith('.log'))!;
  assert.equal(fs.fileSize(`/db/${log}`), 1 << 20, 'zero-filled while open');
  const crashed = fs.crashImage('dropUnsynced');
  await db.close();
  assert.ok(fs.fileSize(`/db/${log}`) < 10_000, 'trimmed to its records at close');
  // Reopening the crash image reuses its log (zero tail and all) and goes on at its last record.
  const a = await DB.open('/db', { fs: crashed, reuseLogs: true });
  assert.equal([...a.iterator()].length, 50);
  assert.ok(crashed.list('/db').includes(log), 'the log is reused');
  a.put('after', 'reuse', { sync: true });
  const b = await DB.open('/db', {
    fs: crashed.crashImage('dropUnsynced'),
    walRecoveryMode: 'absoluteConsistency',
  });
  assert.equal([...b.iterator()].length, 51);
  await b.close();
  await a.close();
  // With preallocation turned off the zero tail is cut before appending.
  const off = await DB.open('/db', {
    fs: crashed.crashImage('keepAll'),
    reuseLogs: true,
    walPreallocateSize: 0,
  });
  off.put('off', 'x', { sync: true });
  await off.close();
});

test('walPreallocateSize is validated: 0 or a multiple of 32 KiB', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  await assert.rejects(DB.open('/db', { fs, walPreallocateSize: 1000 }), /walPreallocateSize/);
  const db = await DB.open('/db', { fs, walPreallocateSize: 0 });
  db.put('a', 'b', { sync: true });
  const log = fs.list('/db').find((n) => n.endsWith('.log'))!;
  assert.ok(fs.fileSize(`/db/${log}`) < 100, 'no zeros when off');
  await db.close();
});
