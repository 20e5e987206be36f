/**
 * R3/R4 power cuts (and R13, a cut during recovery): the workload is cut at many points, including
 * inside flushes, compactions and MANIFEST rotations; each crash image (unsynced data dropped, a random
 * prefix of it kept, all of it kept) must open, keep every operation acknowledged as durable, and hold
 * exactly a prefix of the operations. Further images keep random unsynced 4 KiB blocks (the rest zeros)
 * or end in garbage or zeros. SHALE_SEED and CRASH_POINTS widen the run (npm run stress).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { CRASH_MODES, FaultFileSystem } from '../support/fault-fs.js';
import { TINY, dump, makeWorkload, prefixLength, runWorkload } from '../support/crash-workload.js';

const SEED = Number(process.env.SHALE_SEED ?? 20261123);
const POINTS = Number(process.env.CRASH_POINTS ?? 40);
const OPS = Number(process.env.CRASH_OPS ?? 300);
const RERUN = `rerun: SHALE_SEED=${SEED} CRASH_POINTS=${POINTS} CRASH_OPS=${OPS} node --test build/test/reliability/power-cut.test.js`;

/** figures the stress script reads (printed as a diagnostic line). */
const figures = {
  crashImagesOpened: 0,
  prefixViolations: 0,
  ackedLost: 0,
  recoveryCrashes: 0,
  /** crashesInGc: crash points that fell inside a value-log garbage collection. */
  crashesInGc: 0,
};

/**
 * VLOG: the same runs with about half the values in value-log segments (small segments, many files),
 * separated at write time: WAL records point into the open segment, whose unsynced tail a cut drops.
 */
const VLOG = {
  valueLog: { minValueSize: 40, segmentSize: 1024, backgroundGc: false, separateAt: 'write' as const },
};
/** VLOG_FLUSH: VLOG with values separated by flushes and compactions (segments written whole). */
const VLOG_FLUSH = { valueLog: { ...VLOG.valueLog, separateAt: 'flush' as const } };
/** VLOG_GC: VLOG with value-log garbage collections mixed into the workload (crash images during GC). */
const VLOG_GC = { ...VLOG };
/**
 * LAGGING: flushes start late (FaultFileSystem.delayFlushes), so writes go to the new log while the old
 * one, not fsynced at the memtable switch, still awaits its flush: cuts there leave an older log short
 * next to a newer one holding later writes (the chain marker's case).
 */
const LAGGING = {};

async function crashRun(
  seed: number,
  crashAt: number,
  extra: Record<string, unknown> = {},
): Promise<{
  fs: FaultFileSystem;
  log: Awaited<ReturnType<typeof runWorkload>>;
  ops: ReturnType<typeof makeWorkload>;
  gcDropped: number;
}> {
  const ops = makeWorkload(seed, OPS, extra === VLOG_GC);
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.crashAt = crashAt;
  fs.delayFlushes = extra === LAGGING;
  let db: DB;
  try {
    db = await DB.open('/db', { fs, ...TINY, ...extra });
  } catch {
    return { fs, log: { attempted: 0, durable: 0, error: 'open' }, ops, gcDropped: 0 };
  }
  const log = await runWorkload(db, ops);
  let gcDropped = 0;
  for (const h of db.gc?.history ?? []) gcDropped += h.segmentsDropped;
  if (!fs.crashed) await db.close();
  return { fs, log, ops, gcDropped };
}

async function check(
  img: FaultFileSystem,
  ops: ReturnType<typeof makeWorkload>,
  min: number,
  max: number,
  what: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  let db: DB;
  try {
    db = await DB.open('/db', { fs: img, ...TINY, ...extra });
  } catch (err) {
    throw new Error(
      `seed ${SEED}, ${what}: the crash image does not open: ${(err as Error).message}\n${RERUN}`,
      { cause: err },
    );
  }
  figures.crashImagesOpened++;
  const state = dump(db);
  await db.close();
  const L = prefixLength(state, ops, min, max);
  if (L < 0) {
    figures.prefixViolations++;
    const anyPrefix = prefixLength(state, ops, 0, max);
    if (anyPrefix >= 0 && anyPrefix < min) figures.ackedLost++;
  }
  assert.ok(L >= 0, `seed ${SEED}, ${what}: recovered state is not a prefix in [${min}, ${max}]\n${RERUN}`);
}

for (const [name, extra] of [
  ['', {}],
  [' (value log: segments written by flushes and compactions)', VLOG_FLUSH],
  [' (value log: segments written at write time)', VLOG],
  [' (value log with garbage collection)', VLOG_GC],
  [' (flushes lagging behind memtable switches)', LAGGING],
] as const) {
  test(
    `power cuts at many points keep every durable write and leave a prefix${name}`,
    { timeout: 600_000 },
    async (t) => {
      const base = await crashRun(SEED, Infinity, extra);
      assert.equal(
        base.log.error,
        undefined,
        `seed ${SEED}: the workload fails without a crash: ${String(base.log.error)}`,
      );
      const total = base.fs.ops;
      if (extra === VLOG || extra === VLOG_FLUSH)
        assert.ok(
          base.fs.list('/db').some((n) => n.endsWith('.vlog')),
          'the workload writes segments',
        );
      assert.ok(
        base.fs.counts.syncDir > 5 && base.fs.counts.rename > 2,
        'the workload exercises flushes and MANIFEST rotation',
      );
      const rnd = new Random(SEED);
      const points = new Set<number>();
      for (let i = 1; i <= POINTS; i++) points.add(Math.floor((i * total) / (POINTS + 1)));
      for (let i = 0; i < POINTS / 2; i++) points.add(1 + rnd.uniform(total));
      for (const k of points) {
        const { fs, log, ops } = await crashRun(SEED, k, extra);
        if (!fs.crashed) continue;
        for (const mode of CRASH_MODES) {
          const img = fs.crashImage(mode, new Random(k));
          await check(img, ops, log.durable, log.attempted, `crash at op ${k}/${total} (${mode})`, extra);
        }
        // R13: the power goes out again while recovering from this image.
        const img = fs.crashImage('randomPrefix', new Random(k + 1));
        const probe = img.snapshotAll();
        const before = probe.ops;
        await DB.open('/db', { fs: probe, ...TINY, ...extra }).then(
          (d) => d.close(),
          (e: unknown) =>
            assert.fail(
              `seed ${SEED}, crash at op ${k} (randomPrefix): the image does not open: ${String(e)}\n${RERUN}`,
            ),
        );
        const recoveryOps = probe.ops - before;
        const cut = img.snapshotAll();
        cut.crashAt = 1 + new Random(k + 2).uniform(Math.max(1, recoveryOps));
        await DB.open('/db', { fs: cut, ...TINY, ...extra }).then(
          (d) => d.close(),
          () => undefined,
        );
        if (cut.crashed) {
          figures.recoveryCrashes++;
          await check(
            cut.crashImage('dropUnsynced'),
            ops,
            log.durable,
            log.attempted,
            `crash at op ${k}, then during recovery`,
            extra,
          );
        }
      }
      t.diagnostic(`figures ${JSON.stringify({ ...figures, crashPoints: points.size, totalOps: total })}`);
      assert.equal(figures.prefixViolations, 0, `seed ${SEED}\n${RERUN}`);
    },
  );
}
