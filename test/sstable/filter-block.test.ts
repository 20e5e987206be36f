// Mirrors LevelDB's table/filter_block_test.cc, with its hash-list test policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterBlockBuilder, FilterBlockReader } from '../../src/sstable/filter-block.js';
import { encodeFixed32 } from '../../src/util/coding.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { TestHashFilter, b } from './table-test-util.js';

const policy = new TestHashFilter();

test('empty builder', () => {
  const builder = new FilterBlockBuilder(policy);
  const block = builder.finish();
  assert.deepEqual([...block], [0, 0, 0, 0, 11]);
  const reader = new FilterBlockReader(policy, block);
  assert.ok(reader.keyMayMatch(0, b('foo')));
  assert.ok(reader.keyMayMatch(100000, b('foo')));
});

test('single chunk', () => {
  const builder = new FilterBlockBuilder(policy);
  builder.startBlock(100);
  builder.addKey(b('foo'));
  builder.addKey(b('bar'));
  builder.addKey(b('box'));
  builder.startBlock(200);
  builder.addKey(b('box'));
  builder.startBlock(300);
  builder.addKey(b('hello'));
  const block = builder.finish();
  const reader = new FilterBlockReader(policy, block);
  for (const k of ['foo', 'bar', 'box', 'hello']) assert.ok(reader.keyMayMatch(100, b(k)), k);
  assert.ok(!reader.keyMayMatch(100, b('missing')));
  assert.ok(!reader.keyMayMatch(100, b('other')));
  // One filter of 5 hashes (one per addKey, duplicates kept), then the offset array and base_lg.
  assert.equal(block.length, 5 * 4 + 4 + 4 + 1);
});

test('multi chunk', () => {
  const builder = new FilterBlockBuilder(policy);
  // First filter
  builder.startBlock(0);
  builder.addKey(b('foo'));
  builder.startBlock(2000);
  builder.addKey(b('bar'));
  // Second filter
  builder.startBlock(3100);
  builder.addKey(b('box'));
  // Third filter is empty
  // Last filter
  builder.startBlock(9000);
  builder.addKey(b('box'));
  builder.addKey(b('hello'));
  const block = builder.finish();
  const reader = new FilterBlockReader(policy, block);

  // Check first filter
  assert.ok(reader.keyMayMatch(0, b('foo')));
  assert.ok(reader.keyMayMatch(2000, b('bar')));
  assert.ok(!reader.keyMayMatch(0, b('box')));
  assert.ok(!reader.keyMayMatch(0, b('hello')));
  // Check second filter
  assert.ok(reader.keyMayMatch(3100, b('box')));
  assert.ok(!reader.keyMayMatch(3100, b('foo')));
  assert.ok(!reader.keyMayMatch(3100, b('bar')));
  assert.ok(!reader.keyMayMatch(3100, b('hello')));
  // Check third filter (empty)
  for (const k of ['foo', 'bar', 'box', 'hello']) assert.ok(!reader.keyMayMatch(4100, b(k)), k);
  // Check last filter
  assert.ok(reader.keyMayMatch(9000, b('box')));
  assert.ok(reader.keyMayMatch(9000, b('hello')));
  assert.ok(!reader.keyMayMatch(9000, b('foo')));
  assert.ok(!reader.keyMayMatch(9000, b('bar')));
  // Past the last filter: may match.
  assert.ok(reader.keyMayMatch(100000, b('foo')));
});

test('malformed filter blocks answer "may match"', () => {
  const builder = new FilterBlockBuilder(policy);
  builder.startBlock(0);
  builder.addKey(b('foo'));
  const good = builder.finish();
  const reader = new FilterBlockReader(policy, good);
  assert.ok(!reader.keyMayMatch(0, b('bar')));

  for (const contents of [new Uint8Array(0), new Uint8Array(4), good.subarray(1)]) {
    assert.ok(new FilterBlockReader(policy, contents).keyMayMatch(0, b('bar')));
  }
  // Offset array start past the end.
  const badStart = good.slice();
  encodeFixed32(badStart, badStart.length - 5, 1000);
  assert.ok(new FilterBlockReader(policy, badStart).keyMayMatch(0, b('bar')));
  // A filter whose limit runs past the offset array.
  const badLimit = new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0, 9, 0, 0, 0, 4, 0, 0, 0, 11]);
  assert.ok(new FilterBlockReader(policy, badLimit).keyMayMatch(0, b('bar')));
  // Filter 0 has start 4 > limit 2.
  const inverted = new Uint8Array([1, 2, 3, 4, 4, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 11]);
  assert.ok(new FilterBlockReader(policy, inverted).keyMayMatch(0, b('x')));
});

test('a larger base_lg stored in the block is honoured', () => {
  // One filter covering [0, 4096) with base_lg 12.
  const f = policy.createFilter([b('k')]);
  const block = new Uint8Array(f.length + 4 + 4 + 1);
  block.set(f);
  encodeFixed32(block, f.length, 0);
  encodeFixed32(block, f.length + 4, f.length);
  block[block.length - 1] = 12;
  const reader = new FilterBlockReader(policy, block);
  assert.ok(reader.keyMayMatch(4000, b('k')));
  assert.ok(!reader.keyMayMatch(4000, b('j')));
  assert.ok(reader.keyMayMatch(4096, b('j')));
});

test('block offsets must not go backwards past a filter boundary', () => {
  const builder = new FilterBlockBuilder(policy);
  builder.startBlock(5000);
  assert.throws(() => builder.startBlock(100), InvalidArgumentError);
});
