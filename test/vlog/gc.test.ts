/**
 * Value-log garbage collection (docs/vlog.md): the garbage counters compactions keep (and the MANIFEST
 * persists), collectGarbage() relocating live values and dropping segments, readers holding an old
 * snapshot or iterator across a GC, concurrent writers winning, and a crash at every file-system
 * operation of a GC (every crash mode) leaving a database that opens with every value intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem } from '../../src/index.js';
import type { FileSystem } from '../../src/index.js';
import { parseFileName } from '../../src/version/file-names.js';
import { liveRatio } from '../../src/db/value-log-gc.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';
import { CRASH_MODES, FaultFileSystem } from '../support/fault-fs.js';

const OPTS = {
  writeBufferSize: 64 * 1024,
  valueLog: { minValueSize: 100, segmentSize: 8 * 1024, backgroundGc: false },
};

const key = (i: number): string => `k${String(i).padStart(3, '0')}`;
const val = (i: number, gen: number, n = 400): string =>
  `${i}/${gen}:`.padEnd(n, String.fromCharCode(97 + (gen % 26)));

function segmentFiles(fs: FileSystem, dir: string): number[] {
  return fs
    .list(dir)
    .map((n) => parseFileName(n))
    .filter((p) => p?.type === 'segment')
    .map((p) => p!.number)
    .sort((a, b) => a - b);
}

/** over tells whether key i is among the `overwritten` of 100 (spread evenly: every segment loses some). */
const over = (i: number, overwritten: number): boolean =>
  overwritten > 0 && i % Math.round(100 / (100 - overwritten)) !== 0;

/** build writes 100 keys, then overwrites `overwritten` of them, and compacts everything. */
async function build(
  fs: FileSystem,
  overwritten: number,
  options: Record<string, unknown> = OPTS,
): Promise<DB> {
  const db = await DB.open('/db', { fs, ...options });
  for (let i = 0; i < 100; i++) db.put(key(i), val(i, 0));
  await db.flush();
  for (let i = 0; i < 100; i++) if (over(i, overwritten)) db.put(key(i), val(i, 1));
  await db.compactRange();
  return db;
}

function expectAll(db: DB, overwritten: number, what: string, opts = {}): void {
  for (let i = 0; i < 100; i++) {
    const got = db.get(key(i), opts);
    assert.equal(got && fromUtf8(got), val(i, over(i, overwritten) ? 1 : 0), `${what}: ${key(i)}`);
  }
}

test('compactions count garbage per segment, and the counts survive a reopen', async () => {
  const fs = new MemFileSystem();
  const db = await build(fs, 80);
  const segs = [...db.versions.current.segments.values()];
  const garbage = segs.reduce((n, s) => n + s.garbageRecords, 0);
  assert.equal(garbage, 80, 'each overwritten value counted once');
  const counts = JSON.stringify(segs);
  await db.close();
  const again = await DB.open('/db', { fs, ...OPTS });
  assert.equal(JSON.stringify([...again.versions.current.segments.values()]), counts);
  // Deletions count too.
  for (let i = 90; i < 100; i++) again.delete(key(i));
  await again.compactRange();
  const after = [...again.versions.current.segments.values()].reduce((n, s) => n + s.garbageRecords, 0);
  assert.equal(after, 90);
  await again.close();
});

test('collectGarbage relocates live values, drops the old segments and frees their space', async () => {
  const fs = new MemFileSystem();
  const db = await build(fs, 80);
  const before = segmentFiles(fs, '/db');
  const low = [...db.versions.current.segments.values()]
    .filter((s) => liveRatio(s) < 0.5)
    .map((s) => s.number);
  assert.ok(low.length > 0);
  const r = await db.collectGarbage();
  assert.equal(r.segmentsRewritten, low.length);
  assert.equal(r.segmentsDropped, low.length);
  assert.equal(r.segmentsPending, 0);
  assert.ok(r.valuesRelocated > 0 && r.valuesRelocated <= 20);
  const after = segmentFiles(fs, '/db');
  for (const n of low) assert.ok(!after.includes(n), `segment ${n} deleted`);
  assert.ok(after.length <= before.length + 1);
  expectAll(db, 80, 'after gc');
  assert.equal(db.gc!.history.length, 1);
  // Nothing left to do: a second run changes nothing.
  const r2 = await db.collectGarbage();
  assert.equal(r2.segmentsRewritten, 0);
  await db.close();
  const again = await DB.open('/db', { fs, ...OPTS });
  assert.equal(again.gc!.history.length, 1, 'the run is remembered in the MANIFEST');
  assert.equal(again.gc!.history[0]!.segmentsDropped, r.segmentsDropped);
  expectAll(again, 80, 'after reopen');
  await again.compactRange();
  expectAll(again, 80, 'after compaction');
  await again.close();
  assert.equal((await DB.verify('/db', { fs, ...OPTS })).ok, true);
});

test('a reader holding an old snapshot or iterator across a GC keeps reading the relocated values', async () => {
  const fs = new MemFileSystem();
  const db = await build(fs, 80);
  const snap = db.snapshot();
  const it = db.iterator();
  it.seek(key(85));
  const seen: [string, string][] = [];
  for (let i = 85; i < 100; i++) seen.push([key(i), val(i, over(i, 80) ? 1 : 0)]);
  const low = [...db.versions.current.segments.values()]
    .filter((s) => liveRatio(s) < 0.5)
    .map((s) => s.number);
  // Overwrite some relocated keys after the snapshot: the snapshot must still see the old values.
  const r = await db.collectGarbage();
  assert.ok(r.segmentsRewritten > 0);
  assert.equal(r.segmentsDropped, 0, 'the snapshot is older than the rewrites');
  assert.equal(r.segmentsPending, r.segmentsRewritten);
  for (let i = 0; i < 100; i += 5) db.put(key(i), val(i, 2));
  expectAll(db, 80, 'snapshot read', { snapshot: snap });
  snap.release();
  const r2 = await db.collectGarbage();
  assert.equal(r2.segmentsDropped, r.segmentsPending, 'dropped once the snapshot is released');
  // The iterator's version still names the segments: their files stay until it closes.
  const files = segmentFiles(fs, '/db');
  for (const n of low) assert.ok(files.includes(n), `segment ${n} kept for the open iterator`);
  for (const [k, v] of seen) {
    assert.ok(it.valid());
    assert.equal(fromUtf8(it.key()), k);
    assert.equal(fromUtf8(it.value()), v);
    it.next();
  }
  it.close();
  const afterClose = segmentFiles(fs, '/db');
  for (const n of low) assert.ok(!afterClose.includes(n), `segment ${n} deleted after the iterator closed`);
  for (let i = 0; i < 100; i += 5) assert.equal(fromUtf8(db.get(key(i))!), val(i, 2));
  await db.close();
});

test('a write racing a GC wins', async () => {
  const fs = new MemFileSystem();
  // Large values: the GC relocates them in several batches, yielding between them.
  const db = await DB.open('/db', { fs, ...OPTS, valueLog: { ...OPTS.valueLog, segmentSize: 8 << 20 } });
  for (let i = 0; i < 40; i++) db.put(key(i), val(i, 0, 200_000));
  await db.flush();
  for (let i = 0; i < 30; i++) db.put(key(i), val(i, 1, 200));
  await db.compactRange();
  const gc = db.collectGarbage();
  // The GC wrote its first batch synchronously; everything written now is newer and must survive.
  for (let i = 30; i < 40; i++) db.put(key(i), val(i, 3, 150));
  const r = await gc;
  assert.ok(r.valuesRelocated < 10, `relocated ${r.valuesRelocated}: the later batches saw the new writes`);
  for (let i = 30; i < 40; i++) assert.equal(fromUtf8(db.get(key(i))!), val(i, 3, 150));
  await db.close();
});

test('background GC runs after compactions that make garbage', async () => {
  const fs = new MemFileSystem();
  const db = await build(fs, 90, { ...OPTS, valueLog: { ...OPTS.valueLog, backgroundGc: true } });
  for (let i = 0; i < 50 && db.gc!.history.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(db.gc!.history.length > 0, 'a background run happened');
  expectAll(db, 90, 'after background gc');
  await db.close();
});

test('a crash at any point of a GC leaves every value readable (every crash mode)', async () => {
  const run = async (crashAt: number): Promise<{ fs: FaultFileSystem; start: number; end: number }> => {
    const fs = new FaultFileSystem();
    fs.mkdir('/db');
    const db = await build(fs, 80);
    const start = fs.ops;
    fs.crashAt = start + crashAt;
    try {
      await db.collectGarbage();
      for (let i = 0; i < 10; i++) db.put(key(i), val(i, over(i, 80) ? 1 : 0)); // unsynced, same values
    } catch {
      // the power went out
    }
    return { fs, start, end: fs.ops };
  };
  const dry = await run(Infinity);
  const n = dry.end - dry.start;
  assert.ok(n > 10, `the GC does file-system work (${n} operations)`);
  let images = 0;
  for (let k = 0; k <= n; k++) {
    const { fs } = await run(k);
    if (!fs.crashed) continue;
    for (const mode of CRASH_MODES) {
      const img = fs.crashImage(mode, new Random(k));
      let db: DB;
      try {
        db = await DB.open('/db', { fs: img, ...OPTS });
      } catch (err) {
        assert.fail(`crash at GC op ${k}/${n} (${mode}): the image does not open: ${String(err)}`);
      }
      try {
        expectAll(db, 80, `crash at GC op ${k}/${n} (${mode})`);
        // The interrupted GC can be run again.
        await db.collectGarbage();
        expectAll(db, 80, `GC again after a crash at op ${k}/${n} (${mode})`);
      } finally {
        await db.close();
      }
      images++;
    }
  }
  assert.ok(images > n, `${images} crash images checked`);
});

test('a read-only open keeps reading segments a writer garbage-collects away', async () => {
  const fs = new MemFileSystem();
  const db = await build(fs, 80);
  const reader = await DB.open('/db', { fs, ...OPTS, readOnly: true });
  const before = segmentFiles(fs, '/db');
  const r = await db.collectGarbage();
  assert.ok(r.segmentsDropped > 0);
  const after = segmentFiles(fs, '/db');
  assert.ok(
    before.some((n) => !after.includes(n)),
    'the writer deleted segments',
  );
  expectAll(reader, 80, 'read-only reader after the GC');
  await reader.close();
  await db.close();
});
