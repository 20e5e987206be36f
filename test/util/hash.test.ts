import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hash32 } from '../../src/util/hash.js';

const SEED = 0xbc9f1d34;

test('hash32 matches LevelDB test vectors', () => {
  assert.equal(hash32(new Uint8Array([]), SEED), 0xbc9f1d34);
  assert.equal(hash32(new Uint8Array([0x62]), SEED), 0xef1345c4);
  assert.equal(hash32(new Uint8Array([0xc3, 0x97]), SEED), 0x5b663814);
  assert.equal(hash32(new Uint8Array([0xe2, 0x99, 0xa5]), SEED), 0x323c078f);
  assert.equal(hash32(new Uint8Array([0xe1, 0x80, 0xb9, 0x32]), SEED), 0xed21633a);
});

test('hash32 over a range equals hash32 of the slice', () => {
  const data = new Uint8Array([9, 9, 0xe1, 0x80, 0xb9, 0x32, 9]);
  assert.equal(hash32(data, SEED, 2, 6), 0xed21633a);
});
