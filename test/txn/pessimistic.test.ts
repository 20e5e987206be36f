/**
 * Pessimistic transactions: row locks taken on write and by getForUpdate, waits bounded by lockTimeout,
 * deadlocks detected, and READ COMMITTED updates that wait for a row and then see its committed value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';

const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromUtf8(b));

async function memDb(): Promise<DB> {
  return DB.open('/db', { fs: new MemFileSystem() });
}

test('a write locks its key: another transaction cannot write it, getForUpdate waits for the commit', async () => {
  const db = await memDb();
  db.put('row', 'v0');
  const t1 = db.transaction({ pessimistic: true });
  t1.put('row', 'v1');
  const t2 = db.transaction({ pessimistic: true, isolation: 'readCommitted' });
  assert.throws(() => t2.put('row', 'x'), { code: ErrorCode.LOCK_TIMEOUT });
  let got: string | undefined = 'pending';
  const waiting = t2.getForUpdate('row').then((v) => (got = s(v)));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, 'pending', 'waits while t1 holds the lock');
  await t1.commit();
  await waiting;
  assert.equal(got, 'v1', 'read committed: sees the committed row after the wait');
  t2.put('row', 'v2');
  await t2.commit();
  assert.equal(s(db.get('row')), 'v2');
  assert.equal(db.locks.size, 0, 'every lock released');
  await db.close();
});

test('under snapshot isolation, a row changed while waiting for its lock is a conflict', async () => {
  const db = await memDb();
  db.put('row', 'v0');
  const t1 = db.transaction({ pessimistic: true });
  const t2 = db.transaction({ pessimistic: true });
  assert.equal(s(await t1.getForUpdate('row')), 'v0');
  t1.put('row', 'v1');
  const waiting = t2.getForUpdate('row');
  await t1.commit();
  await assert.rejects(waiting, { code: ErrorCode.TXN_CONFLICT });
  t2.abort();
  await db.close();
});

test('lock waits time out with LOCK_TIMEOUT and leave nothing held', async () => {
  const db = await memDb();
  const t1 = db.transaction({ pessimistic: true });
  t1.put('k', '1');
  const t2 = db.transaction({ pessimistic: true, lockTimeout: 30 });
  const t0 = Date.now();
  await assert.rejects(t2.getForUpdate('k'), { code: ErrorCode.LOCK_TIMEOUT });
  assert.ok(Date.now() - t0 >= 25);
  t2.put('other', 'x'); // still usable
  await t2.commit();
  await t1.commit();
  assert.equal(db.locks.size, 0);
  await db.close();
});

test('a deadlock is detected at once with DEADLOCK; the survivor proceeds after the victim aborts', async () => {
  const db = await memDb();
  const t1 = db.transaction({ pessimistic: true, lockTimeout: 10_000 });
  const t2 = db.transaction({ pessimistic: true, lockTimeout: 10_000 });
  await t1.getForUpdate('a');
  await t2.getForUpdate('b');
  const t1waits = t1.getForUpdate('b');
  const t0 = Date.now();
  await assert.rejects(t2.getForUpdate('a'), { code: ErrorCode.DEADLOCK });
  assert.ok(Date.now() - t0 < 1000, 'detected, not timed out');
  t2.abort();
  await t1waits;
  t1.put('a', '1');
  t1.put('b', '1');
  await t1.commit();
  // A three-way cycle.
  const [x, y, z] = [0, 1, 2].map(() => db.transaction({ pessimistic: true, lockTimeout: 10_000 }));
  await x!.getForUpdate('1');
  await y!.getForUpdate('2');
  await z!.getForUpdate('3');
  const w1 = x!.getForUpdate('2');
  const w2 = y!.getForUpdate('3');
  await assert.rejects(z!.getForUpdate('1'), { code: ErrorCode.DEADLOCK });
  z!.abort();
  await w2;
  await y!.commit();
  await w1;
  await x!.commit();
  assert.equal(db.locks.size, 0);
  await db.close();
});

test('aborting a transaction that waits for a lock fails its wait', async () => {
  const db = await memDb();
  const t1 = db.transaction({ pessimistic: true });
  t1.put('k', '1');
  const t2 = db.transaction({ pessimistic: true, lockTimeout: 10_000 });
  const waiting = t2.getForUpdate('k');
  t2.abort();
  await assert.rejects(waiting, { code: ErrorCode.CLOSED });
  await t1.commit();
  assert.equal(db.locks.size, 0);
  await db.close();
});

test('READ COMMITTED increments by many pessimistic workers never lose an update and never conflict', async () => {
  const db = await memDb();
  db.put('counter', '0');
  let conflicts = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 20; i++) {
        const tx = db.transaction({ pessimistic: true, isolation: 'readCommitted' });
        const v = Number(s(await tx.getForUpdate('counter')));
        await new Promise((r) => setImmediate(r));
        tx.put('counter', String(v + 1));
        await tx.commit().catch(() => conflicts++);
      }
    }),
  );
  assert.equal(conflicts, 0);
  assert.equal(s(db.get('counter')), '320');
  await db.close();
});

test('shared locks: readers share a key, a writer waits for all of them, a later reader queues behind it', async () => {
  const db = await memDb();
  db.put('row', 'v0');
  const [r1, r2, w, r3] = [0, 1, 2, 3].map(() =>
    db.transaction({ pessimistic: true, isolation: 'readCommitted', lockTimeout: 10_000 }),
  );
  assert.equal(s(await r1!.getForShare('row')), 'v0');
  assert.equal(s(await r2!.getForShare('row')), 'v0', 'a second reader shares it at once');
  assert.throws(() => w!.put('row', 'x'), { code: ErrorCode.LOCK_TIMEOUT });
  let wrote = false;
  const writer = w!.getForUpdate('row').then(() => (wrote = true));
  let read = false;
  const reader = r3!.getForShare('row').then(() => (read = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual([wrote, read], [false, false], 'the writer waits; the reader queues behind the writer');
  await r1!.commit();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(wrote, false, 'one reader still holds it');
  await r2!.commit();
  await writer;
  w!.put('row', 'v1');
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(read, false);
  await w!.commit();
  await reader;
  assert.equal(s(await r3!.getForShare('row')), 'v1');
  await r3!.commit();
  assert.equal(db.locks.size, 0);
  await db.close();
});

test('shared locks: a lone holder upgrades at once; two holders upgrading is a deadlock', async () => {
  const db = await memDb();
  const [a, b] = [0, 1].map(() => db.transaction({ pessimistic: true, lockTimeout: 10_000 }));
  await a!.getForShare('k');
  await a!.getForUpdate('k');
  a!.put('k', '1');
  await a!.commit();
  const [c, d] = [0, 1].map(() => db.transaction({ pessimistic: true, lockTimeout: 10_000 }));
  await c!.getForShare('k');
  await d!.getForShare('k');
  const cWaits = c!.getForUpdate('k');
  await assert.rejects(d!.getForUpdate('k'), { code: ErrorCode.DEADLOCK });
  d!.abort();
  await cWaits;
  c!.put('k', '2');
  await c!.commit();
  assert.equal(s(db.get('k')), '2');
  assert.equal(db.locks.size, 0);
  await b!.commit();
  await db.close();
});
