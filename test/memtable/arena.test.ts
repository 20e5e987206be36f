import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/memtable/arena.js';
import { ErrorCode } from '../../src/util/errors.js';

test('allocate bumps; allocateAligned returns 4-aligned offsets and counts the padding', () => {
  const a = new Arena(128, 1024);
  assert.equal(a.memoryUsage, 0);
  assert.equal(a.allocate(3), 0);
  assert.equal(a.allocate(2), 3);
  assert.equal(a.memoryUsage, 5);
  assert.equal(a.allocateAligned(4), 8);
  assert.equal(a.memoryUsage, 12);
  assert.equal(a.allocate(1), 12);
  assert.equal(a.allocateAligned(8), 16);
  assert.equal(a.memoryUsage, 24);
  assert.equal(a.allocate(0), 24);
  assert.equal(a.memoryUsage, 24);
  assert.ok(a.buffer instanceof SharedArrayBuffer);
});

test('Int32 fields written at aligned offsets read back through both views', () => {
  const a = new Arena(64, 4096);
  a.allocate(1);
  const off = a.allocateAligned(8);
  a.i32[off >> 2] = -123456789;
  a.i32[(off >> 2) + 1] = 0x7fffffff;
  const again = new Int32Array(a.buffer, off, 2);
  assert.deepEqual([...again], [-123456789, 0x7fffffff]);
  assert.deepEqual([...a.u8.subarray(off + 4, off + 8)], [0xff, 0xff, 0xff, 0x7f]);
});

test('growth keeps earlier bytes and views, doubles, and grows O(log n) times', () => {
  const a = new Arena(64, 64 * 1024 * 1024);
  const first = a.allocate(10);
  a.u8.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], first);
  const oldView = a.u8.subarray(first, first + 10);
  const oldU8 = a.u8;
  let total = 10;
  for (let i = 0; i < 10_000; i++) {
    const off = a.allocate(1000);
    a.u8[off] = i & 0xff;
    a.u8[off + 999] = (i * 7) & 0xff;
    total += 1000;
  }
  assert.equal(a.memoryUsage, total);
  assert.ok(a.committedBytes >= total);
  assert.ok(a.u8.length >= total && a.i32.length === a.u8.length >> 2);
  assert.notEqual(a.u8, oldU8, 'views are replaced on growth');
  assert.deepEqual([...oldView], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual([...a.u8.subarray(0, 10)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  for (let i = 0; i < 10_000; i += 997) {
    const off = 10 + i * 1000;
    assert.equal(a.u8[off], i & 0xff);
    assert.equal(a.u8[off + 999], (i * 7) & 0xff);
  }
  // 64 B -> 10 MB by doubling is about 18 growths.
  assert.ok(a.growths <= Math.ceil(Math.log2(total / 64)) + 1, `grew ${a.growths} times`);
  assert.ok(a.growths >= 10);
});

test('one allocation larger than the doubled size grows straight to fit', () => {
  const a = new Arena(64, 8 * 1024 * 1024);
  const off = a.allocate(3 * 1024 * 1024);
  assert.equal(off, 0);
  assert.equal(a.growths, 1);
  a.u8[3 * 1024 * 1024 - 1] = 9;
  assert.equal(a.u8[3 * 1024 * 1024 - 1], 9);
});

test('allocation beyond maxBytes throws InvalidArgumentError and changes nothing', () => {
  const a = new Arena(64, 1024);
  a.allocate(1000);
  assert.throws(
    () => a.allocate(100),
    (e: unknown) => (e as { code?: string }).code === ErrorCode.INVALID_ARGUMENT,
  );
  assert.equal(a.memoryUsage, 1000);
  assert.equal(a.allocate(24), 1000);
});

test('bad sizes are refused', () => {
  assert.throws(() => new Arena(64, 10), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => new Arena(64, 2 ** 31), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => new Arena(-1, 1024), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => new Arena(1.5, 1024), { code: ErrorCode.INVALID_ARGUMENT });
  // initialBytes above maxBytes is clamped.
  assert.equal(new Arena(1 << 20, 4096).committedBytes, 4096);
});

test('fromShared reads the same memory and refuses to allocate', () => {
  const a = new Arena(64, 4096);
  const off = a.allocateAligned(200);
  a.u8[off + 150] = 42;
  const r = Arena.fromShared(a.buffer, a.memoryUsage);
  assert.ok(r.readOnly);
  assert.equal(r.memoryUsage, 200);
  assert.equal(r.u8[off + 150], 42);
  assert.throws(() => r.allocate(1), { code: ErrorCode.NOT_SUPPORTED });
  assert.throws(() => r.allocateAligned(1), { code: ErrorCode.NOT_SUPPORTED });
  assert.throws(() => Arena.fromShared(a.buffer, a.committedBytes + 1), { code: ErrorCode.INVALID_ARGUMENT });
  assert.throws(() => Arena.fromShared(new ArrayBuffer(8) as unknown as SharedArrayBuffer, 0), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
});
