/**
 * The chain marker (src/db/log-chain.ts): a memtable switch does not fsync the old log, so a power cut
 * can keep the start of the new log while the old one ends short. Recovery must then stop at the end
 * of the old log (a prefix), in every WAL recovery mode that keeps one, and refuse in
 * absoluteConsistency; a log that reached its marked end replays on into the next. These tests cut
 * logs at byte lengths, so their logs grow by appends (walPreallocateSize: 0); the power-cut tests cover
 * chains of preallocated logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, CorruptionError } from '../../src/index.js';
import { encodeChainMarker, readLogStart } from '../../src/db/log-chain.js';
import { batchCount, batchSequence } from '../../src/db/write-batch.js';
import { FaultFileSystem } from '../support/fault-fs.js';
import { dump } from '../support/crash-workload.js';

/** RECORD: one put of a 4-byte key and a 100-byte value as a log record (7 + 12 + 1+1+4 + 1+100 bytes). */
const RECORD = 126;
const VALUE = 'v'.repeat(100);
const key = (i: number): string => `a${String(i).padStart(3, '0')}`;

/**
 * twoLogs fills the first log until a memtable switch (its flush held back), writes two more puts
 * into the new log and returns everything the OS holds at that moment, with the old log's name.
 */
async function twoLogs(): Promise<{ img: FaultFileSystem; older: string; newer: string; n: number }> {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.delayFlushes = true;
  const db = await DB.open('/db', { fs, writeBufferSize: 2048, walPreallocateSize: 0 });
  const logs = (): string[] =>
    fs
      .list('/db')
      .filter((n) => n.endsWith('.log'))
      .sort();
  let n = 0;
  while (logs().length < 2) db.put(key(n++), VALUE);
  db.put('b1', VALUE);
  db.put('b2', VALUE);
  const img = fs.snapshotAll();
  await db.close();
  const [older, newer] =
    logs().length === 2
      ? logs()
      : img
          .list('/db')
          .filter((x) => x.endsWith('.log'))
          .sort();
  return { img, older: `/db/${older!}`, newer: `/db/${newer!}`, n };
}

/** cut keeps the first `length` bytes of `path` in `img`. */
function cut(img: FaultFileSystem, path: string, length: number): void {
  const data = img.readFile(path).slice(0, length);
  const w = img.createWritable(path);
  w.append(data);
  w.sync();
  w.close();
}

test('the marker is an empty write batch naming the next sequence number', () => {
  const m = encodeChainMarker(41);
  assert.equal(m.length, 12);
  assert.equal(batchSequence(m), 42);
  assert.equal(batchCount(m), 0);
});

test('a memtable switch over an unsynced log starts the new log with a marker; both logs replay', async () => {
  const { img, older, newer, n } = await twoLogs();
  const start = readLogStart(img, newer);
  assert.equal(start.kind, 'marker');
  // The switch happened inside put(key(n - 1)): the old log holds key(0) .. key(n - 2).
  assert.equal(img.readFile(older).length, (n - 1) * RECORD);
  assert.deepEqual(start, { kind: 'marker', lastSequence: n - 1 });
  const db = await DB.open('/db', { fs: img });
  const got = dump(db);
  await db.close();
  assert.equal(got.size, n + 2, 'every write of both logs');
});

for (const [what, drop] of [
  ['torn inside its last record', 20],
  ['cut exactly at a record boundary', RECORD],
] as const) {
  test(`an older log ${what} ends the replay: the newer log is ignored`, async () => {
    const { img, older, n } = await twoLogs();
    cut(img, older, img.readFile(older).length - drop);
    for (const mode of ['tolerateCorruptedTailRecords', 'pointInTime'] as const) {
      const copy = img.snapshotAll();
      const db = await DB.open('/db', { fs: copy, walRecoveryMode: mode });
      const got = dump(db);
      // key(0) .. key(n - 3): the last record of the old log is gone, and with it everything after.
      assert.deepEqual(
        [...got.keys()],
        Array.from({ length: n - 2 }, (_, i) => key(i)),
        mode,
      );
      db.put('after', 'recovery');
      await db.close();
      const again = await DB.open('/db', { fs: copy });
      assert.equal(dump(again).size, n - 1, `${mode}: a write after recovery survives the next open`);
      await again.close();
    }
    await assert.rejects(
      DB.open('/db', { fs: img.snapshotAll(), walRecoveryMode: 'absoluteConsistency' }),
      CorruptionError,
    );
  });
}

test('an older log with no record left drops the newer one too', async () => {
  const { img, older } = await twoLogs();
  cut(img, older, 0);
  const db = await DB.open('/db', { fs: img });
  assert.equal(dump(db).size, 0);
  await db.close();
});

test('a newer log that lost even its marker leaves the older log tolerated as the newest', async () => {
  const { img, older, newer, n } = await twoLogs();
  cut(img, newer, 0);
  cut(img, older, img.readFile(older).length - 20);
  const db = await DB.open('/db', { fs: img });
  assert.equal(dump(db).size, n - 2);
  await db.close();
});

/**
 * threeLogs is twoLogs with two memtable switches before any flush (two immutable memtables wait, the
 * default maxImmutableMemTables): three logs, the two older ones behind the disk.
 */
async function threeLogs(): Promise<{ img: FaultFileSystem; paths: string[]; sizes: number[] }> {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.delayFlushes = true;
  const db = await DB.open('/db', { fs, writeBufferSize: 2048, walPreallocateSize: 0 });
  const logs = (f: FaultFileSystem): string[] =>
    f
      .list('/db')
      .filter((n) => n.endsWith('.log'))
      .sort()
      .map((n) => `/db/${n}`);
  let n = 0;
  const sizes: number[] = [];
  while (logs(fs).length < 3) {
    const before = logs(fs).length;
    db.put(key(n++), VALUE);
    if (logs(fs).length > before) sizes.push(n - 1); // puts before the switch inside this one
  }
  db.put('b1', VALUE);
  db.put('b2', VALUE);
  assert.equal(db.metrics().flush.count, 0, 'no flush ran: three logs hold every write');
  const img = fs.snapshotAll();
  await db.close();
  return { img, paths: logs(img), sizes: [sizes[0]!, sizes[1]! - sizes[0]!, n - sizes[1]! + 2] };
}

test('two switches before any flush: both newer logs start with a marker, all three replay', async () => {
  const { img, paths, sizes } = await threeLogs();
  assert.equal(paths.length, 3);
  assert.equal(readLogStart(img, paths[1]!).kind, 'marker');
  assert.deepEqual(readLogStart(img, paths[2]!), { kind: 'marker', lastSequence: sizes[0]! + sizes[1]! });
  const db = await DB.open('/db', { fs: img });
  assert.equal(dump(db).size, sizes[0]! + sizes[1]! + sizes[2]!, 'every write of the three logs');
  await db.close();
});

test('the oldest of three logs torn: the two newer ones are ignored (a prefix)', async () => {
  const { img, paths, sizes } = await threeLogs();
  cut(img, paths[0]!, img.readFile(paths[0]!).length - 20);
  for (const mode of ['tolerateCorruptedTailRecords', 'pointInTime'] as const) {
    const db = await DB.open('/db', { fs: img.snapshotAll(), walRecoveryMode: mode });
    assert.deepEqual(
      [...dump(db).keys()],
      Array.from({ length: sizes[0]! - 1 }, (_, i) => key(i)),
      mode,
    );
    await db.close();
  }
});

test('the middle log torn: the oldest replays whole, the newest is ignored', async () => {
  const { img, paths, sizes } = await threeLogs();
  cut(img, paths[1]!, img.readFile(paths[1]!).length - 20);
  const db = await DB.open('/db', { fs: img });
  assert.deepEqual(
    [...dump(db).keys()],
    Array.from({ length: sizes[0]! + sizes[1]! - 1 }, (_, i) => key(i)),
  );
  await db.close();
});

test('the middle log lost even its marker and the oldest is torn: the oldest prefix opens', async () => {
  // The oldest log is followed by an empty one: it may end short (its tail and the marker after it
  // were lost together), and the newest log's marker then names writes nobody kept.
  const { img, paths, sizes } = await threeLogs();
  cut(img, paths[1]!, 0);
  cut(img, paths[0]!, img.readFile(paths[0]!).length - 20);
  const db = await DB.open('/db', { fs: img });
  assert.deepEqual(
    [...dump(db).keys()],
    Array.from({ length: sizes[0]! - 1 }, (_, i) => key(i)),
  );
  await db.close();
});

test('a synced write in the newest log makes both older logs durable first', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.delayFlushes = true;
  const db = await DB.open('/db', { fs, writeBufferSize: 2048, walPreallocateSize: 0 });
  let n = 0;
  while (fs.list('/db').filter((x) => x.endsWith('.log')).length < 3) db.put(key(n++), VALUE);
  db.put('synced', VALUE, { sync: true });
  const img = fs.crashImage('dropUnsynced');
  await db.close();
  const again = await DB.open('/db', { fs: img });
  assert.equal(dump(again).size, n + 1, 'every write before the synced one, and it');
  await again.close();
});
