/** copyShared: the same bytes as Uint8Array.set, for every mix of shared and ordinary buffers and alignments. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyShared } from '../../src/util/shared-copy.js';
import { Random } from '../../src/util/random.js';

function view(rnd: Random, shared: boolean, len: number): Uint8Array {
  const buf = shared ? new SharedArrayBuffer(len + 16) : new ArrayBuffer(len + 16);
  return new Uint8Array(buf, rnd.uniform(8), len + 4);
}

test('copyShared copies exactly like set() across shared and ordinary buffers', () => {
  const rnd = new Random(7);
  for (let t = 0; t < 400; t++) {
    // Short, around the word path's threshold, and longer than the 64 KiB bounce buffer.
    const n = [rnd.uniform(600), 400 + rnd.uniform(300), rnd.uniform(200_000)][t % 3]!;
    const srcShared = rnd.oneIn(2);
    const dstShared = rnd.oneIn(2);
    const base = view(rnd, srcShared, n);
    for (let i = 0; i < base.length; i++) base[i] = rnd.uniform(256);
    const from = rnd.uniform(8);
    const src = base.subarray(from, from + n);
    const dst = view(rnd, dstShared, n + 8);
    dst.fill(7);
    const at = rnd.uniform(8);
    const want = new Uint8Array(dst.length).fill(7);
    want.set(src, at);
    copyShared(dst, at, src);
    assert.deepEqual(
      new Uint8Array(dst),
      want,
      `n=${n} at=${at} srcShared=${srcShared} dstShared=${dstShared} src offset ${src.byteOffset}`,
    );
  }
});
