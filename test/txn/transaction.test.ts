/**
 * Transactions: the API's semantics at the edges, conflict detection (including writes through the plain
 * API, and across memtable switches, flushes and compactions), iterators, transact() and its retries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, ErrorCode, WriteBatch } from '../../src/index.js';
import type { Transaction } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { FaultFileSystem } from '../support/fault-fs.js';

const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromUtf8(b));
const pairs = (it: Iterable<[Uint8Array, Uint8Array]>): string[] =>
  [...it].map(([k, v]) => `${fromUtf8(k)}=${fromUtf8(v)}`);

async function memDb(options: Record<string, unknown> = {}): Promise<DB> {
  return DB.open('/db', { fs: new MemFileSystem(), ...options });
}

test('a transaction reads its snapshot plus its own writes; commit applies all, abort nothing', async () => {
  const db = await memDb();
  db.put('a', '1');
  db.put('b', '2');
  const tx = db.transaction();
  db.put('a', 'changed-later');
  assert.equal(s(tx.get('a')), '1', 'reads the snapshot taken at transaction()');
  tx.put('a', '10');
  tx.delete('b');
  tx.put('c', '30');
  assert.equal(s(tx.get('a')), '10');
  assert.equal(tx.get('b'), undefined);
  assert.equal(tx.has('c'), true);
  assert.equal(s(db.get('c')), undefined, 'nothing is visible before commit');
  const other = db.transaction();
  other.put('z', 'z');
  other.abort();
  assert.equal(db.get('z'), undefined);
  await assert.rejects(tx.commit(), { code: ErrorCode.TXN_CONFLICT }, 'a was written after the snapshot');
  assert.equal(s(db.get('a')), 'changed-later', 'a rejected commit applies nothing');
  assert.equal(db.get('c'), undefined);

  const t2 = db.transaction();
  t2.put('a', '10');
  t2.delete('b');
  t2.put('c', '30');
  await t2.commit();
  assert.equal(s(db.get('a')), '10');
  assert.equal(db.get('b'), undefined);
  assert.equal(s(db.get('c')), '30');
  await db.close();
});

test('every method throws a typed error after commit or abort; commit twice rejects', async () => {
  const db = await memDb();
  const calls = (tx: Transaction): (() => unknown)[] => [
    () => tx.get('k'),
    () => tx.put('k', 'v'),
    () => tx.delete('k'),
    () => tx.iterator(),
    () => tx.abort(),
  ];
  const done = db.transaction();
  done.put('k', 'v');
  await done.commit();
  const aborted = db.transaction();
  aborted.abort();
  for (const tx of [done, aborted]) {
    for (const f of calls(tx)) assert.throws(f, { code: ErrorCode.CLOSED });
    await assert.rejects(tx.commit(), { code: ErrorCode.CLOSED });
    await assert.rejects(tx.getForUpdate('k'), { code: ErrorCode.CLOSED });
  }
  // A read-only transaction commits.
  const ro = db.transaction();
  assert.equal(s(ro.get('k')), 'v');
  await ro.commit();
  await db.close();
});

test('commitUnchanged ends a transaction that wrote nothing at once; one that wrote is refused and stays open', async () => {
  const db = await memDb();
  const ro = db.transaction();
  assert.equal(ro.get('k'), undefined);
  assert.equal(ro.hasWrites, false);
  ro.commitUnchanged();
  assert.equal(ro.isOpen, false);
  assert.throws(() => ro.get('k'), { code: ErrorCode.CLOSED });
  assert.throws(() => ro.commitUnchanged(), { code: ErrorCode.CLOSED });
  const rw = db.transaction();
  rw.put('k', 'v');
  assert.equal(rw.hasWrites, true);
  assert.throws(() => rw.commitUnchanged(), { code: ErrorCode.INVALID_ARGUMENT });
  assert.equal(rw.isOpen, true);
  await rw.commit();
  assert.equal(s(db.get('k')), 'v');
  await db.close();
});

test('bad input gets a typed error and writes nothing; a closed database refuses transactions', async () => {
  const db = await memDb();
  const tx = db.transaction();
  assert.throws(() => tx.put(42 as unknown as string, 'v'), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => tx.put('k', null as unknown as string), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => tx.get({} as unknown as string), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => db.transaction({ isolation: 'chaos' as 'snapshot' }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.throws(() => db.transaction({ isolation: 'readCommitted' }), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => db.transaction({ maxBytes: -1 }), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => tx.iterator({ snapshot: db.snapshot() }), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(tx.commit({ sync: 'yes' as unknown as boolean }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  await assert.rejects(db.transact(42 as unknown as () => void), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(
    db.transact(() => 1, { retries: -1 }),
    { code: ErrorCode.INVALID_ARGUMENT },
  );
  tx.put('k', 'v');
  await tx.commit();
  assert.equal(s(db.get('k')), 'v');
  const open = db.transaction();
  open.put('x', 'y');
  await db.close();
  assert.throws(() => db.transaction(), { code: ErrorCode.CLOSED });
  assert.equal(open.isOpen, false, 'a transaction of a closed database is not open');
  assert.throws(() => open.get('x'), { code: ErrorCode.CLOSED });
  await assert.rejects(open.commit(), { code: ErrorCode.CLOSED });
});

test('maxBytes bounds the buffered writes; the failed write changes nothing and abort still works', async () => {
  const db = await memDb();
  const tx = db.transaction({ maxBytes: 1000 });
  tx.put('a', 'x'.repeat(500));
  assert.throws(() => tx.put('b', 'x'.repeat(600)), { code: ErrorCode.TXN_TOO_LARGE });
  assert.equal(tx.get('b'), undefined);
  tx.put('a', 'small'); // replacing a value frees its bytes
  tx.put('b', 'x'.repeat(600));
  assert.equal(tx.get('b')!.length, 600);
  tx.abort();
  assert.equal(db.get('a'), undefined);
  await db.close();
});

test('conflicts: a key written by anyone after the snapshot; writes to other keys never conflict', async () => {
  const db = await memDb();
  db.put('k', '0');
  // Plain put, delete, batch and a committed transaction each count as a write.
  const writers: ((d: DB) => Promise<void> | void)[] = [
    (d) => d.put('k', '1'),
    (d) => d.delete('k'),
    (d) => d.write(new WriteBatch().put('other', 'o').put('k', '2')),
    (d) => d.putAsync('k', '3', { sync: true }),
    async (d) => d.transact((t) => t.put('k', '4')),
  ];
  for (const w of writers) {
    const tx = db.transaction();
    tx.put('k', 'mine');
    await w(db);
    await assert.rejects(tx.commit(), { code: ErrorCode.TXN_CONFLICT }, String(w));
  }
  const tx = db.transaction();
  tx.get('k'); // a read, under 'snapshot', is not validated
  tx.put('mine', 'x');
  db.put('k', 'elsewhere');
  db.put('unrelated', 'u');
  await tx.commit();
  assert.equal(s(db.get('mine')), 'x');
  await db.close();
});

test('conflict detection holds across memtable switches, flushes and compactions for a long transaction', async () => {
  const db = await memDb({ writeBufferSize: 4096, backgroundJobs: 'inline' });
  db.put('hot', 'v0');
  const tx = db.transaction({ isolation: 'serializable' });
  const quiet = db.transaction();
  assert.equal(s(tx.get('hot')), 'v0');
  tx.put('t', '1');
  quiet.put('quiet', '1');
  db.put('hot', 'v1');
  // Bury the write under many memtables and compactions.
  for (let i = 0; i < 3000; i++) db.put(`fill${String(i).padStart(5, '0')}`, 'x'.repeat(50));
  await db.compactRange();
  assert.equal(db.mem.get(new TextEncoder().encode('hot'), Number.MAX_SAFE_INTEGER), undefined);
  assert.ok(
    Number(db.getProperty('leveldb.num-files-at-level1') ?? 0) +
      Number(db.getProperty('leveldb.num-files-at-level2') ?? 0) >
      0,
  );
  await assert.rejects(tx.commit(), { code: ErrorCode.TXN_CONFLICT });
  await quiet.commit();
  // The snapshot kept the old value readable throughout compaction.
  const reader = db.transaction();
  db.put('hot', 'v2');
  await db.compactRange();
  assert.equal(s(reader.get('hot')), 'v1');
  reader.abort();
  await db.close();
});

test('among concurrent conflicting commits exactly one wins (group commit included)', async () => {
  const db = await memDb();
  for (const sync of [false, true]) {
    db.put('c', '0');
    const txs = Array.from({ length: 10 }, (_, i) => {
      const tx = db.transaction();
      tx.put('c', String(i));
      return tx;
    });
    const results = await Promise.allSettled(txs.map((t) => t.commit({ sync })));
    const won = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(won, 1, `sync=${sync}: ${won} winners`);
    for (const r of results)
      if (r.status === 'rejected') assert.equal((r.reason as { code: string }).code, ErrorCode.TXN_CONFLICT);
  }
  await db.close();
});

test('transaction iterators merge own writes with the snapshot, both ways, with bounds, limit and seek', async () => {
  const db = await memDb();
  for (const k of ['a', 'c', 'e', 'g']) db.put(k, `db-${k}`);
  const tx = db.transaction();
  db.put('b', 'too-late');
  tx.put('d', 'tx-d');
  tx.put('c', 'tx-c');
  tx.delete('e');
  tx.put('h', 'tx-h');
  assert.deepEqual(pairs(tx.iterator()), ['a=db-a', 'c=tx-c', 'd=tx-d', 'g=db-g', 'h=tx-h']);
  assert.deepEqual(pairs(tx.iterator({ reverse: true })), ['h=tx-h', 'g=db-g', 'd=tx-d', 'c=tx-c', 'a=db-a']);
  assert.deepEqual(pairs(tx.iterator({ gt: 'a', lte: 'g' })), ['c=tx-c', 'd=tx-d', 'g=db-g']);
  assert.deepEqual(pairs(tx.iterator({ gte: 'c', limit: 2 })), ['c=tx-c', 'd=tx-d']);
  assert.deepEqual(pairs(tx.iterator({ lt: 'h', reverse: true, limit: 3 })), ['g=db-g', 'd=tx-d', 'c=tx-c']);
  const it = tx.iterator();
  it.seek('e');
  assert.equal(fromUtf8(it.key()), 'g');
  it.prev();
  assert.equal(fromUtf8(it.key()), 'd');
  it.prev();
  assert.equal(fromUtf8(it.key()), 'c');
  it.next();
  assert.equal(fromUtf8(it.key()), 'd');
  it.seekForPrev('f');
  assert.equal(fromUtf8(it.key()), 'd');
  it.seekToLast();
  assert.equal(fromUtf8(it.value()), 'tx-h');
  it.close();
  await tx.commit();
  await db.close();
});

test('an iterator kept open across awaits keeps reading its snapshot; it closes when the transaction ends', async () => {
  const db = await memDb({ writeBufferSize: 4096, backgroundJobs: 'inline' });
  for (let i = 0; i < 100; i++) db.put(`k${String(i).padStart(3, '0')}`, 'old');
  const tx = db.transaction();
  const it = tx.iterator();
  it.seekToFirst();
  let n = 0;
  for (; it.valid(); it.next(), n++) {
    assert.equal(fromUtf8(it.value()), 'old');
    if (n % 10 === 0) {
      await new Promise((r) => setImmediate(r));
      for (let i = 0; i < 100; i++) db.put(`k${String(i).padStart(3, '0')}`, 'new'.repeat(20));
      await db.flush();
    }
  }
  assert.equal(n, 100);
  tx.abort();
  assert.throws(() => it.valid(), { code: ErrorCode.CLOSED });
  await db.close();
});

test('transact: resolves to the result, retries conflicts up to `retries` re-runs, rethrows other errors', async () => {
  const db = await memDb();
  db.put('n', '0');
  assert.equal(await db.transact((tx) => s(tx.get('n'))), '0');
  // Every attempt conflicts: the function runs 1 + retries times.
  let runs = 0;
  await assert.rejects(
    db.transact(
      (tx) => {
        runs++;
        tx.put('n', 'mine');
        db.put('n', `interloper${runs}`);
      },
      { retries: 3 },
    ),
    { code: ErrorCode.TXN_CONFLICT },
  );
  assert.equal(runs, 4);
  // Conflicts on the first two attempts only.
  runs = 0;
  const r = await db.transact(
    (tx) => {
      runs++;
      tx.put('n', 'won');
      if (runs <= 2) db.put('n', 'interloper');
      return runs;
    },
    { retries: 2 },
  );
  assert.equal(r, 3);
  assert.equal(s(db.get('n')), 'won');
  // Another error is rethrown as is, nothing committed, no retry.
  runs = 0;
  const boom = new Error('boom');
  await assert.rejects(
    db.transact((tx) => {
      runs++;
      tx.put('n', 'never');
      throw boom;
    }),
    (e) => e === boom,
  );
  assert.equal(runs, 1);
  assert.equal(s(db.get('n')), 'won');
  await db.close();
});

test('concurrent async increments through transact never lose an update', async () => {
  const db = await memDb();
  db.put('counter', '0');
  const workers = 8;
  const each = 25;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < each; i++) {
        await db
          .transact(
            async (tx) => {
              const v = Number(s(tx.get('counter')));
              await new Promise((r) => setImmediate(r));
              tx.put('counter', String(v + 1));
            },
            { retries: 1000 },
          )
          .catch((e) => {
            throw e;
          });
      }
    }),
  );
  assert.equal(Number(s(db.get('counter'))), workers * each);
  await db.close();
});

test('a transaction keeps copies of Buffer keys and values: mutating them after put changes nothing', async () => {
  const db = await memDb();
  const tx = db.transaction();
  const k = Buffer.from('key');
  const v = Buffer.from('value');
  tx.put(k, v);
  k.write('KEY');
  v.write('VALUE');
  assert.equal(s(tx.get('key')), 'value');
  await tx.commit();
  assert.equal(s(db.get('key')), 'value');
  await db.close();
});

test('close waits for synced commits still waiting for their fsync; they resolve', async () => {
  const db = await memDb();
  const commits = Array.from({ length: 20 }, (_, i) =>
    db.transact((tx) => tx.put(`k${i}`, 'v'), { sync: true }),
  );
  const closed = db.close();
  await Promise.all(commits);
  await closed;
  const again = await DB.open('/db', { fs: (db as unknown as { fs: MemFileSystem }).fs });
  for (let i = 0; i < 20; i++) assert.equal(s(again.get(`k${i}`)), 'v');
  await again.close();
});

test('commits made in one turn are applied at once and share one WAL write; each resolves once it is in the OS', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  const db = await DB.open('/db', { fs, backgroundJobs: 'inline' });
  db.put('k0', 'old');
  const appends = fs.counts.append;
  let acked = 0;
  const commits = Array.from({ length: 10 }, (_, i) =>
    db.transact((tx) => tx.put(`k${i}`, `v${i}`)).then(() => void acked++),
  );
  assert.equal(s(db.get('k9')), 'v9', 'applied (visible) at once');
  assert.equal(fs.counts.append, appends, 'not written yet');
  assert.equal(acked, 0, 'not acknowledged before it is written');
  await Promise.all(commits);
  assert.equal(fs.counts.append - appends, 1, 'one write for the ten commits');
  // Acknowledged unsynced commits are in the OS: a process crash (every written byte kept) keeps them.
  const again = await DB.open('/db', { fs: fs.crashImage('keepAll') });
  for (let i = 0; i < 10; i++) assert.equal(s(again.get(`k${i}`)), `v${i}`);
  await again.close();
  await db.close();
});

test('a plain write after buffered commits is logged after them, in the same write', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  const db = await DB.open('/db', { fs, backgroundJobs: 'inline' });
  const appends = fs.counts.append;
  const commit = db.transact((tx) => tx.put('t', '1'));
  db.put('p', '2', { sync: true }); // synced: the commit ahead of it is on disk too
  assert.equal(fs.counts.append - appends, 1);
  const img = fs.crashImage('dropUnsynced');
  await commit;
  const again = await DB.open('/db', { fs: img });
  assert.equal(s(again.get('t')), '1');
  assert.equal(s(again.get('p')), '2');
  await again.close();
  await db.close();
});

test('a failed write of buffered commits rejects each of them, synced or not, and the database turns read-only', async () => {
  for (const mix of [
    [false, false, false],
    [true, true],
    [false, true, false, true],
  ]) {
    const fs = new FaultFileSystem();
    fs.mkdir('/db');
    const db = await DB.open('/db', { fs, backgroundJobs: 'inline' });
    db.put('a', '0');
    fs.faults.push({ op: 'append', path: /\.log$/, nth: 0, errno: 'EIO' });
    const results = await Promise.allSettled(
      mix.map((sync, i) => db.transact((tx) => tx.put(`k${i}`, 'v'), { sync })),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected', `mix ${JSON.stringify(mix)}`);
      assert.equal((r as PromiseRejectedResult).reason.code, ErrorCode.IO);
    }
    assert.throws(() => db.put('b', '1'), { code: ErrorCode.BACKGROUND });
    await assert.rejects(
      db.transact((tx) => tx.put('c', '1')),
      { code: ErrorCode.BACKGROUND },
    );
    await db.close();
    const again = await DB.open('/db', { fs: fs.crashImage('keepAll') });
    assert.equal(s(again.get('a')), '0');
    for (let i = 0; i < mix.length; i++) assert.equal(again.get(`k${i}`), undefined);
    await again.close();
  }
});
