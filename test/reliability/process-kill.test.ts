/**
 * R1 process kills: children run the randomized workload of kill-workload.ts (puts, deletes, batches,
 * group-commit windows, reads, flushes and compactions; random options, sync fraction, worker or inline
 * jobs) and are SIGKILLed at random moments, some during recovery; each directory lives through
 * several kills. After every kill the database must open and hold exactly the state after a prefix of
 * the operations that includes every acknowledged one, synced or not (the OS holds them).
 * SHALE_SEED, KILL_ROUNDS (kills) and KILL_LANES (parallel children) set the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKillTest } from '../support/kill-harness.js';
import { judgeKill } from '../support/kill-oracle.js';
import { KillOps, applyKillOp } from '../support/kill-workload.js';
import type { KillOp } from '../support/kill-workload.js';

const SEED = Number(process.env.SHALE_SEED ?? 20261207);
const KILLS = Number(process.env.KILL_ROUNDS ?? 12);
const LANES = Number(process.env.KILL_LANES ?? 2);

test(
  'SIGKILL at random moments loses no acknowledged write and leaves a prefix',
  { timeout: 24 * 3600_000 },
  async (t) => {
    const figures = await runKillTest({
      seed: SEED,
      kills: KILLS,
      lanes: LANES,
      chain: 25,
      rerun: `SHALE_SEED=${SEED} KILL_ROUNDS=${KILLS} KILL_LANES=${LANES} node --test build/test/reliability/process-kill.test.js`,
    });
    t.diagnostic(`figures ${JSON.stringify({ seed: SEED, ...figures })}`);
    assert.equal(figures.kills, KILLS);
    assert.ok(figures.ackedOps > 0, 'the children acknowledged no operation');
  },
);

/**
 * Seeds that once failed, kept as fixed cases (lane 0 of each, which the seed determines):
 * - 1615814513: a kill before the child had made its directory (a harness bug);
 * - 159062137: lane 0 round 16 lost writes recovered with reuseLogs (the engine bug in
 *   regressions.test.ts);
 * - 20261207, the default seed above: a kill before the write in flight landed (a harness bug).
 */
const FAILED_SEEDS: readonly [seed: number, kills: number][] = [
  [1615814513, 2],
  [159062137, 17],
];

for (const [seed, kills] of FAILED_SEEDS) {
  test(`process kills with seed ${seed}, which once failed`, async () => {
    const figures = await runKillTest({
      seed,
      kills,
      lanes: 1,
      chain: 25,
      rerun: `node --test --test-name-pattern=${seed} build/test/reliability/process-kill.test.js`,
    });
    assert.equal(figures.kills, kills);
  });
}

test('the kill oracle accepts exactly the states a kill may leave', () => {
  const seed = 7;
  const base = new Map([['k0001', 'k0001#0.0#']]);
  const gen = new KillOps(seed);
  const ops: KillOp[] = Array.from({ length: 400 }, () => gen.next());
  const after = (n: number, extra?: (m: Map<string, string>) => void): Map<string, string> => {
    const m = new Map(base);
    for (let i = 0; i < n; i++) applyKillOp(m, ops[i]!);
    extra?.(m);
    return m;
  };
  // A batch (several distinct keys) and a group-commit window of several batches, each as the op in flight.
  const distinct = (b: [string, string | null][]): boolean => new Set(b.map(([k]) => k)).size > 1;
  const b = ops.findIndex((o) => o.t === 'batch' && distinct(o.ops) && o.ops.some(([, v]) => v !== null));
  // A window whose first batch puts a key no later batch of the window touches.
  const w = ops.findIndex(
    (o) =>
      o.t === 'async' &&
      o.ops.length > 2 &&
      o.ops[0]!.some(([k, v]) => v !== null && !o.ops.slice(1).some((x) => x.some(([k2]) => k2 === k))),
  );
  const write = ops.findIndex((o, i) => i > 0 && o.t === 'put');
  assert.ok(b > 0 && w > 0 && write > 0, 'the stream has a batch, a window and a put');
  const batch = ops[b] as Extract<KillOp, { t: 'batch' }>;
  const win = ops[w] as Extract<KillOp, { t: 'async' }>;

  assert.equal(judgeKill(after(b), base, seed, b, b).ok, true, 'exactly the acknowledged ops');
  assert.equal(judgeKill(after(b), base, seed, b + 1, b).ok, true, 'the op in flight did not land');
  assert.equal(judgeKill(after(b + 1), base, seed, b + 1, b).ok, true, 'the op in flight landed');
  const v = judgeKill(after(write), base, seed, write + 1, write + 1);
  assert.deepEqual(v.ok ? 'ok' : v.kind, 'lost', 'an acknowledged put is missing');
  // Half a batch: its first write landed, the rest did not.
  const torn = after(b, (m) => {
    const [k, val] = batch.ops.find(([, x]) => x !== null)!;
    m.set(k, val!);
  });
  const tv = judgeKill(torn, base, seed, b + 1, b);
  assert.deepEqual(tv.ok ? 'ok' : tv.kind, 'torn', 'a torn batch');
  // A window in flight commits a prefix of its batches, never a later one without an earlier one.
  const part = after(w, (m) => applyKillOp(m, win, 2));
  assert.equal(judgeKill(part, base, seed, w + 1, w).ok, true, 'two batches of the window landed');
  const skipped = after(w, (m) => applyKillOp(m, { ...win, ops: win.ops.slice(1) }));
  assert.equal(judgeKill(skipped, base, seed, w + 1, w).ok, false, 'a window missing its first batch');
  // A wrong value under an acknowledged key.
  const wrong = after(b, (m) => m.set('k0001', 'k0001#9.9#'));
  assert.equal(judgeKill(wrong, base, seed, b, b).ok, false, 'a value nobody wrote');
});
