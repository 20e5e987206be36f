import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../src/util/crc32c.js';
import { utf8 } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';

test('crc32c matches the standard test vectors', () => {
  assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(utf8('foo')), 0xcfc4ae1d);
});

test('crc32cExtend equals the crc of the concatenation', () => {
  const rnd = new Random(7);
  for (let n = 0; n < 200; n++) {
    const data = rnd.bytes(n);
    const cut = rnd.uniform(n + 1);
    assert.equal(crc32cExtend(crc32c(data, 0, cut), data, cut), crc32c(data));
  }
});

test('mask and unmask invert each other and match LevelDB', () => {
  assert.equal(maskCrc(0xcfc4ae1d), 0xfebe8a61);
  const rnd = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const c = rnd.next32();
    assert.equal(unmaskCrc(maskCrc(c)), c);
    assert.notEqual(maskCrc(c), c);
  }
});
