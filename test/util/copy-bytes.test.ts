import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { copyBytes } from '../../src/util/bytes.js';

// Randomized tests: fast-check prints the seed of a failing run; SEED=<n> replays it.
const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

test('copyBytes copies are equal to their source, independent of it and of each other', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 40 }),
      fc.nat(),
      (srcs, pick) => {
        const copies = srcs.map((s) => copyBytes(s, 0, s.length));
        const expected = srcs.map((s) => Uint8Array.from(s));
        // Damage the sources and one copy: no other copy may change (small copies share a slab).
        for (const s of srcs) s.fill(0xee);
        const victim = copies[pick % copies.length]!;
        victim.fill(0x77);
        copies.forEach((c, i) => {
          assert.equal(c.constructor, Uint8Array);
          if (c !== victim) assert.deepEqual(c, expected[i]);
          assert.equal(c.byteOffset % 8, 0);
        });
      },
    ),
    { numRuns: 200, ...FC },
  );
});

test('copyBytes copies a range', () => {
  const src = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
  assert.deepEqual(copyBytes(src, 10, 20), src.slice(10, 20));
  assert.deepEqual(copyBytes(src, 5, 1900), src.slice(5, 1900));
  assert.deepEqual(copyBytes(src, 7, 7), new Uint8Array(0));
  assert.deepEqual(copyBytes(src), src);
});

test('copyBytes copies a Buffer, small or large: changing the Buffer afterwards changes no copy', () => {
  for (const n of [10, 5000]) {
    const b = Buffer.alloc(n, 7);
    const c = copyBytes(b);
    b.fill(9);
    assert.ok(
      c.every((x) => x === 7),
      `length ${n}`,
    );
  }
});
