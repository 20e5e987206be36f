/**
 * R18: regressions, each found by the reliability battery, kept as direct tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { FaultFileSystem } from '../support/fault-fs.js';
import { TINY, dump, makeWorkload, prefixLength, runWorkload } from '../support/crash-workload.js';

test('a power cut while creating a database (MANIFEST written, CURRENT not) leaves a database that opens', async () => {
  const probe = new FaultFileSystem();
  probe.mkdir('/db');
  probe.trace = [];
  await (await DB.open('/db', { fs: probe })).close();
  const manifestSync = probe.trace.findIndex((l) => l.startsWith('sync /db/MANIFEST-000001'));
  const dirSync = probe.trace.findIndex((l, i) => i > manifestSync && l === 'syncDir /db');
  assert.ok(manifestSync > 0 && dirSync > manifestSync);
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.crashAt = dirSync + 2; // ops count the mkdir too: cut right after that directory sync
  await assert.rejects(DB.open('/db', { fs }));
  const img = fs.crashImage('keepAll');
  const db = await DB.open('/db', { fs: img });
  db.put('k', 'v');
  await db.close();
});

test('a power cut during recovery, after the new WAL exists, does not strand an older torn WAL', async () => {
  // Write, then leave an unsynced tail in the newest log.
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  const db = await DB.open('/db', { fs });
  db.put('durable', '1', { sync: true });
  db.put('maybe', '2');
  const img = fs.crashImage('garbageTail'); // the newest log ends in a torn record
  // Recover from the image, cutting the power at every step of recovery in turn.
  const steps = img.snapshotAll();
  const before = steps.ops;
  await (await DB.open('/db', { fs: steps })).close();
  const n = steps.ops - before;
  for (let k = 1; k <= n; k++) {
    const cut = img.snapshotAll();
    cut.crashAt = k;
    await DB.open('/db', { fs: cut }).then(
      (d) => d.close(),
      () => undefined,
    );
    const again = await DB.open('/db', { fs: cut.crashImage('dropUnsynced') });
    assert.equal(fromUtf8(again.get('durable')!), '1', `cut at recovery step ${k}`);
    await again.close();
  }
});

test('a failed directory fsync after CURRENT is renamed during a MANIFEST switch leaves a database that opens (issue 20)', async () => {
  // Find every directory fsync that directly follows a rename onto CURRENT.
  const probe = new FaultFileSystem();
  probe.mkdir('/db');
  probe.trace = [];
  const opts = { fs: probe, ...TINY, backgroundJobs: 'inline' as const };
  const ops = makeWorkload(777331, 300);
  const p = await DB.open('/db', opts);
  await runWorkload(p, ops);
  await p.close();
  const dirSyncs: number[] = [];
  let n = 0;
  for (let i = 0; i < probe.trace.length; i++) {
    if (!probe.trace[i]!.startsWith('syncDir')) continue;
    if (/^rename .*\/CURRENT$/.test(probe.trace[i - 1] ?? '')) dirSyncs.push(n);
    n++;
  }
  assert.ok(dirSyncs.length >= 3, `only ${dirSyncs.length} MANIFEST switches`);
  for (const nth of dirSyncs) {
    for (const errno of ['EIO', 'ENOSPC', 'EROFS'] as const) {
      const fault = `${errno} at syncDir #${nth} (seed 777331)`;
      const fs = new FaultFileSystem();
      fs.mkdir('/db');
      fs.faults = [{ op: 'syncDir', nth, errno }];
      const db = await DB.open('/db', { ...opts, fs }).catch((e: unknown) => e);
      if (!(db instanceof DB)) continue; // failed at open: reported to the caller
      const log = await runWorkload(db, ops);
      assert.ok(fs.faults[0]!.fired, `${fault}: the fault did not fire`);
      assert.ok(log.error !== undefined, `${fault}: the failure was not reported`);
      await db.close().catch(() => undefined);
      fs.faults = [];
      const again = await DB.open('/db', { ...opts, fs }).catch((e: unknown) => {
        assert.fail(`${fault}: the database no longer opens: ${String(e)}`);
      });
      const L = prefixLength(dump(again), ops, log.durable, log.attempted);
      await again.close();
      assert.ok(L >= 0, `${fault}: not a prefix in [${log.durable}, ${log.attempted}]`);
    }
  }
});

test('reuseLogs: a recovery that replays two logs keeps the older log until its writes are in a table', async () => {
  // Found by the process-kill battery (seed 159062137, lane 0 round 16, reuseLogs on): a kill during a
  // flush's memtable switch leaves the old log, holding less than a memtable, next to the new empty one;
  // recovery replayed both into one memtable, reused the newest log and deleted the older one, whose
  // writes then lived only in memory: closed and reopened, the database had lost them.
  const opts = { backgroundJobs: 'inline' as const };
  const work = async (db: DB): Promise<void> => {
    for (let i = 0; i < 5; i++) db.put(`k${i}`, `v${i}`);
    await db.flush();
  };
  const probe = new FaultFileSystem();
  probe.mkdir('/db');
  probe.trace = [];
  const p = await DB.open('/db', { ...opts, fs: probe });
  await work(p);
  await p.close();
  // Cut the power right after the flush's new log is durably created, before the flush is recorded.
  const logs = probe.trace.flatMap((l, i) => (/^create \/db\/\d+\.log$/.test(l) ? [i] : []));
  assert.equal(logs.length, 2, 'open and the flush each create a log');
  const dirSync = probe.trace.findIndex((l, i) => i > logs[1]! && l === 'syncDir /db');
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.crashAt = dirSync + 2; // trace[i] is operation i + 1 (the mkdir was operation 0)
  const d = await DB.open('/db', { ...opts, fs });
  await work(d).catch(() => undefined);
  assert.ok(fs.crashed, 'the power was cut during the flush');
  // keepAll: the switch no longer fsyncs the old log, so only a crash that keeps what the OS holds
  // (a process kill) leaves the five writes in it.
  const img = fs.crashImage('keepAll');
  assert.equal(img.list('/db').filter((n) => n.endsWith('.log')).length, 2, 'both logs survive the cut');
  // Recover with reuseLogs, close, and open again: the five writes are still there.
  await (await DB.open('/db', { ...opts, fs: img, reuseLogs: true })).close();
  const again = await DB.open('/db', { ...opts, fs: img });
  assert.equal(dump(again).size, 5, 'writes recovered from the older log were lost');
  await again.close();
});
