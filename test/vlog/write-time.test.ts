/**
 * Write-time value separation (docs/vlog.md): a large value goes to the open segment when it is
 * written and the WAL holds its pointer. A model-based test over every write path (put, batch, async
 * group commit, transactions), flushes, GC and reopens; the WAL really holds pointers; the open
 * segment is in the MANIFEST (LevelDB refuses the database before any flush); recovery ends the log at
 * the first record pointing past a segment's valid prefix; compressed segment records; version-1
 * segments still read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { DB, MemFileSystem, WriteBatch } from '../../src/index.js';
import type { FileSystem } from '../../src/index.js';
import { ErrorCode } from '../../src/util/errors.js';
import { encodeFixed32 } from '../../src/util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../../src/util/crc32c.js';
import { SegmentWriter } from '../../src/vlog/segment-writer.js';
import { ValueLogReader } from '../../src/vlog/value-log-reader.js';
import { scanSegment } from '../../src/vlog/segment-scanner.js';
import { SEGMENT_MAGIC, segmentFileName } from '../../src/vlog/vlog-format.js';
import { parseFileName, logFileName } from '../../src/version/file-names.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const WRITE = {
  writeBufferSize: 16 * 1024,
  valueLog: { minValueSize: 100, segmentSize: 16 * 1024, backgroundGc: false, separateAt: 'write' as const },
};

function files(fs: FileSystem, dir: string, type: string): number[] {
  return fs
    .list(dir)
    .map((n) => parseFileName(n))
    .filter((p) => p?.type === type)
    .map((p) => p!.number)
    .sort((a, b) => a - b);
}

/** big returns a value of `n` bytes naming `tag`, compressible unless `random`. */
function big(tag: string, n = 300, random = false): string {
  if (!random) return `${tag}:`.padEnd(n, tag.slice(-1));
  let s = `${tag}:`;
  let x = tag.length * 7919 + n;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += String.fromCharCode(33 + (x % 90));
  }
  return s;
}

type Op =
  | { t: 'put'; k: number; big: boolean; sync: boolean }
  | { t: 'del'; k: number }
  | { t: 'batch'; ks: number[] }
  | { t: 'async'; ks: number[]; sync: boolean }
  | { t: 'txn'; ks: number[] }
  | { t: 'flush' }
  | { t: 'gc' }
  | { t: 'compact' }
  | { t: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('put' as const),
      k: fc.nat(30),
      big: fc.boolean(),
      sync: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), k: fc.nat(30) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('batch' as const), ks: fc.array(fc.nat(30), { maxLength: 6 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('async' as const),
      ks: fc.array(fc.nat(30), { maxLength: 6 }),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('txn' as const), ks: fc.array(fc.nat(30), { maxLength: 4 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'gc' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

test('every write path, flush, GC, compaction and reopen agree with a model (write-time separation)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 80 }), async (ops) => {
      const fs = new MemFileSystem();
      const model = new Map<string, string>();
      let db = await DB.open('/db', { fs, ...WRITE });
      const key = (k: number): string => `key${String(k).padStart(2, '0')}`;
      let gen = 0;
      const value = (k: number, large: boolean): string => {
        gen++;
        return large ? big(`${key(k)}/${gen}`, 100 + (gen % 7) * 150, gen % 3 === 0) : `small ${k}/${gen}`;
      };
      try {
        for (const op of ops) {
          switch (op.t) {
            case 'put': {
              const v = value(op.k, op.big);
              db.put(key(op.k), v, { sync: op.sync });
              model.set(key(op.k), v);
              break;
            }
            case 'del':
              db.delete(key(op.k));
              model.delete(key(op.k));
              break;
            case 'batch': {
              const b = new WriteBatch();
              for (const k of op.ks) {
                const v = value(k, k % 2 === 0);
                b.put(key(k), v);
                model.set(key(k), v);
              }
              if (op.ks.length > 0) db.write(b);
              break;
            }
            case 'async': {
              const all: Promise<void>[] = [];
              for (const k of op.ks) {
                const v = value(k, k % 3 !== 0);
                all.push(db.putAsync(key(k), v, { sync: op.sync }));
                model.set(key(k), v);
              }
              await Promise.all(all);
              break;
            }
            case 'txn': {
              const tx = db.transaction();
              for (const k of op.ks) {
                const v = value(k, true);
                tx.put(key(k), v);
                model.set(key(k), v);
              }
              await tx.commit();
              break;
            }
            case 'flush':
              await db.flush();
              break;
            case 'gc':
              await db.collectGarbage({ gcRatio: 0.9 });
              break;
            case 'compact':
              await db.compactRange();
              break;
            case 'reopen':
              await db.close();
              db = await DB.open('/db', { fs, ...WRITE });
              break;
          }
        }
        for (let k = 0; k <= 30; k++) {
          const got = db.get(key(k));
          assert.equal(got === undefined ? undefined : fromUtf8(got), model.get(key(k)), key(k));
        }
        const scanned = [...db.iterator()].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
        assert.deepEqual(
          scanned,
          [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
        );
        const rev = [...db.iterator({ reverse: true })].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
        assert.deepEqual(rev, [...scanned].reverse());
      } finally {
        await db.close();
      }
      const report = await DB.verify('/db', { fs, ...WRITE });
      assert.ok(report.ok, JSON.stringify(report.problems));
    }),
    { numRuns: 100 },
  );
});

test('the WAL holds pointers, not values; the memtable reads through them; a flush moves only pointers', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', {
    fs,
    ...WRITE,
    writeBufferSize: 1 << 20,
    valueLog: { ...WRITE.valueLog, segmentSize: 1 << 20 },
  });
  const v = big('a', 5000, true);
  for (let i = 0; i < 10; i++) db.put(`k${i}`, `${i}${v}`);
  const log = files(fs, '/db', 'log').at(-1)!;
  assert.ok(fs.fileSize(logFileName('/db', log)) < 1000, 'ten 5 KB values, under 1 KB of WAL');
  const segs = files(fs, '/db', 'segment');
  assert.equal(segs.length, 1, 'the open segment');
  assert.ok(fs.fileSize(segmentFileName('/db', segs[0]!)) > 50_000);
  assert.equal(fromUtf8(db.get('k3')!), `3${v}`);
  const snap = db.snapshot();
  db.put('k3', 'small now');
  assert.equal(fromUtf8(db.get('k3', { snapshot: snap })!), `3${v}`);
  snap.release();
  await db.flush();
  assert.deepEqual(files(fs, '/db', 'segment'), segs, 'the flush wrote no segment of its own');
  const table = files(fs, '/db', 'table')[0]!;
  const size = fs.fileSize(`/db/${String(table).padStart(6, '0')}.ldb`);
  assert.ok(size < 2000, `the table holds pointers (${size} bytes)`);
  assert.equal(db.versions.current.segments.get(segs[0]!)?.records, 10);
  assert.equal(db.versions.activeSegments.size, 0);
  // Write amplification counts the values' one write like the WAL's (not at all); the total counts it.
  const wa = Number(db.getProperty('shale.write-amplification'));
  const total = Number(db.getProperty('shale.total-write-amplification'));
  assert.ok(wa < 0.05, `flushes wrote ${wa} bytes per byte put`);
  assert.ok(total > 0.95 && total < 1.1, `${total} bytes written per byte put (incompressible values)`);
  await db.close();
});

test('the open segment is named in the MANIFEST: LevelDB refuses the database before any flush', async () => {
  const dir = makeTmpDir('shale-vlog-write-');
  try {
    const db = await DB.open(dir, WRITE);
    db.put('k', big('k', 500), { sync: true });
    assert.equal(db.versions.activeSegments.size, 1);
    await db.close();
    const level = new ClassicLevel(dir);
    await assert.rejects(level.open(), (e: Error & { cause?: Error & { code?: string } }) => {
      assert.equal(e.cause?.code, 'LEVEL_CORRUPTION');
      assert.match(String(e.cause?.message), /VersionEdit: unknown tag/);
      return true;
    });
    // shale without the option refuses too: the log points into the segment.
    await assert.rejects(DB.open(dir), { code: ErrorCode.NOT_SUPPORTED });
    const again = await DB.open(dir, WRITE);
    assert.equal(fromUtf8(again.get('k')!), big('k', 500));
    assert.equal(
      again.versions.activeSegments.size,
      0,
      'recovery flushed the log: the segment is in the version',
    );
    await again.close();
  } finally {
    removeTmpDir(dir);
  }
});

test("recovery ends the log at the first record pointing past the segment's valid prefix", async () => {
  for (const damage of ['truncate', 'flip', 'remove'] as const) {
    const fs = new MemFileSystem();
    const db = await DB.open('/db', { fs, ...WRITE, writeBufferSize: 1 << 20 });
    for (let i = 0; i < 10; i++) {
      db.put(`a${i}`, big(`a${i}`, 400, true));
      db.put(`s${i}`, `small${i}`);
    }
    await db.close();
    const seg = segmentFileName('/db', files(fs, '/db', 'segment')[0]!);
    const data = fs.readFile(seg);
    // Each record is 16 + 2 (key) + 1 (kind) + 400 bytes (random: stored raw). Keep four, damage the fifth.
    const cut = 8 + 4 * 419 + 100;
    if (damage === 'remove') fs.remove(seg);
    else {
      const f = fs.createWritable(seg);
      const kept = damage === 'truncate' ? data.slice(0, cut) : data.slice();
      if (damage === 'flip') kept[cut]! ^= 1;
      f.append(kept);
      f.close();
    }
    const again = await DB.open('/db', { fs, ...WRITE });
    const n = damage === 'remove' ? 0 : 4;
    for (let i = 0; i < 10; i++) {
      const a = again.get(`a${i}`);
      const s = again.get(`s${i}`);
      assert.equal(a && fromUtf8(a), i < n ? big(`a${i}`, 400, true) : undefined, `${damage} a${i}`);
      // A prefix: the small value written after a lost large one is gone too.
      assert.equal(s && fromUtf8(s), i < n ? `small${i}` : undefined, `${damage} s${i}`);
    }
    await again.close();
    const report = await DB.verify('/db', { fs, ...WRITE });
    assert.ok(report.ok, `${damage}: ${JSON.stringify(report.problems)}`);
  }
});

test('segment records are Snappy-compressed when that saves an eighth; reads decompress and check', () => {
  const fs = new MemFileSystem();
  fs.mkdir('/d');
  const w = new SegmentWriter(fs, '/d', 3, { compress: true });
  const compressible = utf8(big('c', 10_000));
  const random = utf8(big('r', 10_000, true));
  const large = new Uint8Array(200_000).fill(5);
  const p1 = w.add(utf8('c'), compressible);
  const p2 = w.add(utf8('r'), random);
  const p3 = w.add(utf8('l'), large);
  const p4 = w.add(utf8('e'), new Uint8Array(0));
  w.finish();
  assert.ok(p1.length < 1000, `compressible value stored in ${p1.length} bytes`);
  assert.equal(p2.length, 10_000, 'an incompressible value is stored raw');
  assert.ok(p3.length < 20_000);
  const reader = new ValueLogReader(fs, '/d', 0);
  assert.deepEqual(reader.readPointer(p1), compressible);
  assert.deepEqual(reader.readPointer(p2), random);
  assert.deepEqual(reader.readPointer(p3), large);
  assert.deepEqual(reader.readPointer(p4), new Uint8Array(0));
  const seen: number[] = [];
  scanSegment(fs, segmentFileName('/d', 3), (r) => seen.push(r.value.length));
  assert.deepEqual(seen, [10_000, 10_000, 200_000, 0]);
  reader.close();
});

test('version-1 segments (no kind byte, never compressed) still read', () => {
  const fs = new MemFileSystem();
  fs.mkdir('/d');
  // A version-1 record, written as the previous format did.
  const key = utf8('old');
  const value = utf8(big('v', 3000));
  const hdr = new Uint8Array(16);
  encodeFixed32(hdr, 4, key.length);
  encodeFixed32(hdr, 8, value.length);
  const valueCrc = maskCrc(crc32c(value));
  encodeFixed32(hdr, 12, valueCrc);
  encodeFixed32(hdr, 0, maskCrc(crc32cExtend(crc32c(hdr, 4, 16), key)));
  const f = fs.createWritable(segmentFileName('/d', 9));
  f.append(SEGMENT_MAGIC);
  f.append(hdr);
  f.append(key);
  f.append(value);
  f.close();
  const reader = new ValueLogReader(fs, '/d', 0);
  const offset = 8 + 16 + key.length;
  assert.deepEqual(reader.readPointer({ segment: 9, offset, length: value.length, crc: valueCrc }), value);
  const seen: string[] = [];
  scanSegment(fs, segmentFileName('/d', 9), (r) =>
    seen.push(`${fromUtf8(r.key)}:${r.value.length}:${r.valueOffset}`),
  );
  assert.deepEqual(seen, [`old:3000:${offset}`]);
  reader.close();
});

test('separateAt: flush keeps values in the WAL; a database written either way opens the other way', async () => {
  const fs = new MemFileSystem();
  const FLUSH = { ...WRITE, valueLog: { ...WRITE.valueLog, separateAt: 'flush' as const } };
  let db = await DB.open('/db', { fs, ...FLUSH, writeBufferSize: 1 << 20 });
  db.put('f', big('f', 5000, true));
  assert.equal(files(fs, '/db', 'segment').length, 0, 'nothing separated before the flush');
  await db.close();
  db = await DB.open('/db', { fs, ...WRITE });
  db.put('w', big('w', 5000, true));
  await db.close();
  db = await DB.open('/db', { fs, ...FLUSH });
  assert.equal(fromUtf8(db.get('f')!), big('f', 5000, true));
  assert.equal(fromUtf8(db.get('w')!), big('w', 5000, true));
  await db.close();
});

test('a secondary instance and a read-only open read values the primary has only in its open segment', async () => {
  const dir = makeTmpDir('shale-vlog-secondary-');
  const opts = { ...WRITE, writeBufferSize: 1 << 20, valueLog: { ...WRITE.valueLog, segmentSize: 1 << 20 } };
  try {
    const db = await DB.open(dir, opts);
    for (let i = 0; i < 20; i++) db.put(`k${i}`, big(`k${i}`, 2000, true));
    const secondary = await DB.openSecondary(dir, opts);
    const reader = await DB.open(dir, { ...opts, readOnly: true });
    for (let i = 0; i < 20; i++) {
      assert.equal(fromUtf8(secondary.get(`k${i}`)!), big(`k${i}`, 2000, true));
      assert.equal(fromUtf8(reader.get(`k${i}`)!), big(`k${i}`, 2000, true));
    }
    for (let i = 20; i < 30; i++) db.put(`k${i}`, big(`k${i}`, 2000, true));
    await secondary.catchUp();
    assert.equal(fromUtf8(secondary.get('k25')!), big('k25', 2000, true));
    await db.flush();
    await secondary.catchUp();
    assert.equal(fromUtf8(secondary.get('k29')!), big('k29', 2000, true));
    assert.equal(fromUtf8(reader.get('k19')!), big('k19', 2000, true));
    await reader.close();
    await secondary.close();
    await db.close();
  } finally {
    removeTmpDir(dir);
  }
});
