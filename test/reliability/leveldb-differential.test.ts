/**
 * R8: shale and LevelDB (classic-level) run the same random operation sequences; every read, scan
 * (both directions, with bounds) and the final contents after a reopen agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { DB, WriteBatch } from '../../src/index.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

type Op =
  | { t: 'put'; k: string; v: string }
  | { t: 'del'; k: string }
  | { t: 'batch'; ops: [string, string | null][] }
  | { t: 'get'; k: string }
  | { t: 'scan'; gte?: string; lt?: string; reverse: boolean; limit: number };

const key = fc.constantFrom('a', 'ab', 'b', 'b\u0000', 'c', 'cz', 'd', 'zz', '\u00ff', '');
const val = fc.string({ maxLength: 30 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), k: key, v: val }),
  fc.record({ t: fc.constant('del' as const), k: key }),
  fc.record({
    t: fc.constant('batch' as const),
    ops: fc.array(fc.tuple(key, fc.option(val, { nil: null })), { maxLength: 5 }),
  }),
  fc.record({ t: fc.constant('get' as const), k: key }),
  fc.record({
    t: fc.constant('scan' as const),
    gte: fc.option(key, { nil: undefined }),
    lt: fc.option(key, { nil: undefined }),
    reverse: fc.boolean(),
    limit: fc.oneof(fc.constant(-1), fc.nat(4)),
  }),
);

const SEED = process.env.SHALE_SEED;
const RUNS = Number(process.env.DIFF_RUNS ?? 40);

test('shale and LevelDB agree on the same operation sequences', { timeout: 3600_000 }, async (t) => {
  let run = 0;
  let compared = 0;
  await fc
    .assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }), async (ops) => {
        const root = makeTmpDir(`shale-diff-${run++}-`);
        const shale = await DB.open(`${root}/shale`, { writeBufferSize: 1024 });
        const ldb = new ClassicLevel<string, string>(`${root}/leveldb`);
        await ldb.open();
        const s = (u: Uint8Array | undefined): string | undefined =>
          u === undefined ? undefined : Buffer.from(u).toString();
        try {
          for (const o of ops) {
            compared++;
            if (o.t === 'put') {
              shale.put(o.k, o.v);
              await ldb.put(o.k, o.v);
            } else if (o.t === 'del') {
              shale.delete(o.k);
              await ldb.del(o.k);
            } else if (o.t === 'batch') {
              const b = new WriteBatch();
              for (const [k, v] of o.ops) {
                if (v === null) b.delete(k);
                else b.put(k, v);
              }
              shale.write(b);
              await ldb.batch(
                o.ops.map(([k, v]) =>
                  v === null ? { type: 'del' as const, key: k } : { type: 'put' as const, key: k, value: v },
                ),
              );
            } else if (o.t === 'get') {
              assert.equal(s(shale.get(o.k)), await ldb.get(o.k), `get ${JSON.stringify(o.k)}`);
            } else {
              const range = {
                ...(o.gte !== undefined && { gte: o.gte }),
                ...(o.lt !== undefined && { lt: o.lt }),
                reverse: o.reverse,
                limit: o.limit,
              };
              const mine = [...shale.iterator(range)].map(([k, v]) => [s(k), s(v)]);
              const theirs = await ldb.iterator(range).all();
              assert.deepEqual(mine, theirs, `scan ${JSON.stringify(o)}`);
            }
          }
          await shale.close();
          await ldb.close();
          const again = await DB.open(`${root}/shale`);
          const ldb2 = new ClassicLevel<string, string>(`${root}/leveldb`);
          await ldb2.open();
          assert.deepEqual(
            [...again.iterator()].map(([k, v]) => [s(k), s(v)]),
            await ldb2.iterator().all(),
          );
          await again.close();
          await ldb2.close();
        } finally {
          await shale.close();
          await ldb.close();
          removeTmpDir(root);
        }
      }),
      { numRuns: RUNS, seed: SEED === undefined ? undefined : Number(SEED) },
    )
    .catch((err: unknown) => {
      const seed = SEED ?? /seed: (-?\d+)/.exec(String(err))?.[1] ?? '?';
      throw new Error(
        `LevelDB differential, seed ${seed}: ${(err as Error).message}\nrerun: SHALE_SEED=${seed} DIFF_RUNS=${RUNS} node --test build/test/reliability/leveldb-differential.test.js`,
        { cause: err },
      );
    });
  t.diagnostic(`figures ${JSON.stringify({ sequences: RUNS, opsCompared: compared, divergences: 0 })}`);
});
