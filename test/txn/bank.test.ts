/**
 * The bank invariant under concurrency and crashes: concurrent async transfers (awaits between their
 * reads and writes) and readers summing every balance inside transactions; then kill -9 of a child
 * running synced transfers on the real disk, and power cuts on the fault file system. After each crash
 * every acknowledged synced transfer is present, none is half applied, and the balances agree with the
 * transfers recorded. TXN_KILL_ROUNDS and TXN_CRASH_POINTS widen the run (npm run stress).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { CRASH_MODES, FaultFileSystem } from '../support/fault-fs.js';
import { INITIAL_BALANCE, openAccounts, sumInside, transfer, verifyBank } from '../support/bank.js';
import { tmpDirFor } from '../support/tmp-dir.js';

const SEED = Number(process.env.SHALE_SEED ?? 20261207);
const KILL_ROUNDS = Number(process.env.TXN_KILL_ROUNDS ?? 3);
const CRASH_POINTS = Number(process.env.TXN_CRASH_POINTS ?? 12);

test('concurrent transfers keep the total in every snapshot; conflicts happen and are retried', async (t) => {
  for (const isolation of ['snapshot', 'serializable'] as const) {
    const db = await DB.open('/db', {
      fs: new MemFileSystem(),
      writeBufferSize: 8192,
      backgroundJobs: 'inline',
    });
    const n = 10;
    await openAccounts(db, n);
    let attempts = 0;
    let done = 0;
    let sums = 0;
    const pause = (): Promise<void> => new Promise((r) => setImmediate(r));
    const transfers = Array.from({ length: 8 }, async (_, w) => {
      const rnd = new Random(SEED + w);
      for (let i = 0; i < 40; i++) {
        await db.transact(
          async (tx) => {
            attempts++;
            await transfer(tx, n, rnd, `${w}-${i}`, pause);
          },
          { isolation, retries: 1000 },
        );
        done++;
      }
    });
    const readers = Array.from({ length: 3 }, async () => {
      while (done < 320) {
        const tx = db.transaction({ isolation });
        assert.equal(sumInside(tx), n * INITIAL_BALANCE);
        await pause();
        assert.equal(sumInside(tx), n * INITIAL_BALANCE, 'still the same snapshot after an await');
        await tx.commit();
        sums++;
      }
    });
    await Promise.all([...transfers, ...readers]);
    assert.equal(verifyBank(db), null);
    assert.ok(attempts > 320, `${isolation}: no conflict happened (${attempts} attempts for 320 transfers)`);
    t.diagnostic(`${isolation}: 320 transfers, ${attempts - 320} retried conflicts, ${sums} consistent sums`);
    await db.close();
  }
});

test(
  'kill -9 during synced transactional transfers loses no acknowledged transfer and tears none',
  { timeout: 300_000 },
  async (t) => {
    const dir = join(tmpDirFor(t), 'bank');
    const ackFile = join(tmpDirFor(t), 'acks');
    const child = fileURLToPath(new URL('../support/bank-child.js', import.meta.url));
    const acked = new Set<string>();
    const rnd = new Random(SEED);
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const p = spawn(process.execPath, [child, dir, ackFile, String(SEED + round)], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const start = Date.now();
      const before = acked.size;
      const readFile = (): string => {
        try {
          return readFileSync(ackFile, 'utf8');
        } catch {
          return '';
        }
      };
      while (!readFile().includes(`A ${SEED + round}-`) && p.exitCode === null && Date.now() - start < 60_000)
        await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50 + rnd.uniform(500)));
      p.kill('SIGKILL');
      await new Promise((r) => p.on('exit', r));
      for (const l of readFile().split('\n')) if (l.startsWith('A ')) acked.add(l.slice(2));
      assert.ok(acked.size > before, `round ${round} (seed ${SEED + round}): the child acknowledged nothing`);
      const db = await DB.open(dir);
      const problem = verifyBank(db, acked);
      await db.close();
      assert.equal(
        problem,
        null,
        `after kill round ${round} (rerun: SHALE_SEED=${SEED} npm test -- txn/bank)`,
      );
    }
    t.diagnostic(
      `figures ${JSON.stringify({ txnKills: KILL_ROUNDS, acknowledgedTransfers: acked.size, lost: 0, torn: 0 })}`,
    );
  },
);

test(
  'power cuts during synced transfers keep every acknowledged transfer whole',
  { timeout: 300_000 },
  async (t) => {
    const rnd = new Random(SEED);
    let images = 0;
    for (let point = 0; point < CRASH_POINTS; point++) {
      const fs = new FaultFileSystem();
      fs.mkdir('/db');
      const opts = {
        writeBufferSize: 4096,
        maxFileSize: 8192,
        level1MaxBytes: 32768,
        backgroundJobs: 'inline' as const,
      };
      const db = await DB.open('/db', { fs, ...opts });
      await openAccounts(db, 20);
      const acked: string[] = [];
      const synced: string[] = [];
      const stopAt = 20 + rnd.uniform(200);
      let stop = false;
      const pause = (): Promise<void> => new Promise((r) => setImmediate(r));
      const img = await new Promise<FaultFileSystem>((resolve) => {
        const workers = Array.from({ length: 6 }, async (_, w) => {
          const wr = new Random(SEED * 7 + point * 31 + w);
          for (let i = 0; !stop; i++) {
            const id = `${point}-${w}-${i}`;
            try {
              await db.transact((tx) => transfer(tx, 20, wr, id, pause), {
                sync: wr.oneIn(4) === false,
                retries: 1000,
              });
            } catch (e) {
              if ((e as { code?: string }).code === ErrorCode.CLOSED) return;
              throw e;
            }
            if (stop) return;
            acked.push(id);
            if (acked.length >= stopAt) {
              stop = true;
              // The cut: whatever is not on disk now is gone (or, in the other modes, partly kept).
              resolve(fs.crashImage(CRASH_MODES[point % CRASH_MODES.length]!, rnd));
            }
          }
        });
        void Promise.all(workers);
      });
      // Only synced commits are promised to survive; an unsynced commit acknowledged before the last synced
      // one is durable too (the log is written in order), so require the synced ones.
      await db.close().catch(() => undefined);
      const again = await DB.open('/db', { fs: img, ...opts }).catch((e: unknown) => {
        assert.fail(
          `point ${point} (${CRASH_MODES[point % CRASH_MODES.length]}, seed ${SEED}): image does not open: ${String(e)}`,
        );
      });
      images++;
      const problem = verifyBank(again, synced);
      await again.close();
      assert.equal(
        problem,
        null,
        `point ${point} (${CRASH_MODES[point % CRASH_MODES.length]}, seed ${SEED})`,
      );
    }
    t.diagnostic(`figures ${JSON.stringify({ txnCrashImages: images, torn: 0 })}`);
  },
);
