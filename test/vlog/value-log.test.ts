/**
 * The value log (docs/vlog.md): the segment format and pointers on their own, then a database with the
 * option on: reads of every kind see values, never pointers; reopen; the option-off refusal; LevelDB's
 * clean refusal; damage to a segment (missing, truncated, bit-flipped) is a CorruptionError naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { DB, MemFileSystem, NodeFileSystem, WriteBatch } from '../../src/index.js';
import type { FileSystem } from '../../src/index.js';
import { ErrorCode, CorruptionError } from '../../src/util/errors.js';
import { SegmentWriter } from '../../src/vlog/segment-writer.js';
import { ValueLogReader } from '../../src/vlog/value-log-reader.js';
import { scanSegment } from '../../src/vlog/segment-scanner.js';
import { decodePointer, encodePointer, MAX_POINTER_SIZE } from '../../src/vlog/value-pointer.js';
import { segmentFileName } from '../../src/vlog/vlog-format.js';
import { parseFileName } from '../../src/version/file-names.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const VLOG = { valueLog: { minValueSize: 100, segmentSize: 64 * 1024 } };
/**
 * RAW: values stored uncompressed, so that damage to a segment mostly hits value bytes (which every
 * read checks) rather than headers and keys (which only scans check).
 */
const RAW = { valueLog: { ...VLOG.valueLog, compression: 'none' as const } };

function bigValue(i: number, n = 300): string {
  return `${i}:`.padEnd(n, String.fromCharCode(97 + (i % 26)));
}

function segmentsIn(fs: FileSystem, dir: string): number[] {
  return fs
    .list(dir)
    .map((n) => parseFileName(n))
    .filter((p) => p?.type === 'segment')
    .map((p) => p!.number)
    .sort((a, b) => a - b);
}

function rewrite(fs: FileSystem, path: string, data: Uint8Array): void {
  const f = fs.createWritable(path);
  f.append(data);
  f.sync();
  f.close();
}

/** fill writes 200 keys, half with values the value log takes, and flushes. */
async function fill(dir: string, fs: FileSystem, options: Record<string, unknown> = VLOG): Promise<DB> {
  const db = await DB.open(dir, { fs, ...options });
  for (let i = 0; i < 200; i++)
    db.put(`k${String(i).padStart(3, '0')}`, i % 2 === 0 ? bigValue(i) : `small${i}`);
  await db.flush();
  return db;
}

test('pointers encode and decode; a malformed one is Corruption', () => {
  const buf = new Uint8Array(MAX_POINTER_SIZE);
  for (const p of [
    { segment: 7, offset: 8, length: 0, crc: 0 },
    { segment: 2 ** 40, offset: 2 ** 33 + 5, length: 0xffffffff, crc: 0xdeadbeef },
  ]) {
    const n = encodePointer(buf, p);
    assert.deepEqual(decodePointer(buf.subarray(0, n)), p);
    assert.throws(() => decodePointer(buf.subarray(0, n - 1)), CorruptionError);
    assert.throws(() => decodePointer(buf.subarray(0, n + 1)), CorruptionError);
  }
  assert.throws(() => decodePointer(new Uint8Array(0)), CorruptionError);
});

test('a segment round-trips through the writer, the scanner and the reader', () => {
  const fs = new MemFileSystem();
  fs.mkdir('/d');
  const w = new SegmentWriter(fs, '/d', 12);
  const values = [
    new Uint8Array(0),
    utf8('hello'),
    new Uint8Array(70_000).fill(7),
    new Uint8Array(300_000).fill(9),
  ];
  const ptrs = values.map((v, i) => w.add(utf8(`key${i}`), v));
  const info = w.finish();
  assert.equal(info.records, 4);
  assert.equal(info.size, fs.fileSize(segmentFileName('/d', 12)));
  const seen: string[] = [];
  const sum = scanSegment(fs, segmentFileName('/d', 12), (r) =>
    seen.push(`${fromUtf8(r.key)}:${r.value.length}`),
  );
  assert.deepEqual(seen, ['key0:0', 'key1:5', 'key2:70000', 'key3:300000']);
  assert.equal(sum.valueBytes, 370_005);
  const reader = new ValueLogReader(fs, '/d', 1 << 20);
  for (const [i, p] of ptrs.entries()) {
    assert.deepEqual(reader.readPointer(p), values[i]);
    assert.deepEqual(reader.readPointer(p), values[i]); // second time from the cache (when it fits)
  }
  assert.ok(reader.cacheHits >= 2);
  reader.close();
});

test('with the value log on, get, iterators, snapshots and transactions see values', async () => {
  const fs = new MemFileSystem();
  const db = await fill('/db', fs);
  assert.ok(segmentsIn(fs, '/db').length >= 1, 'values went to segments');
  const snap = db.snapshot();
  db.put('k000', 'now small');
  db.put('k001', bigValue(1001));
  db.delete('k002');
  await db.flush();
  assert.equal(fromUtf8(db.get('k000')!), 'now small');
  assert.equal(fromUtf8(db.get('k001')!), bigValue(1001));
  assert.equal(db.get('k002'), undefined);
  assert.equal(fromUtf8(db.get('k000', { snapshot: snap })!), bigValue(0));
  assert.equal(fromUtf8(db.get('k002', { snapshot: snap })!), bigValue(2));
  const fwd = [...db.iterator({ snapshot: snap })].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
  assert.equal(fwd.length, 200);
  for (const [k, v] of fwd) {
    const i = Number(k.slice(1));
    assert.equal(v, i % 2 === 0 ? bigValue(i) : `small${i}`);
  }
  const rev = [...db.iterator({ reverse: true, snapshot: snap })].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
  assert.deepEqual(rev, [...fwd].reverse());
  // A cursor moving both ways over pointer entries.
  const it = db.iterator();
  it.seek('k010');
  assert.equal(fromUtf8(it.value()), bigValue(10));
  it.prev();
  assert.equal(fromUtf8(it.value()), 'small9');
  it.prev();
  assert.equal(fromUtf8(it.value()), bigValue(8));
  it.next();
  it.next();
  assert.equal(fromUtf8(it.value()), bigValue(10));
  it.close();
  snap.release();
  // Transactions read through the same paths.
  const tx = db.transaction();
  assert.equal(fromUtf8(tx.get('k004')!), bigValue(4));
  tx.put('k004', bigValue(4004));
  assert.equal(fromUtf8([...tx.iterator({ gte: 'k004', lte: 'k004' })][0]![1]), bigValue(4004));
  await tx.commit();
  await db.compactRange();
  assert.equal(fromUtf8(db.get('k004')!), bigValue(4004));
  assert.equal(fromUtf8(db.get('k006')!), bigValue(6));
  await db.close();
  const again = await DB.open('/db', { fs, ...VLOG });
  assert.equal(fromUtf8(again.get('k006')!), bigValue(6));
  assert.equal(fromUtf8(again.get('k001')!), bigValue(1001));
  await again.close();
});

test('values reach the value log at flush, at recovery and at compaction (existing large values)', async () => {
  const fs = new MemFileSystem();
  // Written with the option off: large values sit in the tables.
  let db = await fill('/db', fs, {});
  db.put('unflushed', bigValue(77));
  await db.close();
  assert.equal(segmentsIn(fs, '/db').length, 0);
  // Reopened with it on: recovery's flush of the log separates; a full compaction separates the rest.
  db = await DB.open('/db', { fs, ...VLOG });
  assert.ok(segmentsIn(fs, '/db').length >= 1, 'recovery separated the replayed value');
  await db.compactRange();
  await db.close();
  const segs = segmentsIn(fs, '/db');
  let records = 0;
  for (const n of segs) records += scanSegment(fs, segmentFileName('/db', n)).records;
  assert.equal(records, 101, 'every large value lives in a segment (a copy each)');
  db = await DB.open('/db', { fs, ...VLOG });
  assert.equal(fromUtf8(db.get('unflushed')!), bigValue(77));
  assert.equal(fromUtf8(db.get('k198')!), bigValue(198));
  assert.equal(fromUtf8(db.get('k199')!), 'small199');
  await db.close();
});

test('a database holding segments refuses to open with the option off', async () => {
  const fs = new MemFileSystem();
  const db = await fill('/db', fs);
  await db.close();
  await assert.rejects(DB.open('/db', { fs }), (e: Error & { code?: string }) => {
    assert.equal(e.code, ErrorCode.NOT_SUPPORTED);
    assert.match(e.message, /value-log segment/);
    return true;
  });
  await assert.rejects(DB.open('/db', { fs, readOnly: true }), { code: ErrorCode.NOT_SUPPORTED });
});

test('with only small values the option changes no file: LevelDB still opens the database', async () => {
  const dir = makeTmpDir('shale-vlog-small-');
  try {
    const db = await DB.open(dir, VLOG);
    for (let i = 0; i < 100; i++) db.put(`k${i}`, `v${i}`);
    await db.flush();
    await db.close();
    const level = new ClassicLevel<string, string>(dir);
    await level.open();
    assert.equal(await level.get('k42'), 'v42');
    await level.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('LevelDB (classic-level) refuses a database holding value pointers with a clean Corruption', async () => {
  const dir = makeTmpDir('shale-vlog-leveldb-');
  try {
    const db = await fill(dir, new NodeFileSystem());
    await db.close();
    const level = new ClassicLevel(dir);
    await assert.rejects(level.open(), (e: Error & { code?: string; cause?: Error & { code?: string } }) => {
      assert.equal(e.cause?.code, 'LEVEL_CORRUPTION');
      assert.match(String(e.cause?.message), /VersionEdit: unknown tag/);
      return true;
    });
    // Nothing was changed by the failed open: shale still reads everything.
    const again = await DB.open(dir, VLOG);
    assert.equal(fromUtf8(again.get('k010')!), bigValue(10));
    await again.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('worker-thread flushes and compactions write segments on disk', async () => {
  const dir = makeTmpDir('shale-vlog-worker-');
  try {
    let db = await DB.open(dir, { ...VLOG, writeBufferSize: 16 * 1024 });
    assert.equal(db.backgroundJobs, 'worker');
    for (let round = 0; round < 3; round++) {
      const b = new WriteBatch();
      for (let i = 0; i < 300; i++) b.put(`k${String(i).padStart(3, '0')}`, bigValue(i + round * 1000, 500));
      db.write(b);
    }
    await db.compactRange();
    await db.close();
    db = await DB.open(dir, VLOG);
    for (let i = 0; i < 300; i += 37)
      assert.equal(fromUtf8(db.get(`k${String(i).padStart(3, '0')}`)!), bigValue(i + 2000, 500));
    await db.close();
    const report = await DB.verify(dir, VLOG);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.ok(report.segments >= 1 && report.segmentRecords >= 300);
  } finally {
    removeTmpDir(dir);
  }
});

/** corruptionCase damages the first segment with `damage`, then expects reads of its values to fail. */
async function corruptionCase(
  damage: (fs: MemFileSystem, path: string) => void,
  atOpen: boolean,
): Promise<void> {
  const fs = new MemFileSystem();
  const db = await fill('/db', fs, RAW);
  await db.close();
  const seg = segmentsIn(fs, '/db')[0]!;
  const path = segmentFileName('/db', seg);
  damage(fs, path);
  const named = (e: unknown): boolean => {
    assert.ok(e instanceof CorruptionError, String(e));
    assert.equal(e.code, ErrorCode.CORRUPTION);
    assert.equal(e.file, path, 'the error names the segment');
    return true;
  };
  if (atOpen) {
    await assert.rejects(DB.open('/db', { fs, ...VLOG }), named);
    return;
  }
  const again = await DB.open('/db', { fs, ...VLOG });
  try {
    // Every read either returns the right value or fails naming the segment: never a wrong value.
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const k = `k${String(i).padStart(3, '0')}`;
      try {
        const v = again.get(k);
        assert.equal(fromUtf8(v!), i % 2 === 0 ? bigValue(i) : `small${i}`);
      } catch (e) {
        named(e);
        failed++;
      }
    }
    assert.ok(failed > 0, 'the damage was seen');
    assert.throws(() => [...again.iterator()], named);
    assert.throws(() => [...again.iterator({ reverse: true })], named);
  } finally {
    await again.close();
  }
  const report = await DB.verify('/db', { fs, ...VLOG });
  assert.equal(report.ok, false);
  assert.equal(report.problems[0]!.file, path);
}

test('a missing segment fails the open with a CorruptionError naming it', async () => {
  await corruptionCase((fs, path) => fs.remove(path), true);
});

test('a truncated segment: reads of the lost values fail with Corruption naming it', async () => {
  await corruptionCase((fs, path) => rewrite(fs, path, fs.readFile(path).slice(0, 2000)), false);
});

for (const where of [0.1, 0.5, 0.99]) {
  test(`a bit flip at ${where * 100}% of a segment: that value's reads fail, never a wrong value`, async () => {
    await corruptionCase((fs, path) => {
      const data = fs.readFile(path).slice();
      data[Math.floor(data.length * where)]! ^= 0x10;
      rewrite(fs, path, data);
    }, false);
  });
}

test('a compaction filter sees values, never pointers', async () => {
  const fs = new MemFileSystem();
  const seen: string[] = [];
  const db = await fill('/db', fs, {
    ...VLOG,
    compactionFilterFactory: () => ({
      filter(_level: number, key: Uint8Array, value: Uint8Array) {
        seen.push(fromUtf8(value));
        const k = fromUtf8(key);
        if (k === 'k010') return { kind: 'remove' as const };
        if (k === 'k012') return { kind: 'change' as const, value: utf8(bigValue(12012)) };
        return { kind: 'keep' as const };
      },
    }),
  });
  await db.compactRange();
  assert.ok(seen.includes(bigValue(20)));
  assert.ok(
    !seen.some((v) => v.length < 100 && !v.startsWith('small')),
    'no pointer bytes reached the filter',
  );
  assert.equal(db.get('k010'), undefined);
  assert.equal(fromUtf8(db.get('k012')!), bigValue(12012));
  assert.equal(fromUtf8(db.get('k014')!), bigValue(14));
  await db.close();
});

test('repair keeps the segments and checkpoints carry them', async () => {
  const dir = makeTmpDir('shale-vlog-repair-');
  try {
    const db = await fill(join(dir, 'db'), new NodeFileSystem());
    const report = await db.checkpoint(join(dir, 'copy'));
    assert.ok(report.tables >= 1);
    await db.close();
    const copy = await DB.open(join(dir, 'copy'), VLOG);
    assert.equal(fromUtf8(copy.get('k100')!), bigValue(100));
    await copy.close();
    await DB.repair(join(dir, 'db'), VLOG);
    const repaired = await DB.open(join(dir, 'db'), VLOG);
    assert.equal(fromUtf8(repaired.get('k100')!), bigValue(100));
    assert.equal(fromUtf8(repaired.get('k101')!), 'small101');
    await repaired.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('migrateFromValueLog moves the values back: the database opens without the option and in LevelDB', async () => {
  const dir = makeTmpDir('shale-vlog-migrate-');
  try {
    const fs = new NodeFileSystem();
    const db = await fill(dir, fs);
    db.put('late', bigValue(999)); // still in the log at close
    await db.collectGarbage({ gcRatio: 1 }); // a GC record in the MANIFEST, which LevelDB cannot read
    await db.close();
    const r = await DB.migrateFromValueLog(dir, VLOG);
    assert.ok(r.segmentsRemoved >= 1);
    assert.equal(segmentsIn(fs, dir).length, 0, 'no segment file left');
    const plain = await DB.open(dir);
    for (let i = 0; i < 200; i += 7) {
      const k = `k${String(i).padStart(3, '0')}`;
      assert.equal(fromUtf8(plain.get(k)!), i % 2 === 0 ? bigValue(i) : `small${i}`);
    }
    assert.equal(fromUtf8(plain.get('late')!), bigValue(999));
    await plain.close();
    const level = new ClassicLevel<string, string>(dir);
    await level.open();
    assert.equal(await level.get('k100'), bigValue(100));
    assert.equal(await level.get('late'), bigValue(999));
    await level.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('a scan reads ahead through a segment (both ways); point reads fetch exactly their value', async () => {
  const fs = new MemFileSystem();
  const opts = { valueLog: { minValueSize: 100, cacheSize: 0, compression: 'none' as const } };
  let db = await fill('/db', fs, opts);
  await db.close();
  db = await DB.open('/db', { fs, ...opts });
  const vl = db.valueLog!;
  let n = 0;
  for (const [k, v] of db.iterator()) {
    const i = Number(fromUtf8(k).slice(1));
    assert.equal(fromUtf8(v), i % 2 === 0 ? bigValue(i) : `small${i}`);
    n++;
  }
  assert.equal(n, 200);
  assert.equal(vl.reads, 100);
  assert.ok(vl.diskReads <= 3, `100 values in ${vl.diskReads} disk reads`);
  await db.close();
  db = await DB.open('/db', { fs, ...opts });
  const rev = [...db.iterator({ reverse: true })];
  assert.equal(rev.length, 200);
  assert.equal(fromUtf8(rev[1]![1]), bigValue(198));
  assert.ok(db.valueLog!.diskReads <= 3, `reverse: 100 values in ${db.valueLog!.diskReads} disk reads`);
  await db.close();
  db = await DB.open('/db', { fs, ...opts });
  for (let i = 0; i < 200; i += 38) db.get(`k${String(i).padStart(3, '0')}`);
  assert.equal(db.valueLog!.diskReads, 6, 'point lookups far apart: one exact read each');
  await db.close();
});
