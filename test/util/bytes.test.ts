import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { keyId, toBytes, toLatin1Key, utf8 } from '../../src/util/bytes.js';

// Strings on both sides of the short-string path: ASCII, 2-, 3- and 4-byte characters, lone
// surrogates, the empty string, and lengths around the 64-char cut-over.
const STRINGS = [
  '',
  'a',
  'acct:00042',
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(500),
  'caf\u00e9',
  '\u20ac10',
  'k\u{1f600}',
  '\ud800',
  'ab\udc00cd',
  '\u007f\u0080',
  'x'.repeat(63) + '\u00e9',
];

test('utf8 encodes like TextEncoder', () => {
  const enc = new TextEncoder();
  for (const s of STRINGS) {
    const got = utf8(s);
    assert.ok(got instanceof Uint8Array && !Buffer.isBuffer(got), JSON.stringify(s));
    assert.deepEqual([...got], [...enc.encode(s)], JSON.stringify(s));
    assert.deepEqual([...toBytes(s, 'key')], [...enc.encode(s)], JSON.stringify(s));
  }
});

test('toLatin1Key maps bytes one to one, short and long, views included', () => {
  for (const n of [0, 1, 31, 32, 33, 300]) {
    const b = new Uint8Array(n + 3);
    for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 200) & 0xff;
    const view = b.subarray(3);
    const id = toLatin1Key(view);
    assert.equal(id, Buffer.from(view).toString('latin1'));
    assert.equal(id.length, n);
  }
});

test('keyId of a key equals toLatin1Key of its bytes', () => {
  for (const s of STRINGS) assert.equal(keyId(s, toBytes(s, 'key')), toLatin1Key(toBytes(s, 'key')), s);
  const bytes = new Uint8Array([0, 255, 128, 65]);
  assert.equal(keyId(bytes, bytes), toLatin1Key(bytes));
});
