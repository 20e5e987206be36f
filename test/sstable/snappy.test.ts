import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as snappyjs from 'snappyjs';
import {
  snappyCompress,
  snappyMaxCompressedLength,
  snappyUncompress,
  snappyUncompressedLength,
} from '../../src/sstable/snappy.js';
import { CompressionType, compressBlock, uncompressBlock } from '../../src/sstable/compression.js';
import { CorruptionError } from '../../src/util/errors.js';

// Randomized tests: fast-check prints the seed of a failing run; SEED=<n> replays it.
const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

const b = (...x: number[]) => new Uint8Array(x);

function isCorruption(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (err instanceof CorruptionError) return true;
    throw err;
  }
}

/** Inputs of the shapes that matter: empty, tiny, incompressible, repetitive, and over 64 KiB. */
const inputs: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 300 }),
  // small alphabet: many short matches
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5000 }).map((xs) => Uint8Array.from(xs)),
  // a random run repeated: long matches, overlapping copies
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 3000 }))
    .map(([unit, times]) => {
      const out = new Uint8Array(unit.length * times);
      for (let i = 0; i < out.length; i++) out[i] = unit[i % unit.length]!;
      return out;
    }),
  // db_bench-like values (random half, repeated) with occasional noise, crossing 64 KiB fragments
  fc.tuple(fc.integer({ min: 60_000, max: 200_000 }), fc.integer()).map(([n, seed]) => {
    const out = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = i % 100 < 50 || (x & 31) === 0 ? x & 0xff : out[i - 50]!;
    }
    return out;
  }),
);

test('round trip and interop with snappyjs in both directions', () => {
  fc.assert(
    fc.property(inputs, (raw) => {
      const ours = snappyCompress(raw);
      assert.ok(ours.length <= snappyMaxCompressedLength(raw.length));
      assert.equal(snappyUncompressedLength(ours), raw.length);
      assert.deepEqual(snappyUncompress(ours), raw);
      assert.deepEqual(new Uint8Array(snappyjs.uncompress(ours)), raw);
      assert.deepEqual(snappyUncompress(snappyjs.compress(raw)), raw);
    }),
    { ...FC, numRuns: 150 },
  );
});

test('compression ratios: repetitive data shrinks, incompressible data grows only slightly', () => {
  const zeros = new Uint8Array(200_000);
  assert.ok(snappyCompress(zeros).length < 10_000);
  const rnd = new Uint8Array(100_000);
  let x = 12345;
  for (let i = 0; i < rnd.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    rnd[i] = x >>> 24;
  }
  const c = snappyCompress(rnd);
  assert.ok(c.length <= rnd.length + 20, `${c.length}`);
  assert.deepEqual(snappyUncompress(c), rnd);
});

test('decodes every element form, including overlapping copies', () => {
  // "abcd" literal, copy-1 len 8 offset 4 (overlapping), copy-2 len 3 offset 12, copy-4 len 2 offset 1
  const stream = b(
    17,
    3 << 2,
    97,
    98,
    99,
    100,
    1 | (4 << 2),
    4,
    2 | (2 << 2),
    12,
    0,
    3 | (1 << 2),
    1,
    0,
    0,
    0,
  );
  assert.deepEqual(snappyUncompress(stream), new TextEncoder().encode('abcdabcdabcdabccc'));
  // literal lengths with 1..4 extra length bytes
  for (const [tag, extra] of [
    [60, [69]],
    [61, [69, 0]],
    [62, [69, 0, 0]],
    [63, [69, 0, 0, 0]],
  ] as const) {
    const data = new Uint8Array(70).map((_, i) => i);
    const s = new Uint8Array([70, tag << 2, ...extra, ...data]);
    assert.deepEqual(snappyUncompress(s), data);
  }
  assert.deepEqual(snappyUncompress(b(0)), b());
});

test('malformed streams throw CorruptionError', () => {
  const bad: [string, Uint8Array][] = [
    ['empty input', b()],
    ['truncated header', b(0x80)],
    ['header over 32 bits', b(0xff, 0xff, 0xff, 0xff, 0x1f)],
    ['header of six bytes', b(0x80, 0x80, 0x80, 0x80, 0x80, 0)],
    ['huge declared length, tiny body', b(0xff, 0xff, 0xff, 0xff, 0x0f, 0, 1)],
    ['copy with offset 0', b(5, 0, 1, 1 | (0 << 2), 0)],
    ['copy before start of output', b(6, 0, 1, 1 | (1 << 2), 2)],
    ['copy past end of output', b(5, 0, 1, 1 | (7 << 2), 1)],
    ['copy-1 truncated', b(5, 0, 1, 1)],
    ['copy-2 truncated', b(5, 0, 1, 2, 1)],
    ['copy-4 truncated', b(5, 0, 1, 3, 1, 0, 0)],
    ['literal past end of input', b(3, 2 << 2, 1, 2)],
    ['literal past end of output', b(2, 2 << 2, 1, 2, 3)],
    ['literal length bytes truncated', b(70, 61 << 2, 69)],
    ['huge literal length', b(70, 63 << 2, 0xff, 0xff, 0xff, 0xff, 1, 2, 3)],
    ['output shorter than declared', b(4, 2 << 2, 1, 2, 3)],
    ['trailing element after full output', b(1, 0, 7, 0, 8)],
    ['length 0 with trailing bytes', b(0, 0, 1)],
  ];
  for (const [what, s] of bad)
    assert.ok(
      isCorruption(() => snappyUncompress(s)),
      what,
    );
  assert.ok(isCorruption(() => snappyUncompressedLength(b(0x80, 0x80))));
  // A declared length above the caller's cap is refused before allocation.
  const ok = snappyCompress(new Uint8Array(1000));
  assert.ok(isCorruption(() => snappyUncompress(ok, 999)));
  assert.equal(snappyUncompress(ok, 1000).length, 1000);
});

test('a declared length beyond what the input can encode is refused (no huge allocation)', () => {
  // 64/3 bytes of output per input byte is the most any element can produce.
  const body = new Uint8Array(30); // 15 one-byte literals
  const withLen = (n: number) => {
    const hdr: number[] = [];
    while (n >= 0x80) {
      hdr.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    hdr.push(n);
    return new Uint8Array([...hdr, ...body]);
  };
  assert.ok(isCorruption(() => snappyUncompress(withLen(641))));
  assert.ok(isCorruption(() => snappyUncompress(withLen(0x7fffffff))));
  // 640 passes the size check, then the body yields only 15 bytes
  assert.ok(isCorruption(() => snappyUncompress(withLen(640))));
});

test('corrupted compressed data decodes to something or throws CorruptionError, never hangs', () => {
  fc.assert(
    fc.property(
      inputs,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      (raw, flips, truncateAt) => {
        const c = snappyCompress(raw).slice();
        for (const [pos, x] of flips) c[pos % c.length] ^= x;
        const s = truncateAt === undefined ? c : c.subarray(0, truncateAt % (c.length + 1));
        try {
          const out = snappyUncompress(s);
          assert.equal(out.length, snappyUncompressedLength(s));
        } catch (err) {
          if (!(err instanceof CorruptionError)) throw err;
        }
      },
    ),
    { ...FC, numRuns: 300 },
  );
});

test('random byte strings never make the decoder throw anything but CorruptionError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (s) => {
      try {
        snappyUncompress(s);
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
      }
    }),
    { ...FC, numRuns: 2000 },
  );
});

test('compressBlock/uncompressBlock wrap snappy and name file and offset on corruption', () => {
  const raw = new TextEncoder().encode('hello hello hello hello hello hello');
  const c = compressBlock(CompressionType.SNAPPY, raw);
  assert.ok(c.length < raw.length);
  assert.deepEqual(uncompressBlock(CompressionType.SNAPPY, c), raw);
  assert.throws(
    () => uncompressBlock(CompressionType.SNAPPY, b(5, 0), '000007.ldb', 1234),
    (err: unknown) => err instanceof CorruptionError && err.file === '000007.ldb' && err.offset === 1234,
  );
});
