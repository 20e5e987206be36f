import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/memtable/arena.js';
import {
  InternalKeyComparator,
  MAX_SEQUENCE,
  ValueType,
  makeInternalKey,
  sequenceOf,
  userKeyOf,
} from '../../src/memtable/internal-key.js';
import { SKIPLIST_MAX_HEIGHT, SkipList } from '../../src/memtable/skiplist.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import type { Comparator } from '../../src/util/comparator.js';
import { bytesEqual, compareBytes, toHex, utf8 } from '../../src/util/bytes.js';
import { ErrorCode } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';

const icmp = new InternalKeyComparator(bytewiseComparator);

interface Entry {
  ikey: Uint8Array;
  value: Uint8Array;
}

function newList(seed = 1, user: Comparator = bytewiseComparator): SkipList {
  return SkipList.create(new Arena(256), new Arena(256), user, seed);
}

function insertAll(
  list: SkipList,
  entries: { key: Uint8Array; seq: number; type: number; value: Uint8Array }[],
) {
  for (const e of entries) list.insert(e.key, e.seq, e.type, e.value);
}

function forward(list: SkipList): Entry[] {
  const out: Entry[] = [];
  const it = list.iterator();
  for (it.seekToFirst(); it.valid(); it.next())
    out.push({ ikey: it.key().slice(), value: it.value().slice() });
  return out;
}

function backward(list: SkipList): Entry[] {
  const out: Entry[] = [];
  const it = list.iterator();
  for (it.seekToLast(); it.valid(); it.prev())
    out.push({ ikey: it.key().slice(), value: it.value().slice() });
  return out;
}

function hex(entries: Entry[]): string[] {
  return entries.map((e) => `${toHex(e.ikey)}=${toHex(e.value)}`);
}

function randomEntries(n: number, seed: number) {
  const rnd = new Random(seed);
  const out: { key: Uint8Array; seq: number; type: number; value: Uint8Array }[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      key: rnd.bytes(rnd.uniform(6)),
      seq: i + 1,
      type: rnd.oneIn(4) ? ValueType.DELETION : ValueType.VALUE,
      value: rnd.bytes(rnd.uniform(40)),
    });
  }
  return out;
}

function modelOf(entries: { key: Uint8Array; seq: number; type: number; value: Uint8Array }[]): Entry[] {
  return entries
    .map((e) => ({ ikey: makeInternalKey(e.key, e.seq, e.type), value: e.value }))
    .sort((a, b) => icmp.compare(a.ikey, b.ikey));
}

test('an empty list has no entries in either direction', () => {
  const list = newList();
  assert.equal(list.count, 0);
  const it = list.iterator();
  it.seekToFirst();
  assert.equal(it.valid(), false);
  it.seekToLast();
  assert.equal(it.valid(), false);
  it.seek(makeInternalKey(utf8('a'), 5, ValueType.VALUE));
  assert.equal(it.valid(), false);
  assert.throws(() => it.key(), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => it.next(), { code: ErrorCode.INVALID_ARGUMENT });
  assert.equal(list.checkInvariants(), null);
});

for (const [name, order] of [
  ['ascending', (a: number[]) => a],
  ['descending', (a: number[]) => a.reverse()],
  ['random', (a: number[]) => shuffle(a, 77)],
] as const) {
  test(`${name} inserts iterate in order both ways`, () => {
    const n = 2000;
    const keys = order(Array.from({ length: n }, (_, i) => i)).map((i) => utf8(String(i).padStart(6, '0')));
    const list = newList(3);
    keys.forEach((k, i) => list.insert(k, i + 1, ValueType.VALUE, utf8(`v${toHex(k)}`)));
    assert.equal(list.count, n);
    assert.equal(list.checkInvariants(), null);
    const fwd = forward(list);
    assert.equal(fwd.length, n);
    for (let i = 0; i < n; i++) {
      assert.equal(new TextDecoder().decode(userKeyOf(fwd[i]!.ikey)), String(i).padStart(6, '0'));
    }
    assert.deepEqual(hex(backward(list)), hex(fwd).reverse());
  });
}

test('random entries with repeated user keys match a sorted model', () => {
  const entries = randomEntries(3000, 11);
  const list = newList(5);
  insertAll(list, entries);
  assert.equal(list.checkInvariants(), null);
  const model = modelOf(entries);
  assert.deepEqual(hex(forward(list)), hex(model));
  assert.deepEqual(hex(backward(list)), hex(model).reverse());
});

test('seek finds the first entry >= the target, between and beyond keys', () => {
  const entries = randomEntries(500, 12);
  const list = newList(6);
  insertAll(list, entries);
  const model = modelOf(entries);
  const rnd = new Random(99);
  const it = list.iterator();
  const targets: Uint8Array[] = model.map((e) => e.ikey);
  for (let i = 0; i < 500; i++) {
    targets.push(makeInternalKey(rnd.bytes(rnd.uniform(7)), rnd.uniform(600), rnd.uniform(2)));
  }
  targets.push(makeInternalKey(new Uint8Array(0), MAX_SEQUENCE, ValueType.VALUE));
  targets.push(makeInternalKey(new Uint8Array(9).fill(0xff), 0, ValueType.DELETION));
  for (const t of targets) {
    it.seek(t);
    const want = model.findIndex((e) => icmp.compare(e.ikey, t) >= 0);
    if (want < 0) {
      assert.equal(it.valid(), false, `seek ${toHex(t)}`);
      continue;
    }
    assert.ok(it.valid(), `seek ${toHex(t)}`);
    assert.deepEqual(toHex(it.key()), toHex(model[want]!.ikey));
    // One step each way from the sought position.
    it.prev();
    if (want === 0) assert.equal(it.valid(), false);
    else assert.equal(toHex(it.key()), toHex(model[want - 1]!.ikey));
    it.seek(t);
    it.next();
    if (want === model.length - 1) assert.equal(it.valid(), false);
    else assert.equal(toHex(it.key()), toHex(model[want + 1]!.ikey));
  }
  assert.throws(() => it.seek(new Uint8Array(7)), { code: ErrorCode.INVALID_ARGUMENT });
});

test('same user key: newer sequences first, VALUE before DELETION at an equal sequence', () => {
  const list = newList();
  const k = utf8('k');
  list.insert(k, 5, ValueType.VALUE, utf8('five'));
  list.insert(k, 9, ValueType.DELETION, new Uint8Array(0));
  list.insert(k, 7, ValueType.VALUE, utf8('seven'));
  list.insert(k, 2 ** 40 + 3, ValueType.VALUE, utf8('big'));
  list.insert(k, 7, ValueType.DELETION, new Uint8Array(0)); // distinct internal key (type differs)
  const seqs = forward(list).map((e) => [sequenceOf(e.ikey), e.ikey[e.ikey.length - 8]]);
  assert.deepEqual(seqs, [
    [2 ** 40 + 3, 1],
    [9, 0],
    [7, 1],
    [7, 0],
    [5, 1],
  ]);
});

test('the same seed builds byte-identical arenas; heights stay within the maximum', () => {
  const build = (seed: number) => {
    const nodes = new Arena(256);
    const values = new Arena(256);
    const list = SkipList.create(nodes, values, bytewiseComparator, seed);
    insertAll(list, randomEntries(5000, 21));
    return { list, nodes, values };
  };
  const a = build(1234);
  const b = build(1234);
  const c = build(4321);
  assert.equal(a.nodes.memoryUsage, b.nodes.memoryUsage);
  assert.ok(
    bytesEqual(a.nodes.u8.subarray(0, a.nodes.memoryUsage), b.nodes.u8.subarray(0, b.nodes.memoryUsage)),
  );
  assert.ok(
    !bytesEqual(a.nodes.u8.subarray(0, a.nodes.memoryUsage), c.nodes.u8.subarray(0, c.nodes.memoryUsage)),
    'a different seed gives different heights',
  );
  assert.ok(a.list.maxHeight > 3 && a.list.maxHeight <= SKIPLIST_MAX_HEIGHT);
  assert.equal(a.list.checkInvariants(), null);
  assert.deepEqual(hex(forward(a.list)), hex(forward(c.list)));
});

test('sequential inserts that leave the splice fall back to a full search', () => {
  // Runs ascending, then jumps back, then ascending again: exercises both insert paths.
  const list = newList(8);
  const entries: { key: Uint8Array; seq: number; type: number; value: Uint8Array }[] = [];
  let seq = 1;
  for (let run = 0; run < 20; run++) {
    const start = (run * 37) % 50;
    for (let i = 0; i < 30; i++) {
      entries.push({
        key: utf8(`${String(start + i * 3).padStart(4, '0')}-${run}`),
        seq: seq++,
        type: 1,
        value: utf8(`${run}`),
      });
    }
  }
  insertAll(list, entries);
  assert.equal(list.checkInvariants(), null);
  assert.deepEqual(hex(forward(list)), hex(modelOf(entries)));
});

test('a custom comparator (reverse bytewise) orders user keys its way', () => {
  const reverse: Comparator = {
    name: 'test.ReverseBytewise',
    compare: (a, b) => compareBytes(b, a),
    findShortestSeparator: (s) => s,
    findShortSuccessor: (k) => k,
  };
  const ricmp = new InternalKeyComparator(reverse);
  const list = newList(9, reverse);
  const entries = randomEntries(1000, 31);
  insertAll(list, entries);
  assert.equal(list.checkInvariants(), null);
  const model = entries
    .map((e) => ({ ikey: makeInternalKey(e.key, e.seq, e.type), value: e.value }))
    .sort((a, b) => ricmp.compare(a.ikey, b.ikey));
  assert.deepEqual(hex(forward(list)), hex(model));
  assert.deepEqual(hex(backward(list)), hex(model).reverse());
  const it = list.iterator();
  for (let i = 0; i < model.length; i += 17) {
    it.seek(model[i]!.ikey);
    assert.equal(toHex(it.key()), toHex(model[i]!.ikey));
  }
});

test('a list opened read-only over the same arenas sees the same entries and refuses inserts', () => {
  const nodes = new Arena(256);
  const values = new Arena(256);
  const list = SkipList.create(nodes, values, bytewiseComparator, 2);
  insertAll(list, randomEntries(300, 41));
  const ro = SkipList.open(
    Arena.fromShared(nodes.buffer, nodes.memoryUsage),
    Arena.fromShared(values.buffer, values.memoryUsage),
    bytewiseComparator,
    list.state(),
  );
  assert.deepEqual(hex(forward(ro)), hex(forward(list)));
  assert.equal(ro.checkInvariants(), null);
  assert.throws(() => ro.insert(utf8('x'), 1000, 1, utf8('y')), { code: ErrorCode.NOT_SUPPORTED });
  assert.throws(() => SkipList.open(nodes, values, bytewiseComparator, { ...list.state(), head: 3 }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.throws(() => SkipList.open(nodes, values, bytewiseComparator, { ...list.state(), maxHeight: 13 }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
});

function shuffle<T>(a: T[], seed: number): T[] {
  const rnd = new Random(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rnd.uniform(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

test('checkInvariants reports a level out of order and a wrong count', () => {
  const nodes = new Arena(256);
  const list = SkipList.create(nodes, new Arena(256), bytewiseComparator, 2);
  for (const [i, k] of ['a', 'b', 'c'].entries()) list.insert(utf8(k), i + 1, ValueType.VALUE, utf8(k));
  assert.equal(list.checkInvariants(), null);
  const it = list.iterator();
  const ids: number[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) ids.push(it.current);
  const [a, b, c] = ids as [number, number, number];
  const link0 = (x: number) => (x >> 2) - 1;
  const saved = [...nodes.i32.subarray(0, nodes.memoryUsage >> 2)];
  // Reverse level 0: head -> c -> b -> a.
  nodes.i32[link0(list.head)] = c;
  nodes.i32[link0(c)] = b;
  nodes.i32[link0(b)] = a;
  nodes.i32[link0(a)] = 0;
  assert.match(list.checkInvariants() ?? '', /does not sort before|missing from level/);
  nodes.i32.set(saved);
  assert.equal(list.checkInvariants(), null);
  nodes.i32[link0(b)] = 0; // drop c from level 0
  assert.match(list.checkInvariants() ?? '', /level 0 holds 2 nodes, count is 3/);
});

test('word-at-a-time comparison orders keys differing at every byte position, with high bytes', () => {
  // Keys share a prefix and differ at one position (in a whole word or in the tail), or are prefixes of
  // one another; bytes >= 0x80 check that words compare unsigned.
  const keys: Uint8Array[] = [];
  for (let len = 0; len <= 13; len++) {
    for (let p = 0; p < len; p++) {
      for (const b of [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff]) {
        const k = new Uint8Array(len).fill(0x80);
        k[p] = b;
        keys.push(k);
      }
    }
    keys.push(new Uint8Array(len).fill(0x80));
  }
  const unique = [...new Map(keys.map((k) => [toHex(k), k])).values()];
  const list = newList(12);
  shuffle(unique.slice(), 5).forEach((k, i) => list.insert(k, i + 1, ValueType.VALUE, k));
  assert.equal(list.checkInvariants(), null);
  const got = forward(list).map((e) => toHex(userKeyOf(e.ikey)));
  assert.deepEqual(
    got,
    unique.sort(compareBytes).map((k) => toHex(k)),
  );
  // Every key is found again by seek, also as a probe that is a view at an odd offset.
  const it = list.iterator();
  for (const k of unique) {
    const buf = new Uint8Array(k.length + 8 + 3);
    buf.set(makeInternalKey(k, MAX_SEQUENCE, ValueType.VALUE), 3);
    it.seek(buf.subarray(3));
    assert.equal(toHex(userKeyOf(it.key())), toHex(k));
  }
});

test('keys longer than the probe scratch (and than the small-copy limit) compare correctly', () => {
  const list = newList(13);
  const base = new Random(3).bytes(300);
  const keys: Uint8Array[] = [];
  for (const p of [0, 31, 32, 33, 64, 65, 150, 299]) {
    for (const b of [0, 0xff]) {
      const k = base.slice();
      k[p] = b;
      keys.push(k);
    }
  }
  keys.push(base.slice(0, 299), base.slice(), new Uint8Array([...base, 0]));
  const unique = [...new Map(keys.map((k) => [toHex(k), k])).values()];
  shuffle(unique.slice(), 8).forEach((k, i) => list.insert(k, i + 1, ValueType.VALUE, new Uint8Array(0)));
  assert.equal(list.checkInvariants(), null);
  assert.deepEqual(
    forward(list).map((e) => toHex(userKeyOf(e.ikey))),
    unique.sort(compareBytes).map((k) => toHex(k)),
  );
});
