/**
 * Regressions found by a review of the transaction change, each a test that failed before its fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, ErrorCode, WriteBatch } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { FaultFileSystem } from '../support/fault-fs.js';

const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromUtf8(b));

test('a synced commit behind a rejected synced commit and an unsynced write is fsynced before it is acknowledged', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  const db = await DB.open('/db', { fs, backgroundJobs: 'inline' });
  db.put('x', '0');
  const t1 = db.transaction();
  t1.put('x', 't1');
  db.put('x', '1'); // t1 will conflict
  // The first synced write keeps the group writer busy, so the next three queue as one group.
  const p0 = db.writeAsync(new WriteBatch().put('w0', '0'), { sync: true });
  const p1 = t1.commit({ sync: true });
  const p2 = db.writeAsync(new WriteBatch().put('w2', '2'));
  const t3 = db.transaction();
  t3.put('acked', 'yes');
  const p3 = t3.commit({ sync: true });
  const [r0, r1, r2, r3] = await Promise.allSettled([p0, p1, p2, p3]);
  assert.equal(r0.status, 'fulfilled');
  assert.equal(r1.status, 'rejected');
  assert.equal((r1 as PromiseRejectedResult).reason.code, ErrorCode.TXN_CONFLICT);
  assert.equal(r2.status, 'fulfilled');
  assert.equal(r3.status, 'fulfilled');
  const img = fs.crashImage('dropUnsynced');
  const again = await DB.open('/db', { fs: img });
  assert.equal(s(again.get('acked')), 'yes', 'an acknowledged synced commit was lost in a power cut');
  await again.close();
  await db.close();
});

test('a transaction waits for one lock at a time; an abort while waiting leaves no lock behind', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  const holder = db.transaction({ pessimistic: true });
  holder.put('a', '1');
  holder.put('b', '1');
  const tx = db.transaction({ pessimistic: true, lockTimeout: 10_000 });
  const wa = tx.getForUpdate('a');
  await assert.rejects(tx.getForUpdate('b'), { code: ErrorCode.INVALID_ARGUMENT });
  tx.abort();
  await assert.rejects(wa, { code: ErrorCode.CLOSED });
  await holder.commit();
  assert.equal(db.locks.size, 0);
  const next = db.transaction({ pessimistic: true, lockTimeout: 50 });
  assert.equal(s(await next.getForUpdate('a')), '1');
  next.abort();
  await db.close();
});

test('a pessimistic snapshot transaction detects a plain write to a key it read for update', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  db.put('k', '0');
  const tx = db.transaction({ pessimistic: true });
  await tx.getForUpdate('k');
  tx.put('other', 'x');
  db.put('k', 'plain'); // plain writes take no lock
  await assert.rejects(tx.commit(), { code: ErrorCode.TXN_CONFLICT });
  await db.close();
});

test('lockTimeout: Infinity waits without a timer; values a timer cannot hold are refused', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  assert.throws(() => db.transaction({ pessimistic: true, lockTimeout: 2 ** 31 }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  const holder = db.transaction({ pessimistic: true });
  holder.put('k', '1');
  const tx = db.transaction({ pessimistic: true, isolation: 'readCommitted', lockTimeout: Infinity });
  let settled = false;
  const w = tx.getForUpdate('k').finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, 'an unbounded wait timed out');
  await holder.commit();
  await w;
  tx.abort();
  await db.close();
});

test('serializable: an iterator stopped by its limit has not read the key after the last one it returned', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  db.put('a', '1');
  db.put('c', '1');
  const tx = db.transaction({ isolation: 'serializable' });
  assert.equal([...tx.iterator({ limit: 1 })].length, 1);
  assert.equal([...tx.iterator({ limit: 0 })].length, 0);
  tx.put('out', 'x');
  db.put('c', 'changed'); // after what the iterator returned
  await tx.commit();
  await db.close();
});
