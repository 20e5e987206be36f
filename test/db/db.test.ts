import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, WriteBatch, MemFileSystem, ErrorCode, bytewiseComparator } from '../../src/index.js';
import type { Comparator } from '../../src/index.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromUtf8(b));
const entries = (db: DB, o = {}): string[] =>
  [...db.iterator(o)].map(([k, v]) => `${fromUtf8(k)}=${fromUtf8(v)}`);

async function memDb(options: Record<string, unknown> = {}): Promise<{ db: DB; fs: MemFileSystem }> {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, ...options });
  return { db, fs };
}

test('put, get, overwrite and delete', async () => {
  const { db } = await memDb();
  assert.equal(db.get('a'), undefined);
  db.put('a', '1');
  db.put(utf8('b'), utf8('2'));
  assert.equal(s(db.get('a')), '1');
  assert.equal(s(db.get(utf8('b'))), '2');
  db.put('a', '3');
  assert.equal(s(db.get('a')), '3');
  db.delete('a');
  assert.equal(db.get('a'), undefined);
  db.delete('never-there');
  assert.equal(db.has('b'), true);
  assert.equal(db.has('a'), false);
  await db.close();
});

test('values returned are copies the caller owns', async () => {
  const { db } = await memDb();
  db.put('k', 'value');
  const v = db.get('k')!;
  v.fill(0);
  assert.equal(s(db.get('k')), 'value');
  await db.close();
});

test('bad input is a typed error and writes nothing', async () => {
  const { db } = await memDb();
  for (const bad of [undefined, null, 42, {}, [1, 2]]) {
    assert.throws(() => db.put(bad as never, 'v'), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => db.put('k', bad as never), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(() => db.get(bad as never), { code: ErrorCode.INVALID_ARGUMENT });
  }
  assert.throws(() => db.put('k', 'v', { sync: 'yes' } as never), { code: ErrorCode.INVALID_ARGUMENT });
  const b = new WriteBatch().put('x', '1');
  assert.throws(() => b.put('y', 7 as never), { code: ErrorCode.INVALID_ARGUMENT });
  assert.equal(b.count, 1);
  assert.throws(() => db.write({} as never), { code: ErrorCode.INVALID_ARGUMENT });
  assert.deepEqual(entries(db), []);
  assert.equal(db.getProperty('shale.last-sequence'), '0');
  await db.close();
});

test('a write batch applies atomically and in order', async () => {
  const { db } = await memDb();
  db.put('a', 'old');
  db.write(new WriteBatch().put('a', '1').put('b', '2').delete('a').put('c', '3').put('b', '4'));
  assert.deepEqual(entries(db), ['b=4', 'c=3']);
  assert.equal(db.getProperty('shale.last-sequence'), '6');
  await db.close();
});

test('iterators honour bounds, reverse and limit', async () => {
  const { db } = await memDb();
  for (const k of ['a', 'b', 'c', 'd', 'e']) db.put(k, k.toUpperCase());
  assert.deepEqual(entries(db, { gt: 'a', lte: 'd' }), ['b=B', 'c=C', 'd=D']);
  assert.deepEqual(entries(db, { gte: 'b', lt: 'd', reverse: true }), ['c=C', 'b=B']);
  assert.deepEqual(entries(db, { reverse: true, limit: 2 }), ['e=E', 'd=D']);
  assert.deepEqual(entries(db, { limit: 0 }), []);
  assert.deepEqual(entries(db, { gt: 'e' }), []);
  const it = db.iterator({ gte: 'b', lte: 'd' });
  it.seek(utf8('a'));
  assert.equal(s(it.key()), 'b');
  it.seekToLast();
  assert.equal(s(it.key()), 'd');
  it.prev();
  assert.equal(s(it.key()), 'c');
  it.next();
  it.next();
  assert.equal(it.valid(), false);
  it.seekForPrev(utf8('cc'));
  assert.equal(s(it.key()), 'c');
  it.close();
  await db.close();
});

test('snapshots see the database as it was', async () => {
  const { db } = await memDb({ writeBufferSize: 1024 });
  db.put('k', 'v1');
  const snap = db.snapshot();
  db.put('k', 'v2');
  db.put('new', 'x');
  for (let i = 0; i < 200; i++) db.put(`fill${i}`, 'y'.repeat(50)); // force flushes
  assert.equal(s(db.get('k', { snapshot: snap })), 'v1');
  assert.equal(db.get('new', { snapshot: snap }), undefined);
  assert.deepEqual(entries(db, { snapshot: snap }), ['k=v1']);
  assert.equal(s(db.get('k')), 'v2');
  snap.release();
  assert.throws(() => db.get('k', { snapshot: snap }), { code: ErrorCode.CLOSED });
  await db.close();
});

test('data survives close and reopen, including flushed tables and the WAL', async () => {
  const fs = new MemFileSystem();
  let db = await DB.open('/db', { fs, writeBufferSize: 4096 });
  for (let i = 0; i < 500; i++) db.put(`key${String(i).padStart(4, '0')}`, `value${i}`);
  for (let i = 0; i < 500; i += 3) db.delete(`key${String(i).padStart(4, '0')}`);
  assert.ok(totalFiles(db) > 0);
  await db.close();
  db = await DB.open('/db', { fs, writeBufferSize: 4096 });
  let n = 0;
  for (let i = 0; i < 500; i++) {
    const v = db.get(`key${String(i).padStart(4, '0')}`);
    if (i % 3 === 0) assert.equal(v, undefined);
    else {
      assert.equal(s(v), `value${i}`);
      n++;
    }
  }
  assert.equal(entries(db).length, n);
  await db.close();
});

test('use after close fails clearly, for the db, its iterators and snapshots', async () => {
  const { db } = await memDb();
  db.put('a', '1');
  db.put('b', '2');
  const it = db.iterator();
  it.seekToFirst();
  const snap = db.snapshot();
  const gen = db.iterator()[Symbol.iterator]();
  gen.next();
  await db.close();
  await db.close(); // twice is fine
  assert.throws(() => db.get('a'), { code: ErrorCode.CLOSED });
  assert.throws(() => db.put('a', '1'), { code: ErrorCode.CLOSED });
  assert.throws(() => it.next(), { code: ErrorCode.CLOSED });
  assert.throws(() => it.key(), { code: ErrorCode.CLOSED });
  assert.throws(() => gen.next(), { code: ErrorCode.CLOSED });
  assert.throws(() => db.iterator(), { code: ErrorCode.CLOSED });
  assert.equal(snap.isReleased, true);
  it.close();
});

test('open honours createIfMissing and errorIfExists, and the lock', async () => {
  const fs = new MemFileSystem();
  await assert.rejects(DB.open('/nope', { fs, createIfMissing: false }), { code: ErrorCode.NOT_FOUND });
  assert.equal(fs.exists('/nope'), false);
  const db = await DB.open('/db', { fs });
  await assert.rejects(DB.open('/db', { fs }), { code: ErrorCode.LOCKED });
  db.put('still', 'works');
  await db.close();
  await assert.rejects(DB.open('/db', { fs, errorIfExists: true }), { code: ErrorCode.INVALID_ARGUMENT });
  const again = await DB.open('/db', { fs });
  assert.equal(s(again.get('still')), 'works');
  await again.close();
});

test('bad options are rejected before anything is created', async () => {
  const fs = new MemFileSystem();
  await assert.rejects(DB.open('/db', { fs, writeBufferSize: -1 }), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(DB.open('/db', { fs, compression: 'lz4' as never }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  await assert.rejects(DB.open('/db', { fs, walRecoveryMode: 'yolo' as never }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.equal(fs.exists('/db'), false);
});

test('a custom comparator orders keys, and a different one is refused at open', async () => {
  const reverse: Comparator = {
    name: 'test.Reverse',
    compare: (a, b) => bytewiseComparator.compare(b, a),
    findShortestSeparator: (a) => a,
    findShortSuccessor: (a) => a,
  };
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, comparator: reverse, writeBufferSize: 1024 });
  for (const k of ['a', 'c', 'b']) db.put(k, k);
  for (let i = 0; i < 100; i++) db.put(`x${i}`, 'y'.repeat(40));
  assert.deepEqual(entries(db, { gte: 'c', lte: 'a' }), ['c=c', 'b=b', 'a=a']);
  await db.close();
  await assert.rejects(DB.open('/db', { fs }), (err: Error & { code?: string }) => {
    assert.equal(err.code, ErrorCode.INVALID_ARGUMENT);
    assert.match(err.message, /test\.Reverse/);
    return true;
  });
  const again = await DB.open('/db', { fs, comparator: reverse });
  assert.equal(s(again.get('b')), 'b');
  await again.close();
});

test('destroy removes the database', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs });
  db.put('a', '1');
  await db.close();
  await DB.destroy('/db', { fs });
  assert.equal(fs.exists('/db'), false);
  await DB.destroy('/db', { fs }); // missing is fine
});

test('properties and approximate sizes describe the tables', async () => {
  const { db } = await memDb({ writeBufferSize: 8192, compression: 'none' });
  for (let i = 0; i < 2000; i++) db.put(`k${String(i).padStart(5, '0')}`, 'v'.repeat(100));
  await db.flush();
  assert.ok(totalFiles(db) > 1);
  assert.match(db.getProperty('leveldb.sstables')!, /--- level \d ---\n \d+:\d+\['k\d+' @ \d+ : 1 \.\. /);
  assert.match(db.getProperty('leveldb.stats')!, /Level {2}Files Size\(MB\)/);
  assert.ok(Number(db.getProperty('leveldb.approximate-memory-usage')) > 0);
  assert.equal(db.getProperty('leveldb.num-files-at-level9'), undefined);
  assert.equal(db.getProperty('no.such.property'), undefined);
  const [all, half, none] = db.approximateSizes([
    ['k00000', 'k99999'],
    ['k00000', 'k01000'],
    ['x', 'y'],
  ]);
  assert.ok(all! > 150_000 && all! < 300_000, `all=${all}`);
  assert.ok(half! > all! * 0.3 && half! < all! * 0.7, `half=${half}`);
  assert.equal(none, 0);
  await db.close();
});

function totalFiles(db: DB): number {
  let n = 0;
  for (let level = 0; level < 7; level++) n += Number(db.getProperty(`leveldb.num-files-at-level${level}`));
  return n;
}

test('tables an open iterator pins outlive compaction and are deleted when it closes', async () => {
  const { db, fs } = await memDb({ backgroundJobs: 'inline', writeBufferSize: 64 * 1024 });
  const tables = () =>
    fs
      .list('/db')
      .filter((n) => n.endsWith('.ldb'))
      .sort();
  for (let i = 0; i < 3000; i++) db.put(`k${String(i).padStart(5, '0')}`, 'v'.repeat(60));
  await db.flush();
  const before = tables();
  assert.ok(before.length > 0);
  const it = db.iterator();
  const pinned = db.iterator();
  it.close(); // closing an iterator on the current version deletes nothing
  assert.deepEqual(tables(), before);
  await db.compactRange();
  // compactRange rewrote every table, but the pinned version still names the old ones.
  assert.ok(before.every((n) => tables().includes(n)));
  assert.equal([...pinned].length, 3000);
  pinned.close();
  assert.ok(
    before.every((n) => !tables().includes(n)),
    'old tables deleted once unpinned',
  );
  assert.equal(entries(db).length, 3000);
  await db.close();
});

test('async writes keep their call order, whether applied at once or queued behind a synced group', async () => {
  const { db } = await memDb();
  // Nothing queued: the unsynced write is applied before putAsync returns.
  const p = db.putAsync('a', '1');
  assert.equal(s(db.get('a')), '1');
  await p;
  // Behind a synced write still in the queue, later unsynced writes queue too, in order.
  const writes = [
    db.putAsync('k', 'synced', { sync: true }),
    db.putAsync('k', 'second'),
    db.deleteAsync('gone'),
    db.putAsync('k', 'third'),
  ];
  await Promise.all(writes);
  assert.equal(s(db.get('k')), 'third');
  await db.close();
});

test('an open iterator keeps reading its memtables while later ones reuse memtable memory', async () => {
  for (const backgroundJobs of ['inline', 'worker'] as const) {
    // Worker jobs need the real file system (other file systems run jobs inline).
    const dir = backgroundJobs === 'worker' ? makeTmpDir() : null;
    const db =
      dir === null
        ? (await memDb({ writeBufferSize: 16 * 1024 })).db
        : await DB.open(dir, { writeBufferSize: 16 * 1024, backgroundJobs });
    for (let i = 0; i < 300; i++) db.put(`a${String(i).padStart(4, '0')}`, `first${i}`);
    const it = db.iterator();
    const expected = entries(db);
    // Many memtables come and go (flushed, their memory reused) while `it` is open.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 600; i++)
        db.put(`a${String(i).padStart(4, '0')}`, `round${round}-${'x'.repeat(40)}`);
      await db.flush();
    }
    const seen: string[] = [];
    for (it.seekToFirst(); it.valid(); it.next()) seen.push(`${fromUtf8(it.key())}=${fromUtf8(it.value())}`);
    it.close();
    assert.deepEqual(seen, expected, backgroundJobs);
    assert.equal(s(db.get('a0599')), `round4-${'x'.repeat(40)}`);
    await db.close();
    if (dir !== null) removeTmpDir(dir);
  }
});
