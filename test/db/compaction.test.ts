/**
 * Compaction and background work through the public API: levels filling and draining, snapshots and
 * tombstones across compactions, the compaction filter, back-pressure, group commit, failing jobs and
 * close during a job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { DB, WriteBatch, MemFileSystem, NodeFileSystem, ErrorCode } from '../../src/index.js';
import type { WritableFile } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8, toHex, utf8 } from '../../src/util/bytes.js';
import { sequenceOf, typeOf, userKeyOf, ValueType } from '../../src/memtable/internal-key.js';
import { IOError } from '../../src/util/errors.js';
import { makeTmpDir, removeTmpDir, tmpDirFor } from '../support/tmp-dir.js';
import { KEEP, REMOVE } from '../../src/compaction/compaction-filter.js';
import { COMPACTION_NICENESS } from '../../src/compaction/job-runner.js';

const TINY = {
  writeBufferSize: 2048,
  maxFileSize: 2048,
  level1MaxBytes: 8192,
  l0CompactionTrigger: 2,
  l0SlowdownWritesTrigger: 4,
  l0StopWritesTrigger: 6,
  blockSize: 256,
};

function filesPerLevel(db: DB): number[] {
  const out: number[] = [];
  for (let level = 0; level < 7; level++)
    out.push(Number(db.getProperty(`leveldb.num-files-at-level${level}`)));
  return out;
}

/** internalEntries lists every stored version (user key, sequence, type) in internal-key order. */
function internalEntries(db: DB): { key: string; seq: number; type: number }[] {
  const it = db.internalIterator();
  const out: { key: string; seq: number; type: number }[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) {
    const k = it.key();
    out.push({ key: fromUtf8(userKeyOf(k)), seq: sequenceOf(k), type: typeOf(k) });
  }
  it.close();
  return out;
}

const key = (i: number): string => `key${String(i).padStart(6, '0')}`;

for (const where of ['inline', 'worker'] as const) {
  test(`random writes fill every level and read back exactly (${where} jobs)`, async (t) => {
    const onDisk = where === 'worker';
    const fs = onDisk ? new NodeFileSystem() : new MemFileSystem();
    const dir = onDisk ? tmpDirFor(t) : '/db';
    const db = await DB.open(dir, { fs, ...TINY });
    assert.equal(db.backgroundJobs, where);
    const rnd = new Random(301);
    const model = new Map<string, string>();
    let maxDepth = 0;
    for (let i = 0; i < 6000; i++) {
      const k = key(rnd.uniform(1500));
      if (rnd.oneIn(5)) {
        db.delete(k);
        model.delete(k);
      } else {
        const v = `${k}:${i}:${'x'.repeat(rnd.uniform(60))}`;
        db.put(k, v);
        model.set(k, v);
      }
      if (i % 500 === 0) {
        const levels = filesPerLevel(db);
        assert.ok(levels[0]! <= TINY.l0StopWritesTrigger, `L0 above the stop trigger: ${levels}`);
        for (let l = 0; l < 7; l++) if (levels[l]! > 0) maxDepth = Math.max(maxDepth, l);
      }
    }
    await db.flush();
    const levels = filesPerLevel(db);
    for (let l = 0; l < 7; l++) if (levels[l]! > 0) maxDepth = Math.max(maxDepth, l);
    assert.ok(maxDepth >= 2, `compaction should have reached level 2 or deeper: ${levels}`);
    const want = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const got = [...db.iterator()].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]);
    assert.deepEqual(got, want);
    for (const [k, v] of want.slice(0, 200)) assert.equal(fromUtf8(db.get(k)!), v);
    assert.ok(Number(db.getProperty('shale.write-amplification')) > 1);
    assert.match(db.getProperty('leveldb.stats')!, /Compactions/);

    // A full manual compaction leaves one sorted run with one version per live key and no tombstone.
    await db.compactRange();
    const after = filesPerLevel(db);
    assert.equal(after.filter((n) => n > 0).length, 1, `one level after compactRange: ${after}`);
    const entries = internalEntries(db);
    assert.equal(entries.length, model.size);
    assert.ok(entries.every((e) => e.type === ValueType.VALUE));
    await db.close();
    const again = await DB.open(dir, { fs, ...TINY });
    assert.deepEqual(
      [...again.iterator()].map(([k, v]) => [fromUtf8(k), fromUtf8(v)]),
      want,
    );
    await again.close();
  });
}

test('snapshots keep the versions they see through compactions', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, ...TINY });
  for (let i = 0; i < 300; i++) db.put(key(i), `old${i}`);
  const snap = db.snapshot();
  for (let i = 0; i < 300; i++) {
    if (i % 2 === 0) db.delete(key(i));
    else db.put(key(i), `new${i}`);
  }
  await db.compactRange();
  for (let i = 0; i < 300; i++) {
    assert.equal(fromUtf8(db.get(key(i), { snapshot: snap })!), `old${i}`);
    assert.equal(db.get(key(i)) && fromUtf8(db.get(key(i))!), i % 2 === 0 ? undefined : `new${i}`);
  }
  assert.equal([...db.iterator({ snapshot: snap })].length, 300);
  // While the snapshot lives, both versions (and the tombstones) stay.
  assert.equal(internalEntries(db).length, 600);
  snap.release();
  await db.compactRange();
  assert.deepEqual(
    internalEntries(db).map((e) => e.key),
    Array.from({ length: 150 }, (_, j) => key(2 * j + 1)),
  );
  await db.close();
});

test('a tombstone is dropped only when no deeper level may hold its key', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', {
    fs,
    ...TINY,
    l0CompactionTrigger: 100,
    l0SlowdownWritesTrigger: 100,
    l0StopWritesTrigger: 100,
  });
  // "a" ends in a deep level; then it is deleted and only the upper levels are compacted.
  db.put('a', 'deep');
  db.put('z', 'deep');
  await db.compactRange();
  const deepLevel = filesPerLevel(db).findIndex((n) => n > 0);
  assert.ok(deepLevel >= 1);
  db.delete('a');
  db.put('m', 'middle');
  await db.flush();
  // Compact only level 0 into level 1 by a ranged compaction over "a".."m" of level 0 and 1.
  await db.compactRange('a', 'm');
  assert.equal(db.get('a'), undefined);
  const entries = internalEntries(db);
  const a = entries.filter((e) => e.key === 'a');
  // Either the tombstone survived above the old value, or both are gone: never the value alone.
  assert.ok(a.length === 0 || a[0]!.type === ValueType.DELETION, JSON.stringify(a));
  await db.compactRange();
  assert.deepEqual(
    internalEntries(db).map((e) => e.key),
    ['m', 'z'],
  );
  await db.close();
  const reopened = await DB.open('/db', { fs });
  assert.equal(reopened.get('a'), undefined);
  await reopened.close();
});

test('the compaction filter keeps, removes and changes values, never under a live snapshot', async () => {
  const fs = new MemFileSystem();
  const contexts: { level: number; isManual: boolean }[] = [];
  let filtered = 0;
  const db = await DB.open('/db', {
    fs,
    ...TINY,
    compactionFilterFactory: (ctx) => {
      contexts.push(ctx);
      return {
        filter(_level, k, v) {
          filtered++;
          const value = fromUtf8(v);
          if (value.startsWith('expired')) return REMOVE;
          if (value.startsWith('upper')) return { kind: 'change', value: utf8(value.toUpperCase()) };
          assert.ok(k.length > 0);
          return KEEP;
        },
      };
    },
  });
  db.put('k1', 'expired-1');
  db.put('k2', 'upper-2');
  db.put('k3', 'plain-3');
  db.put('k4', 'v-old');
  const snap = db.snapshot();
  db.put('k4', 'expired-4'); // newer than the snapshot: removed, the snapshot still sees v-old
  db.put('k5', 'expired-5'); // no older version: removed entirely once compacted to the bottom
  const snap2 = db.snapshot(); // sees k5 and k4=expired-4: the filter must not touch them yet
  await db.compactRange();
  assert.equal(fromUtf8(db.get('k5', { snapshot: snap2 })!), 'expired-5');
  snap2.release();
  await db.compactRange();
  // The versions `snap` can see are untouched: k1..k3 still as written.
  assert.equal(fromUtf8(db.get('k1')!), 'expired-1');
  assert.equal(fromUtf8(db.get('k2')!), 'upper-2');
  // k4's newest version and k5 are beyond every snapshot now: filtered away.
  assert.equal(db.get('k4'), undefined);
  assert.equal(db.get('k5'), undefined);
  assert.equal(fromUtf8(db.get('k4', { snapshot: snap })!), 'v-old');
  snap.release();
  await db.compactRange();
  assert.ok(contexts.length >= 2 && contexts.every((c) => c.isManual));
  assert.ok(filtered > 0);
  assert.equal(db.get('k1'), undefined);
  assert.equal(fromUtf8(db.get('k2')!), 'UPPER-2');
  assert.equal(fromUtf8(db.get('k3')!), 'plain-3');
  assert.equal(db.get('k4'), undefined);
  assert.deepEqual(
    internalEntries(db).map((e) => e.key),
    ['k2', 'k3'],
  );
  await db.close();
});

test('writes slow down at the slowdown trigger and never push level 0 past the stop trigger', async () => {
  const fs = new MemFileSystem();
  // Compaction never triggers on its own here, so level 0 grows and writes are delayed 1 ms each.
  const db = await DB.open('/db', {
    fs,
    writeBufferSize: 1024,
    l0CompactionTrigger: 50,
    l0SlowdownWritesTrigger: 2,
    l0StopWritesTrigger: 60,
  });
  let i = 0;
  while (filesPerLevel(db)[0]! < 2) db.put(key(i++ % 50), 'v'.repeat(100));
  const before = db.stallMicros;
  const t0 = performance.now();
  for (let j = 0; j < 20; j++) db.put(key(i++), 'v');
  assert.ok(performance.now() - t0 >= 19, 'each write waited about 1 ms');
  assert.equal(db.stallMicros - before, 20_000);
  await db.close();
});

test('back-pressure holds level 0 under the stop trigger with worker jobs, sync and async writers', async (t) => {
  const dir = tmpDirFor(t);
  const db = await DB.open(dir, {
    writeBufferSize: 4096,
    l0CompactionTrigger: 2,
    l0SlowdownWritesTrigger: 3,
    l0StopWritesTrigger: 4,
    maxFileSize: 4096,
    level1MaxBytes: 16384,
  });
  assert.equal(db.backgroundJobs, 'worker');
  let maxL0 = 0;
  const rnd = new Random(7);
  for (let i = 0; i < 3000; i++) {
    db.put(key(rnd.uniform(100000)), 'v'.repeat(50));
    maxL0 = Math.max(maxL0, filesPerLevel(db)[0]!);
  }
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 3000; i++) {
    pending.push(db.putAsync(key(rnd.uniform(100000)), 'w'.repeat(50)));
    if (pending.length >= 50) {
      await Promise.all(pending.splice(0));
      maxL0 = Math.max(maxL0, filesPerLevel(db)[0]!);
    }
  }
  await Promise.all(pending);
  assert.ok(maxL0 <= 4, `level 0 reached ${maxL0}`);
  await db.close();
});

/** CountingFs counts appends and syncs of WAL files. */
class CountingFs extends MemFileSystem {
  walAppends = 0;
  walSyncs = 0;
  failTables = false;

  override createWritable(path: string): WritableFile {
    if (this.failTables && path.endsWith('.ldb'))
      throw new IOError('injected: no space left', 'ENOSPC', 'open', path);
    const f = super.createWritable(path);
    if (!path.endsWith('.log')) return f;
    return this.wrap(f);
  }

  override openAppendable(path: string): WritableFile {
    const f = super.openAppendable(path);
    return path.endsWith('.log') ? this.wrap(f) : f;
  }

  private wrap(f: WritableFile): WritableFile {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      get path() {
        return f.path;
      },
      get size() {
        return f.size;
      },
      append(d: Uint8Array) {
        self.walAppends++;
        f.append(d);
      },
      sync() {
        self.walSyncs++;
        f.sync();
      },
      async syncAsync() {
        self.walSyncs++;
        // A real fsync takes a while: let more writers queue up meanwhile.
        await new Promise((r) => setTimeout(r, 2));
        await f.syncAsync();
      },
      close() {
        f.close();
      },
    };
  }
}

test('group commit: concurrent sync writers share WAL records and fsyncs', async () => {
  const fs = new CountingFs();
  const db = await DB.open('/db', { fs });
  const appends0 = fs.walAppends;
  const syncs0 = fs.walSyncs;
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) writes.push(db.putAsync(key(i), `v${i}`, { sync: true }));
  await Promise.all(writes);
  const syncs = fs.walSyncs - syncs0;
  const appends = fs.walAppends - appends0;
  assert.ok(syncs >= 1 && syncs <= 4, `200 sync writers took ${syncs} fsyncs`);
  assert.equal(appends, syncs, 'one WAL record per group');
  for (let i = 0; i < 200; i++) assert.equal(fromUtf8(db.get(key(i))!), `v${i}`);

  // A sync writer never rides in a group that is not synced: A (sync) is in flight while B, C (no
  // sync) and D (sync) queue; B and C form one group without an fsync, D its own synced group.
  const s0 = fs.walSyncs;
  const a0 = fs.walAppends;
  const a = db.putAsync('A', '1', { sync: true });
  await new Promise((r) => setImmediate(r)); // A's group is written; its fsync is in flight
  const b = db.putAsync('B', '2');
  const c = db.writeAsync(new WriteBatch().put('C', '3').delete('A'));
  const d = db.putAsync('D', '4', { sync: true });
  await Promise.all([a, b, c, d]);
  assert.equal(fs.walAppends - a0, 3);
  assert.equal(fs.walSyncs - s0, 2);
  assert.equal(db.get('A'), undefined);
  assert.equal(fromUtf8(db.get('D')!), '4');
  await db.close();

  // Everything acknowledged is in the log: a reopen replays it.
  const again = await DB.open('/db', { fs });
  assert.equal([...again.iterator()].length, 203);
  await again.close();
});

test('writeAsync rejects bad input and writes nothing', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  await assert.rejects(db.writeAsync({} as WriteBatch), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(db.putAsync(42 as unknown as string, 'v'), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(db.putAsync('k', 'v', { sync: 'yes' as unknown as boolean }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.equal([...db.iterator()].length, 0);
  await db.close();
  await assert.rejects(db.putAsync('k', 'v'), { code: ErrorCode.CLOSED });
});

test('a failing flush puts the database in read-only mode; reads keep working', async () => {
  const fs = new CountingFs();
  const db = await DB.open('/db', { fs, writeBufferSize: 1024 });
  db.put('before', 'ok');
  fs.failTables = true;
  await assert.rejects(
    db.flush(),
    (err: Error & { code?: string }) => err instanceof IOError || err.code === ErrorCode.BACKGROUND,
  );
  assert.throws(() => db.put('after', 'x'), { code: ErrorCode.BACKGROUND });
  await assert.rejects(db.putAsync('after', 'x'), { code: ErrorCode.BACKGROUND });
  assert.equal(fromUtf8(db.get('before')!), 'ok');
  await db.close();
  fs.failTables = false;
  const again = await DB.open('/db', { fs });
  assert.equal(fromUtf8(again.get('before')!), 'ok');
  await again.close();
});

test('a compaction that fails in the worker surfaces its error and keeps the data readable', async (t) => {
  const dir = tmpDirFor(t);
  const db = await DB.open(dir, {
    writeBufferSize: 4096,
    compression: 'none',
    l0CompactionTrigger: 100,
    l0SlowdownWritesTrigger: 100,
    l0StopWritesTrigger: 100,
  });
  for (let i = 0; i < 400; i++) db.put(key(i), 'v'.repeat(40));
  await db.flush();
  for (let i = 0; i < 400; i++) db.put(key(i), 'w'.repeat(40));
  await db.flush();
  // Damage the middle of the oldest table: its block checksum no longer matches.
  const fsys = new NodeFileSystem();
  const tables = fsys
    .list(dir)
    .filter((n) => n.endsWith('.ldb'))
    .sort();
  const victim = `${dir}/${tables[0]}`;
  const bytes = fsys.readFile(victim);
  bytes[100] ^= 0xff;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(victim, bytes);
  await assert.rejects(db.compactRange(), { code: ErrorCode.CORRUPTION });
  assert.throws(() => db.put('x', 'y'), { code: ErrorCode.BACKGROUND });
  assert.equal(fromUtf8(db.get(key(399))!), 'w'.repeat(40));
  await db.close();
});

test('close waits for a running compaction and leaves no partial files', async () => {
  const dir = makeTmpDir();
  try {
    const db = await DB.open(dir, {
      writeBufferSize: 64 * 1024,
      maxFileSize: 32 * 1024,
      l0CompactionTrigger: 100,
      l0SlowdownWritesTrigger: 100,
      l0StopWritesTrigger: 100,
    });
    const rnd = new Random(11);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 3000; i++) db.put(key(rnd.uniform(20000)), toHex(rnd.bytes(30)));
      await db.flush();
    }
    const compaction = db.compactRange().catch((e: unknown) => e);
    await db.close();
    const outcome = await compaction;
    assert.ok(outcome === undefined || (outcome as { code?: string }).code === ErrorCode.CLOSED);
    const reopened = await DB.open(dir);
    const live = new Set<string>();
    for (const line of reopened.getProperty('leveldb.sstables')!.split('\n')) {
      const m = /^ (\d+):/.exec(line);
      if (m) live.add(m[1]!);
    }
    const onDisk = new NodeFileSystem()
      .list(dir)
      .filter((n) => n.endsWith('.ldb'))
      .map((n) => String(Number(n.slice(0, -4))));
    assert.deepEqual(onDisk.sort(), [...live].sort());
    await reopened.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('a loop of synchronous reads takes finished background work (level 0 drains without a yield)', async () => {
  const dir = makeTmpDir();
  try {
    const db = await DB.open(dir, {
      backgroundJobs: 'worker',
      writeBufferSize: 16 * 1024,
      l0CompactionTrigger: 4,
    });
    const l0 = () => Number(db.getProperty('leveldb.num-files-at-level0'));
    const value = 'v'.repeat(100);
    let i = 0;
    const deadline = Date.now() + 20_000;
    while (l0() < 4 && Date.now() < deadline) db.put(`key${String(i++ % 5000).padStart(6, '0')}`, value);
    assert.ok(l0() >= 4, 'level 0 reached the compaction trigger');
    // No await from here on: only get() itself can take the compaction's result.
    let reads = 0;
    while (l0() >= 4 && Date.now() < deadline) {
      assert.equal(fromUtf8(db.get('key000000')!), value);
      reads++;
    }
    assert.ok(l0() < 4, `level 0 still at ${l0()} after ${reads} reads`);
    await db.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('obsolete files are unlinked in the background, and close() waits for those in flight', async () => {
  const dir = makeTmpDir();
  try {
    const base = new NodeFileSystem();
    let slow = 0;
    // A file system whose background unlinks take a while: close() must still see them done.
    const fs = Object.assign(Object.create(base) as NodeFileSystem, {
      removeInBackground: async (path: string) => {
        slow++;
        await new Promise((r) => setTimeout(r, 30));
        await base.removeInBackground(path);
      },
    });
    const db = await DB.open(dir, { fs, writeBufferSize: 8 * 1024, backgroundJobs: 'inline' });
    for (let i = 0; i < 2000; i++) db.put(`k${i % 300}`, 'v'.repeat(100));
    await db.close();
    assert.ok(slow > 0, 'some files were removed in the background');
    const logs = base.list(dir).filter((n) => n.endsWith('.log'));
    assert.equal(logs.length, 1, `only the live log is left: ${logs.join(' ')}`);
    const db2 = await DB.open(dir, { fs: base });
    assert.equal(fromUtf8(db2.get('k7')!), 'v'.repeat(100));
    await db2.close();
  } finally {
    removeTmpDir(dir);
  }
});

/** threadNices: the nice value of each thread of this process (Linux: /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  const out: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the command's closing parenthesis: state is field 3, nice field 19.
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.push(Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

test(
  'the compaction worker runs at a lower CPU priority than the main thread; the flush worker does not',
  { skip: process.platform === 'linux' ? false : 'thread priorities are read from /proc (Linux)' },
  async (t) => {
    const own = getPriority(0);
    if (own >= 19) return t.skip(`this process already runs at the lowest priority (nice ${own})`);
    const lowered = Math.min(19, own + COMPACTION_NICENESS);
    const before = threadNices().filter((n) => n > own).length;
    const db = await DB.open(tmpDirFor(t), { writeBufferSize: 4096, l0CompactionTrigger: 2 });
    try {
      assert.equal(db.backgroundJobs, 'worker');
      for (let i = 0; i < 2000; i++) db.put(key(i), 'v'.repeat(50));
      await db.compactRange();
      assert.ok(db.metrics().compaction.count > 0);
      const nices = threadNices();
      assert.equal(nices.filter((n) => n > own).length - before, 1, `one thread lowered: ${nices}`);
      assert.ok(nices.includes(lowered), `the compaction worker at nice ${lowered}: ${nices}`);
      assert.equal(getPriority(0), own, "the main thread's priority is untouched");
    } finally {
      await db.close();
    }
  },
);

test(
  'the first write starts the flush worker, before any flush needs it',
  { skip: process.platform === 'linux' ? false : 'threads are listed from /proc (Linux)' },
  async (t) => {
    const db = await DB.open(tmpDirFor(t));
    try {
      assert.equal(db.backgroundJobs, 'worker');
      await new Promise((r) => setTimeout(r, 200)); // open's own threads (libuv's pool) are up
      const before = new Set(readdirSync('/proc/self/task'));
      db.put('k', 'v');
      // A worker boots in about 0.2 s; the memtable is far from full, so no flush has been asked for.
      const deadline = Date.now() + 10_000;
      while (!readdirSync('/proc/self/task').some((tid) => !before.has(tid)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(
        readdirSync('/proc/self/task').some((tid) => !before.has(tid)),
        'a thread was started by the first write',
      );
      assert.equal(db.metrics().flush.count, 0);
      assert.equal(fromUtf8(db.get('k')!), 'v');
    } finally {
      await db.close();
    }
  },
);
