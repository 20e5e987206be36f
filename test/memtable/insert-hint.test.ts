/**
 * Insertion hints (a transaction that read a key adds its newer entry where the read searched): batches
 * placed by hints must leave a memtable identical to one built by searching, and a hint must not fit
 * once anything was added after it, or when the key has an entry newer than the read's sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemTable, newInsertHint, type InsertHint } from '../../src/memtable/memtable.js';
import { InternalKeyComparator, MAX_SEQUENCE } from '../../src/memtable/internal-key.js';
import { WriteBatch, insertEncodedBatch, insertHintedBatch } from '../../src/db/write-batch.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { toHex } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';

const icmp = new InternalKeyComparator(bytewiseComparator);
const SEED = process.env.SEED === undefined ? 20261207 : Number(process.env.SEED);

function dump(m: MemTable): string[] {
  const out: string[] = [];
  const it = m.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) out.push(`${toHex(it.key())}=${toHex(it.value())}`);
  it.close();
  return out;
}

test(`hinted batches build the same memtable as searched ones; stale hints do not fit (seed ${SEED})`, () => {
  const rnd = new Random(SEED);
  // Keys that nest as prefixes, share whole words, and hold 0x00/0xff bytes.
  const alphabet = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'b', 'acct:0001', 'acct:0002', 'acct:00021'];
  const keys = alphabet.map((s) => new TextEncoder().encode(s));
  keys.push(Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(0xff), Uint8Array.of(0xff, 0, 1));
  for (let i = 0; i < 30; i++) {
    const k = new Uint8Array(1 + rnd.uniform(12));
    for (let j = 0; j < k.length; j++) k[j] = rnd.oneIn(2) ? 0x61 : rnd.uniform(256);
    keys.push(k);
  }
  const hinted = new MemTable(icmp, { seed: 5 });
  const searched = new MemTable(icmp, { seed: 5 });
  let seq = 0;
  let fitted = 0;
  let stale = 0;
  for (let round = 0; round < 3000; round++) {
    // A transaction reads 1-4 distinct keys at a snapshot, recording hints, then writes them (and maybe
    // one key it did not read), in any order.
    const snap = rnd.oneIn(2) ? seq : rnd.uniform(seq + 1);
    const picked = new Set<number>();
    const n = 1 + rnd.uniform(4);
    while (picked.size < n) picked.add(rnd.uniform(keys.length));
    const order = [...picked];
    const hints = new Map<number, InsertHint>();
    for (const i of order) {
      const h = newInsertHint();
      assert.deepEqual(hinted.get(keys[i]!, snap, h), searched.get(keys[i]!, snap));
      hints.set(i, h);
    }
    const between = rnd.oneIn(4);
    if (between) {
      const k = keys[rnd.uniform(keys.length)]!;
      seq++;
      hinted.add(seq, 1, k, Uint8Array.of(1));
      searched.add(seq, 1, k, Uint8Array.of(1));
    }
    if (rnd.oneIn(3)) {
      const extra = rnd.uniform(keys.length);
      if (!picked.has(extra)) order.push(extra);
    }
    for (let i = order.length - 1; i > 0; i--) {
      const j = rnd.uniform(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const batch = new WriteBatch();
    for (const i of order) {
      if (rnd.oneIn(5)) batch.delete(keys[i]!);
      else batch.put(keys[i]!, Uint8Array.of(round & 0xff, i));
    }
    const rep = batch.encodeWithSequence(seq + 1);
    const opHints = order.map((i) => hints.get(i));
    const ok = insertHintedBatch(rep, seq + 1, hinted, opHints);
    if (between) assert.equal(ok, false, 'a hint fits only while nothing was added after it');
    if (ok) fitted++;
    else {
      if (!between) stale++;
      insertEncodedBatch(rep, seq + 1, hinted);
    }
    insertEncodedBatch(rep, seq + 1, searched);
    seq += order.length;
  }
  assert.deepEqual(dump(hinted), dump(searched));
  for (const k of keys)
    for (const s of [0, seq >> 2, seq >> 1, seq, MAX_SEQUENCE])
      assert.deepEqual(hinted.get(k, s), searched.get(k, s));
  assert.ok(fitted > 1000, `hints were used (${fitted})`);
  assert.ok(stale > 0, 'a key written after the read snapshot makes its hint not fit');
});
