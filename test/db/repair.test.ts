/** DB.repair: rebuilding a database after its MANIFEST, CURRENT or a table is lost or damaged. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassicLevel } from 'classic-level';
import { DB, MemFileSystem, NodeFileSystem, ErrorCode } from '../../src/index.js';
import type { FileSystem } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { tmpDirFor } from '../support/tmp-dir.js';

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;

function removeMatching(fs: FileSystem, dir: string, re: RegExp): string[] {
  const gone = fs.list(dir).filter((n) => re.test(n));
  for (const n of gone) fs.remove(`${dir}/${n}`);
  return gone;
}

for (const where of ['memory', 'disk'] as const) {
  for (const compression of ['snappy', 'none'] as const) {
    test(`repair after deleting the MANIFEST and CURRENT keeps every entry (${where}, ${compression})`, async (t) => {
      const fs = where === 'memory' ? new MemFileSystem() : new NodeFileSystem();
      const dir = where === 'memory' ? '/db' : tmpDirFor(t);
      const options = { fs, compression, writeBufferSize: 4096, maxFileSize: 4096, level1MaxBytes: 16384 };
      const db = await DB.open(dir, options);
      const model = new Map<string, string>();
      const rnd = new Random(5);
      for (let i = 0; i < 3000; i++) {
        const k = key(rnd.uniform(800));
        if (rnd.oneIn(6)) {
          db.delete(k);
          model.delete(k);
        } else {
          const v = `${k}@${i}`;
          db.put(k, v);
          model.set(k, v);
        }
      }
      await db.flush();
      // The last writes live only in the WAL.
      for (let i = 0; i < 50; i++) {
        db.put(key(900 + i), `wal${i}`);
        model.set(key(900 + i), `wal${i}`);
      }
      db.delete(key(901));
      model.delete(key(901));
      await db.close();
      assert.ok(removeMatching(fs, dir, /^(MANIFEST-\d+|CURRENT)$/).length >= 2);
      await assert.rejects(DB.open(dir, options), { code: ErrorCode.CORRUPTION });

      const report = await DB.repair(dir, options);
      assert.ok(report.tablesKept > 0 && report.tablesLost === 0 && report.logsConverted >= 1);
      const repaired = await DB.open(dir, options);
      const want = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      assert.deepEqual(
        [...repaired.iterator()].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]),
        want,
      );
      for (const [k, v] of want.slice(0, 100)) assert.equal(fromUtf8(repaired.get(k)!), v);
      // New writes get sequence numbers above everything recovered.
      repaired.put(key(0), 'after-repair');
      await repaired.close();
      const again = await DB.open(dir, options);
      assert.equal(fromUtf8(again.get(key(0))!), 'after-repair');
      await again.close();
    });
  }
}

test('repair moves an unreadable table to lost/ and keeps the others', async () => {
  const fs = new MemFileSystem();
  const options = {
    fs,
    compression: 'none' as const,
    l0CompactionTrigger: 100,
    l0SlowdownWritesTrigger: 100,
    l0StopWritesTrigger: 100,
  };
  const db = await DB.open('/db', options);
  for (let i = 0; i < 200; i++) db.put(`a${i}`, 'x'.repeat(50));
  await db.flush();
  for (let i = 0; i < 200; i++) db.put(`b${i}`, 'y'.repeat(50));
  await db.flush();
  await db.close();
  const tables = fs
    .list('/db')
    .filter((n) => n.endsWith('.ldb'))
    .sort();
  assert.equal(tables.length, 2);
  // Damage a data block of the first table (the "a" keys).
  const bytes = fs.readFile(`/db/${tables[0]}`);
  bytes[200] ^= 0x55;
  const f = fs.createWritable(`/db/${tables[0]}`);
  f.append(bytes);
  f.close();
  const report = await DB.repair('/db', options);
  assert.equal(report.tablesLost, 1);
  assert.ok(report.filesMovedToLost.includes(tables[0]!));
  assert.ok(fs.exists(`/db/lost/${tables[0]}`));
  const repaired = await DB.open('/db', options);
  for (let i = 0; i < 200; i++) assert.equal(fromUtf8(repaired.get(`b${i}`)!), 'y'.repeat(50));
  assert.equal([...repaired.iterator({ lt: 'b' })].length, 0);
  await repaired.close();
});

test('repair rebuilds a LevelDB database whose MANIFEST was lost', async (t) => {
  const dir = tmpDirFor(t);
  const ldb = new ClassicLevel<string, string>(dir);
  await ldb.open();
  for (let i = 0; i < 2000; i++) await ldb.put(key(i), `v${i}`);
  await ldb.compactRange(key(0), key(99999));
  for (let i = 0; i < 100; i++) await ldb.put(key(i), `new${i}`);
  await ldb.close();
  const fs = new NodeFileSystem();
  removeMatching(fs, dir, /^(MANIFEST-\d+|CURRENT)$/);
  await DB.repair(dir);
  const db = await DB.open(dir);
  assert.equal([...db.iterator()].length, 2000);
  assert.equal(fromUtf8(db.get(key(5))!), 'new5');
  assert.equal(fromUtf8(db.get(key(500))!), 'v500');
  await db.close();
});

test('repair of an open (locked) database fails with a lock error and changes nothing', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs });
  db.put('k', 'v');
  const before = fs.list('/db').sort();
  await assert.rejects(DB.repair('/db', { fs }), { code: ErrorCode.LOCKED });
  assert.deepEqual(fs.list('/db').sort(), before);
  await db.close();
  await assert.rejects(DB.repair('/nope', { fs }), { code: ErrorCode.NOT_FOUND });
});
