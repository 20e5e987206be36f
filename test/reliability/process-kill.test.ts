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
