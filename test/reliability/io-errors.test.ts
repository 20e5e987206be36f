/**
 * R9/R10 I/O errors: EIO, ENOSPC or EROFS injected at the k-th append, sync, create, rename, syncDir and read
 * of a workload. The error must reach a caller (never swallowed), no write may be acknowledged after a
 * failed fsync (no retry-then-ack), and once the fault clears a reopen holds every durable write and a
 * prefix of the operations. SHALE_SEED widens the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, ErrorCode } from '../../src/index.js';
import { FaultFileSystem, type Op } from '../support/fault-fs.js';
import { TINY, dump, makeWorkload, prefixLength, runWorkload } from '../support/crash-workload.js';

const SEED = Number(process.env.SHALE_SEED ?? 777);
const OPS = 300;
const STEPS = Number(process.env.IO_ERROR_STEPS ?? 6);

test(
  'injected I/O errors are reported, never acknowledged past, and leave a recoverable database',
  { timeout: 600_000 },
  async (t) => {
    const figures = { injected: 0, unreported: 0, ackAfterFailedSync: 0, reopened: 0 };
    let firstBad = '';
    const ops = makeWorkload(SEED, OPS);
    const base = new FaultFileSystem();
    base.mkdir('/db');
    const b = await DB.open('/db', { fs: base, ...TINY });
    await runWorkload(b, ops);
    await b.close();
    const kinds: [Op, RegExp | undefined][] = [
      ['append', /\.log$/],
      ['append', /\.ldb$/],
      ['append', /MANIFEST/],
      ['sync', /\.log$/],
      ['sync', /\.ldb$/],
      ['sync', /MANIFEST/],
      ['create', undefined],
      ['rename', undefined],
      ['syncDir', undefined],
      ['read', /\.ldb$/],
    ];
    for (const [op, path] of kinds) {
      const total = base.counts[op];
      for (let s = 1; s <= STEPS; s++) {
        const nth = Math.floor((s * total) / (STEPS + 1));
        for (const errno of ['EIO', 'ENOSPC', 'EROFS'] as const) {
          const fs = new FaultFileSystem();
          fs.mkdir('/db');
          const fault = { op, path, nth, errno };
          const what = `seed ${SEED}, ${errno} at ${op} #${nth} ${path ?? ''} (rerun: SHALE_SEED=${SEED} IO_ERROR_STEPS=${STEPS} node --test build/test/reliability/io-errors.test.js)`;
          fs.faults = [fault];
          const db = await DB.open('/db', { fs, ...TINY }).catch((e: unknown) => e);
          if (!(db instanceof DB)) continue; // failed at open: reported to the caller
          const log = await runWorkload(db, ops);
          if (!fs.faults[0]!.fired) {
            await db.close();
            continue;
          }
          figures.injected++;
          if (log.error === undefined) {
            // Reads may fail and be retried (tables are immutable); a write path failure must surface.
            if (op !== 'read') {
              figures.unreported++;
              firstBad ||= `${what}: no call reported the error`;
            }
          } else if (op === 'sync' || op === 'append') {
            // After a failed write or fsync the database accepts no more writes.
            try {
              db.put('after-failure', 'x', { sync: true });
              figures.ackAfterFailedSync++;
              firstBad ||= `${what}: a sync write was acknowledged after the failure`;
            } catch (err) {
              assert.ok(
                (err as { code?: string }).code === ErrorCode.BACKGROUND,
                `${what}: a write after the failure fails with ${String(err)}, not the background error`,
              );
            }
          }
          await db.close().catch(() => undefined);
          fs.faults = [];
          const again = await DB.open('/db', { fs, ...TINY }).catch((e: unknown) => {
            assert.fail(`${what}: the database no longer opens: ${String(e)}`);
          });
          const state = dump(again);
          await again.close();
          figures.reopened++;
          const L = prefixLength(state, ops, log.durable, log.attempted);
          assert.ok(L >= 0, `${what}: not a prefix in [${log.durable}, ${log.attempted}]`);
        }
      }
    }
    t.diagnostic(`figures ${JSON.stringify(figures)}`);
    assert.equal(figures.unreported, 0, firstBad);
    assert.equal(figures.ackAfterFailedSync, 0, firstBad);
    assert.ok(figures.injected > 50);
  },
);
