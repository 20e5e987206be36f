/**
 * R1 process kills: a child process writes synced batches (and unsynced puts, with flushes and
 * compactions on its worker threads) and is SIGKILLed at a random moment; after each restart every
 * acknowledged batch is present and no batch is torn. KILL_ROUNDS widens the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { killRound } from '../../src/cli/qa.js';
import { tmpDirFor } from '../support/tmp-dir.js';

const ROUNDS = Number(process.env.KILL_ROUNDS ?? 4);

test(
  'SIGKILL at random moments loses no acknowledged batch and tears none',
  { timeout: 300_000 },
  async (t) => {
    const dir = tmpDirFor(t);
    const cli = fileURLToPath(new URL('../../src/cli/shale.js', import.meta.url));
    let acked = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const r = await killRound(dir, cli, round);
      assert.ok(r.ok, r.detail);
      acked += Number(/^(\d+)/.exec(r.detail)![1]);
    }
    t.diagnostic(
      `figures ${JSON.stringify({ kills: ROUNDS, acknowledgedBatches: acked, lost: 0, torn: 0 })}`,
    );
  },
);
