import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { MemTable } from '../../src/memtable/memtable.js';
import {
  InternalKeyComparator,
  MAX_SEQUENCE,
  ValueType,
  makeInternalKey,
  sequenceOf,
  typeOf,
  userKeyOf,
} from '../../src/memtable/internal-key.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import type { Comparator } from '../../src/util/comparator.js';
import { compareBytes, fromUtf8, toHex, utf8 } from '../../src/util/bytes.js';
import { ErrorCode } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { scanChecksum } from './memtable-checksum.js';

const icmp = new InternalKeyComparator(bytewiseComparator);
const EMPTY = new Uint8Array(0);

function str(v: Uint8Array | null | undefined): string | null | undefined {
  return v === null || v === undefined ? v : fromUtf8(v);
}

test('get returns the newest value at or below the sequence, null for a deletion, undefined if absent', () => {
  const m = new MemTable(icmp);
  m.add(1, ValueType.VALUE, utf8('a'), utf8('a1'));
  m.add(2, ValueType.VALUE, utf8('b'), utf8('b2'));
  m.add(3, ValueType.VALUE, utf8('a'), utf8('a3'));
  m.add(4, ValueType.DELETION, utf8('a'), EMPTY);
  m.add(5, ValueType.VALUE, utf8('a'), utf8('a5'));
  assert.equal(m.count, 5);

  assert.equal(str(m.get(utf8('a'), MAX_SEQUENCE)), 'a5');
  assert.equal(str(m.get(utf8('a'), 5)), 'a5');
  assert.equal(m.get(utf8('a'), 4), null);
  assert.equal(str(m.get(utf8('a'), 3)), 'a3');
  assert.equal(str(m.get(utf8('a'), 2)), 'a1');
  assert.equal(str(m.get(utf8('a'), 1)), 'a1');
  assert.equal(m.get(utf8('a'), 0), undefined);
  assert.equal(str(m.get(utf8('b'), 100)), 'b2');
  assert.equal(m.get(utf8('b'), 1), undefined);
  assert.equal(m.get(utf8('c'), 100), undefined);
  assert.equal(m.get(utf8(''), 100), undefined);
  assert.equal(m.get(utf8('aa'), 100), undefined);
});

test('keys that are prefixes of each other, the empty key, and 0x00/0xff bytes stay distinct', () => {
  const m = new MemTable(icmp, { seed: 4 });
  const keys = [
    EMPTY,
    new Uint8Array([0]),
    new Uint8Array([0, 0]),
    new Uint8Array([0xff]),
    new Uint8Array([0xff, 0xff]),
    new Uint8Array([0xff, 0]),
    new Uint8Array([0, 0xff]),
    utf8('ab'),
    utf8('abc'),
    utf8('a'),
    utf8('abcd'),
  ];
  keys.forEach((k, i) => m.add(i + 1, ValueType.VALUE, k, utf8(`v${i}`)));
  keys.forEach((k, i) => assert.equal(str(m.get(k, MAX_SEQUENCE)), `v${i}`, `key ${toHex(k)}`));
  assert.equal(m.get(new Uint8Array([0, 0, 0]), MAX_SEQUENCE), undefined);
  assert.equal(m.get(utf8('abcde'), MAX_SEQUENCE), undefined);
  assert.equal(m.get(new Uint8Array([0xff, 0xff, 0xff]), MAX_SEQUENCE), undefined);
  // Deleting the empty key hides it without touching the keys it prefixes.
  m.add(100, ValueType.DELETION, EMPTY, EMPTY);
  assert.equal(m.get(EMPTY, MAX_SEQUENCE), null);
  assert.equal(str(m.get(EMPTY, 99)), 'v0');
  assert.equal(str(m.get(new Uint8Array([0]), MAX_SEQUENCE)), 'v1');

  const order: string[] = [];
  const it = m.iterator();
  for (it.seekToFirst(); it.valid(); it.next())
    order.push(`${toHex(userKeyOf(it.key()))}@${sequenceOf(it.key())}`);
  const sorted = [...keys]
    .map((k, i) => ({ k, seq: i + 1 }))
    .concat([{ k: EMPTY, seq: 100 }])
    .sort((a, b) => compareBytes(a.k, b.k) || b.seq - a.seq)
    .map((e) => `${toHex(e.k)}@${e.seq}`);
  assert.deepEqual(order, sorted);
});

test('large values (~100 KB) and keys round-trip, and empty values are kept', () => {
  const rnd = new Random(5);
  const m = new MemTable(icmp, { initialBytes: 1024 });
  const big = rnd.bytes(100 * 1024);
  const bigKey = rnd.bytes(5000);
  m.add(1, ValueType.VALUE, utf8('big'), big);
  m.add(2, ValueType.VALUE, bigKey, utf8('small'));
  m.add(3, ValueType.VALUE, utf8('empty'), EMPTY);
  for (let i = 0; i < 20; i++) m.add(10 + i, ValueType.VALUE, utf8(`k${i}`), rnd.bytes(100 * 1024 + i));
  assert.deepEqual(m.get(utf8('big'), 10), big);
  assert.equal(str(m.get(bigKey, 10)), 'small');
  const e = m.get(utf8('empty'), 10);
  assert.ok(e instanceof Uint8Array && e.length === 0);
  for (let i = 0; i < 20; i++) assert.equal(m.get(utf8(`k${i}`), MAX_SEQUENCE)!.length, 100 * 1024 + i);
  // Views handed out before later growth remain intact.
  const view = m.get(utf8('big'), 10)!;
  for (let i = 0; i < 50; i++) m.add(100 + i, ValueType.VALUE, utf8(`x${i}`), rnd.bytes(50 * 1024));
  assert.deepEqual(view, big);
});

test('approximateMemoryUsage follows the bytes added and the growth stays logarithmic', () => {
  const m = new MemTable(icmp, { initialBytes: 64 });
  const before = m.approximateMemoryUsage();
  assert.ok(before > 0 && before < 200, `empty memtable uses ${before} bytes`);
  const rnd = new Random(6);
  let payload = 0;
  for (let i = 0; i < 20_000; i++) {
    const k = rnd.bytes(16);
    const v = rnd.bytes(100);
    m.add(i + 1, ValueType.VALUE, k, v);
    payload += k.length + v.length + 8;
  }
  const used = m.approximateMemoryUsage() - before;
  // Per entry: 16-byte key + 8-byte tag + 100-byte value + 12-byte header + ~1.33 links + alignment.
  assert.ok(used >= payload && used < payload + 20_000 * 24, `used ${used} for ${payload} bytes of payload`);
});

test('add validates its arguments; a full arena is refused with InvalidArgumentError', () => {
  const m = new MemTable(icmp, { maxBytes: 4096 });
  assert.throws(() => m.add(-1, ValueType.VALUE, utf8('k'), EMPTY), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => m.add(MAX_SEQUENCE, ValueType.VALUE, utf8('k'), EMPTY), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.throws(() => m.add(1, 7 as ValueType, utf8('k'), EMPTY), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => m.add(1, ValueType.VALUE, utf8('k'), new Uint8Array(5000)), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  assert.equal(m.count, 0);
  m.add(2, ValueType.VALUE, utf8('k'), utf8('v'));
  assert.equal(str(m.get(utf8('k'), 2)), 'v');
});

test('the iterator walks internal keys both ways and seeks by internal key', () => {
  const m = new MemTable(icmp, { seed: 7 });
  m.add(1, ValueType.VALUE, utf8('b'), utf8('b1'));
  m.add(2, ValueType.VALUE, utf8('a'), utf8('a2'));
  m.add(3, ValueType.DELETION, utf8('b'), EMPTY);
  m.add(4, ValueType.VALUE, utf8('c'), utf8('c4'));
  const it = m.iterator();
  const seen: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) {
    seen.push(
      `${fromUtf8(userKeyOf(it.key()))}@${sequenceOf(it.key())}/${typeOf(it.key())}=${fromUtf8(it.value())}`,
    );
  }
  assert.deepEqual(seen, ['a@2/1=a2', 'b@3/0=', 'b@1/1=b1', 'c@4/1=c4']);
  const back: string[] = [];
  for (it.seekToLast(); it.valid(); it.prev())
    back.push(`${fromUtf8(userKeyOf(it.key()))}@${sequenceOf(it.key())}`);
  assert.deepEqual(back, ['c@4', 'b@1', 'b@3', 'a@2']);
  it.seek(makeInternalKey(utf8('b'), 2, ValueType.VALUE));
  assert.equal(sequenceOf(it.key()), 1);
  it.seek(makeInternalKey(utf8('b'), MAX_SEQUENCE, ValueType.VALUE));
  assert.equal(sequenceOf(it.key()), 3);
  it.seek(makeInternalKey(utf8('bb'), MAX_SEQUENCE, ValueType.VALUE));
  assert.equal(fromUtf8(userKeyOf(it.key())), 'c');
  it.seek(makeInternalKey(utf8('d'), MAX_SEQUENCE, ValueType.VALUE));
  assert.equal(it.valid(), false);
  it.close();
  assert.equal(it.valid(), false);
});

test('a custom comparator (reverse order) drives get and the iterator', () => {
  const reverse: Comparator = {
    name: 'test.ReverseBytewise',
    compare: (a, b) => compareBytes(b, a),
    findShortestSeparator: (s) => s,
    findShortSuccessor: (k) => k,
  };
  const ricmp = new InternalKeyComparator(reverse);
  const m = new MemTable(ricmp);
  for (const [i, k] of ['m', 'a', 'z', 'ab', 'a'].entries())
    m.add(i + 1, ValueType.VALUE, utf8(k), utf8(`${k}${i + 1}`));
  const it = m.iterator();
  const seen: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next())
    seen.push(`${fromUtf8(userKeyOf(it.key()))}@${sequenceOf(it.key())}`);
  assert.deepEqual(seen, ['z@3', 'm@1', 'ab@4', 'a@5', 'a@2']);
  assert.equal(str(m.get(utf8('a'), 4)), 'a2');
  assert.equal(str(m.get(utf8('a'), 5)), 'a5');
  assert.equal(m.get(utf8('b'), 9), undefined);
  it.seek(makeInternalKey(utf8('b'), MAX_SEQUENCE, ValueType.VALUE));
  assert.equal(fromUtf8(userKeyOf(it.key())), 'ab');
  // The shared description names the user comparator; a reader with another one is refused.
  const shared = m.share();
  assert.equal(shared.comparatorName, 'test.ReverseBytewise');
  assert.throws(() => MemTable.fromShared(shared, icmp), { code: ErrorCode.INVALID_ARGUMENT });
  assert.equal(scanChecksum(MemTable.fromShared(shared, ricmp)).count, 5);
});

function fill(n: number, seed: number): MemTable {
  const rnd = new Random(seed);
  const m = new MemTable(icmp, { seed, initialBytes: 1024 });
  for (let i = 0; i < n; i++) {
    const key = utf8(`key${rnd.uniform(n >> 1)}`);
    if (rnd.oneIn(5)) m.add(i + 1, ValueType.DELETION, key, EMPTY);
    else m.add(i + 1, ValueType.VALUE, key, rnd.bytes(rnd.uniform(200)));
  }
  return m;
}

test('share() freezes the memtable; fromShared reads back identical contents', () => {
  const m = fill(5000, 8);
  const before = scanChecksum(m);
  const shared = m.share();
  assert.equal(m.readOnly, true);
  assert.throws(() => m.add(9999, ValueType.VALUE, utf8('k'), utf8('v')), { code: ErrorCode.NOT_SUPPORTED });
  const clone = structuredClone(shared);
  assert.ok(clone.nodeBuffer instanceof SharedArrayBuffer);
  const r = MemTable.fromShared(clone, icmp);
  assert.equal(r.count, m.count);
  assert.equal(r.approximateMemoryUsage(), m.approximateMemoryUsage());
  assert.deepEqual(scanChecksum(r), before);
  assert.equal(before.count, 5000);
  for (let i = 0; i < 2500; i += 7) {
    const k = utf8(`key${i}`);
    for (const seq of [MAX_SEQUENCE, 2500, 100]) assert.deepEqual(r.get(k, seq), m.get(k, seq));
  }
  assert.throws(() => r.add(10_000, ValueType.VALUE, utf8('k'), utf8('v')), {
    code: ErrorCode.NOT_SUPPORTED,
  });
});

test('a worker thread reads a shared memtable without a copy and computes the same checksum', async () => {
  const m = fill(20_000, 9);
  const expected = scanChecksum(m);
  const gets = [0, 1, 17, 4000, 9999, 123456].map((i) => ({ key: utf8(`key${i}`), seq: 15_000 }));
  const expectedGets = gets.map(({ key, seq }) => m.get(key, seq)?.slice() ?? m.get(key, seq));
  const shared = m.share();
  const worker = new Worker(new URL('./memtable-worker.js', import.meta.url));
  try {
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage({ shared, gets });
    });
    assert.equal(reply.error, undefined, String(reply.error));
    assert.equal(reply.count, expected.count);
    assert.equal(reply.crc, expected.crc);
    assert.equal(reply.backward, expected.count);
    assert.equal(reply.addError, ErrorCode.NOT_SUPPORTED);
    assert.equal(reply.usage, m.approximateMemoryUsage());
    assert.deepEqual(reply.gets, expectedGets);
    assert.ok(expectedGets.some((g) => g instanceof Uint8Array) && expectedGets.some((g) => g === undefined));
  } finally {
    await worker.terminate();
  }
});

test('an iterator sees entries added after it was positioned when they sort after it', () => {
  const m = new MemTable(icmp);
  m.add(1, ValueType.VALUE, utf8('a'), utf8('1'));
  m.add(2, ValueType.VALUE, utf8('c'), utf8('2'));
  const it = m.iterator();
  it.seekToFirst();
  assert.equal(fromUtf8(userKeyOf(it.key())), 'a');
  const keyView = it.key();
  for (let i = 0; i < 2000; i++) m.add(10 + i, ValueType.VALUE, utf8(`b${i}`), new Uint8Array(64));
  it.next();
  assert.equal(fromUtf8(userKeyOf(it.key())), 'b0');
  assert.equal(fromUtf8(userKeyOf(keyView)), 'a', 'views stay valid across arena growth');
});

test('a memtable reusing released arenas behaves as a fresh one, whatever bytes they held', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 60 }), fc.boolean()), {
        maxLength: 80,
      }),
      fc.integer({ min: 0, max: 255 }),
      (ops, junk) => {
        const old = new MemTable(icmp);
        for (let i = 0; i < 200; i++)
          old.add(i + 1, ValueType.VALUE, utf8(`old${i}`), utf8('x'.repeat(i % 50)));
        const arenas = old.releaseArenas()!;
        assert.throws(
          () => old.get(utf8('old1'), MAX_SEQUENCE),
          (e: Error) => e.name === 'NotSupportedError',
        );
        // Whatever the old memtable left behind, the new one must not see it.
        arenas.nodes.u8.fill(junk);
        arenas.values.u8.fill(junk);
        const reused = MemTable.reusing(icmp, arenas);
        const fresh = new MemTable(icmp);
        ops.forEach(([k, v, del], i) => {
          for (const m of [reused, fresh])
            m.add(i + 1, del ? ValueType.DELETION : ValueType.VALUE, k, del ? EMPTY : v);
        });
        const dump = (m: MemTable): string[] => {
          const out: string[] = [];
          const it = m.iterator();
          for (it.seekToFirst(); it.valid(); it.next()) out.push(`${toHex(it.key())}=${toHex(it.value())}`);
          return out;
        };
        assert.deepEqual(dump(reused), dump(fresh));
        assert.equal(reused.approximateMemoryUsage(), fresh.approximateMemoryUsage());
        for (const [k] of ops) assert.deepEqual(reused.get(k, MAX_SEQUENCE), fresh.get(k, MAX_SEQUENCE));
        assert.equal(reused.get(utf8('old1'), MAX_SEQUENCE), undefined);
      },
    ),
    { numRuns: 100 },
  );
});

test('newestSequence: the newest entry of a key, value or deletion, whatever later keys hold', () => {
  const icmp = new InternalKeyComparator(bytewiseComparator);
  const m = new MemTable(icmp);
  const k = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(m.newestSequence(k('a')), -1);
  m.add(5, ValueType.VALUE, k('a'), k('1'));
  m.add(9, ValueType.DELETION, k('a'), new Uint8Array(0));
  m.add(7, ValueType.VALUE, k('ab'), k('2'));
  m.add(3, ValueType.VALUE, k('b'), k('3'));
  assert.equal(m.newestSequence(k('a')), 9);
  assert.equal(m.newestSequence(k('ab')), 7);
  assert.equal(m.newestSequence(k('b')), 3);
  assert.equal(m.newestSequence(k('')), -1);
  assert.equal(m.newestSequence(k('c')), -1);
});
