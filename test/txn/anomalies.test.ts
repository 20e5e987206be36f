/**
 * The anomaly catalogue (Berenson et al., "A Critique of ANSI SQL Isolation Levels"; Adya), one test
 * each: what 'snapshot' and 'serializable' allow and forbid.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import type { Isolation } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';

const s = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromUtf8(b));
const num = (b: Uint8Array | undefined): number => Number(s(b) ?? 0);

async function memDb(): Promise<DB> {
  return DB.open('/db', { fs: new MemFileSystem() });
}

const BOTH: Isolation[] = ['snapshot', 'serializable'];

test('G1a dirty read: uncommitted (and aborted) writes are never visible', async () => {
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('x', 'committed');
    const writer = db.transaction({ isolation });
    writer.put('x', 'dirty');
    const reader = db.transaction({ isolation });
    assert.equal(s(reader.get('x')), 'committed');
    assert.equal(s(db.get('x')), 'committed');
    writer.abort();
    assert.equal(s(reader.get('x')), 'committed');
    await reader.commit();
    await db.close();
  }
});

test('P2 non-repeatable read: a transaction reads the same value twice around a concurrent commit', async () => {
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('x', '1');
    const t1 = db.transaction({ isolation });
    assert.equal(s(t1.get('x')), '1');
    await db.transact((t2) => t2.put('x', '2'));
    assert.equal(s(t1.get('x')), '1');
    await t1.commit(); // read-only: commits
    await db.close();
  }
});

test('A5A read skew: a transaction never sees half of another transaction', async () => {
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('x', '50');
    db.put('y', '50');
    const t1 = db.transaction({ isolation });
    const x = num(t1.get('x'));
    await db.transact((t2) => {
      t2.put('x', String(num(t2.get('x')) - 10));
      t2.put('y', String(num(t2.get('y')) + 10));
    });
    const y = num(t1.get('y'));
    assert.equal(x + y, 100, isolation);
    assert.equal(
      [...t1.iterator()].reduce((a, [, v]) => a + Number(fromUtf8(v)), 0),
      100,
    );
    await t1.commit();
    await db.close();
  }
});

test('P4 lost update: of two read-modify-writes of one key, the second to commit fails', async () => {
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('counter', '0');
    const t1 = db.transaction({ isolation });
    const t2 = db.transaction({ isolation });
    t1.put('counter', String(num(t1.get('counter')) + 1));
    t2.put('counter', String(num(t2.get('counter')) + 1));
    await t1.commit();
    await assert.rejects(t2.commit(), { code: ErrorCode.TXN_CONFLICT });
    assert.equal(s(db.get('counter')), '1');
    await db.close();
  }
});

test('A5B write skew: permitted under snapshot, prevented under serializable', async () => {
  // Two doctors on call; each goes off call if the other is still on: at least one must remain.
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('alice', 'on');
    db.put('bob', 'on');
    const goOff = (me: string, other: string): ReturnType<DB['transaction']> => {
      const tx = db.transaction({ isolation });
      if (s(tx.get(other)) === 'on') tx.put(me, 'off');
      return tx;
    };
    const t1 = goOff('alice', 'bob');
    const t2 = goOff('bob', 'alice');
    await t1.commit();
    if (isolation === 'snapshot') {
      await t2.commit();
      assert.equal(s(db.get('alice')) === 'off' && s(db.get('bob')) === 'off', true, 'write skew happened');
    } else {
      await assert.rejects(t2.commit(), { code: ErrorCode.TXN_CONFLICT });
      assert.equal(s(db.get('bob')), 'on');
    }
    await db.close();
  }
});

test('serializable: a get that found nothing is a read (creating the key later conflicts)', async () => {
  const db = await memDb();
  const t1 = db.transaction({ isolation: 'serializable' });
  assert.equal(t1.get('user:ada'), undefined);
  t1.put('log', 'ada is free');
  db.put('user:ada', 'taken');
  await assert.rejects(t1.commit(), { code: ErrorCode.TXN_CONFLICT });
  // Under snapshot the same history commits.
  const t2 = db.transaction();
  assert.equal(t2.get('user:grace'), undefined);
  t2.put('log', 'grace is free');
  db.put('user:grace', 'taken');
  await t2.commit();
  await db.close();
});

test('P3 phantom: a key inserted inside an iterated range conflicts under serializable only', async () => {
  for (const isolation of BOTH) {
    const db = await memDb();
    db.put('emp:1', 'sales');
    db.put('emp:3', 'sales');
    db.put('zzz', 'outside');
    const t1 = db.transaction({ isolation });
    const count = [...t1.iterator({ gte: 'emp:', lt: 'emp;' })].length;
    t1.put('headcount', String(count));
    db.put('emp:2', 'sales'); // a phantom inside the range
    if (isolation === 'serializable') await assert.rejects(t1.commit(), { code: ErrorCode.TXN_CONFLICT });
    else await t1.commit();
    // A write outside the range does not conflict.
    const t2 = db.transaction({ isolation });
    assert.equal([...t2.iterator({ gte: 'emp:', lt: 'emp;' })].length, 3);
    t2.put('headcount', '3');
    db.put('zzz', 'still outside');
    db.put('aaa', 'before the range');
    await t2.commit();
    await db.close();
  }
});

test('serializable: a range iterated by an open cursor counts only up to where the cursor read', async () => {
  const db = await memDb();
  for (const k of ['a', 'b', 'c', 'd', 'e']) db.put(k, '1');
  const t1 = db.transaction({ isolation: 'serializable' });
  const it = t1.iterator();
  it.seek('b');
  it.next(); // read b and c
  t1.put('out', String(fromUtf8(it.key())));
  db.put('e', 'changed beyond what was read');
  db.put('a0', 'before the seek target');
  await t1.commit();
  const t2 = db.transaction({ isolation: 'serializable' });
  const it2 = t2.iterator();
  it2.seek('b');
  it2.next();
  t2.put('out', 'x');
  db.put('bb', 'inside what was read');
  await assert.rejects(t2.commit(), { code: ErrorCode.TXN_CONFLICT });
  await db.close();
});
