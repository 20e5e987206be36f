/**
 * The WebAssembly kernel (src/util/wasm/kernel.c) against the TypeScript reference, byte for byte:
 * CRC-32C over random data at every alignment and from inside and outside kernel memory; Snappy on random
 * valid streams, on damaged ones (both decoders must reject the same streams), and on real blocks that
 * LevelDB (classic-level) wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ClassicLevel } from 'classic-level';
import { wasmKernel, WasmKernel, KERNEL_MAX_REGION } from '../../src/util/wasm/kernel.js';
import { KERNEL_WASM_BASE64 } from '../../src/util/wasm/kernel-bytes.js';
import { crc32c, crc32cExtend, crc32cExtendJs } from '../../src/util/crc32c.js';
import { CorruptionError } from '../../src/util/errors.js';
import { Random } from '../../src/util/random.js';
import { utf8 } from '../../src/util/bytes.js';
import {
  snappyCompress,
  snappyCompressTs,
  snappyUncompress,
  snappyUncompressJs,
  snappyUncompressedLength,
} from '../../src/sstable/snappy.js';
import {
  BLOCK_TRAILER_SIZE,
  FOOTER_LENGTH,
  Footer,
  decodeBlockHandleInto,
  readBlockAt,
} from '../../src/sstable/format.js';
import { Block, BlockIterator } from '../../src/sstable/block.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

// Randomized tests: fast-check prints the seed of a failing run; SEED=<n> replays it.
const FC = process.env.SEED === undefined ? {} : { seed: Number(process.env.SEED) };

/** A fresh kernel per test file: the process-wide one may be off (SHALE_WASM=0). */
const kernel = new WasmKernel(Uint8Array.from(Buffer.from(KERNEL_WASM_BASE64, 'base64')));

/** headerLength returns the size of a Snappy stream's varint length header. */
function headerLength(s: Uint8Array): number {
  let p = 0;
  while (p < 5 && s[p]! & 0x80) p++;
  return p + 1;
}

/** kernelDecode runs the kernel on a whole stream (after snappyUncompress's header checks); returns the bytes or 'corrupt'. */
function kernelDecode(s: Uint8Array): Uint8Array | 'corrupt' {
  let outLen: number;
  try {
    outLen = snappyUncompressedLength(s);
  } catch {
    return 'corrupt';
  }
  const ip = headerLength(s);
  if (outLen > Math.ceil(((s.length - ip) * 64) / 3)) return 'corrupt';
  const r = kernel.snappyUncompress(s, ip, s.length, outLen);
  return typeof r === 'number' ? 'corrupt' : r;
}

/** tsDecode runs the TypeScript decoder; returns the bytes or 'corrupt'. */
function tsDecode(s: Uint8Array): Uint8Array | 'corrupt' {
  try {
    return snappyUncompressJs(s);
  } catch (err) {
    if (err instanceof CorruptionError) return 'corrupt';
    throw err;
  }
}

test('the kernel is what the process uses unless SHALE_WASM=0', () => {
  assert.equal(wasmKernel() === null, process.env['SHALE_WASM'] === '0');
});

test('kernel CRC-32C equals the TypeScript CRC at every length, alignment and starting CRC', () => {
  const rnd = new Random(11);
  for (let i = 0; i < 400; i++) {
    const n = i < 100 ? i : rnd.uniform(70_000);
    const data = rnd.bytes(n + 16);
    const start = rnd.uniform(16);
    const end = start + n;
    const seed = rnd.next32();
    assert.equal(kernel.crc32cExtend(seed, data, start, end), crc32cExtendJs(seed, data, start, end));
    // In place: the data already in kernel memory (a block read into kernel.input()).
    const inside = kernel.input(data.length);
    inside.set(data);
    assert.equal(kernel.crc32cExtend(seed, inside, start, end), crc32cExtendJs(seed, data, start, end));
  }
  // Longer than one kernel region: copied in chunks.
  const big = rnd.bytes(KERNEL_MAX_REGION + 1000);
  assert.equal(kernel.crc32cExtend(0, big, 3, big.length), crc32cExtendJs(0, big, 3, big.length));
});

test('the dispatching crc32c keeps the standard vectors above and below the kernel threshold', () => {
  assert.equal(crc32c(utf8('123456789')), 0xe3069283);
  const zeros = new Uint8Array(4096);
  assert.equal(crc32c(zeros), crc32cExtendJs(0, zeros));
  const rnd = new Random(5);
  const data = rnd.bytes(10_000);
  assert.equal(crc32cExtend(crc32c(data, 0, 700), data, 700), crc32c(data));
});

/** Streams that exercise every element kind: literals short and long, copies near and far, overlaps. */
const raws: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 100 }),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 9000 }).map((xs) => Uint8Array.from(xs)),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3000 }))
    .map(([unit, times]) =>
      Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length]!),
    ),
  fc.tuple(fc.integer({ min: 1000, max: 140_000 }), fc.integer()).map(([n, seed]) => {
    const rnd = new Random(seed >>> 0);
    const out = rnd.bytes(n);
    for (let i = 0; i < n; i++) if (i % 100 >= 50) out[i] = out[i - 50]!;
    return out;
  }),
);

test('kernel Snappy decodes what the TypeScript decoder decodes, byte for byte', () => {
  fc.assert(
    fc.property(raws, (raw) => {
      const s = snappyCompress(raw);
      const k = kernelDecode(s);
      assert.notEqual(k, 'corrupt');
      assert.deepEqual(k, raw);
      assert.deepEqual(snappyUncompress(s), raw);
    }),
    { numRuns: 300, ...FC },
  );
});

test('kernel Snappy compresses to the same bytes as the TypeScript compressor', () => {
  fc.assert(
    fc.property(raws, (raw) => {
      const ts = snappyCompressTs(raw);
      assert.deepEqual(kernel.snappyCompress(raw, 32 + raw.length + Math.floor(raw.length / 6)), ts);
      assert.deepEqual(snappyUncompressJs(ts), raw);
    }),
    { numRuns: 300, ...FC },
  );
  // Real blocks: a table's data blocks hold sorted keys with shared prefixes and repeated values.
  const block = new Uint8Array(4096);
  for (let i = 0, p = 0; p + 40 < block.length; i++) {
    const e = new TextEncoder().encode(`user:${String(i * 7).padStart(10, '0')}=value-${i % 13}|`);
    block.set(e, p);
    p += e.length;
  }
  assert.deepEqual(kernel.snappyCompress(block, 32 + 4096 + 682), snappyCompressTs(block));
});

test('kernel Snappy matches the TypeScript compressor where a match ends at any distance from the end', () => {
  // The kernel extends matches 8 bytes at a time: matches that stop k bytes before the end of the input
  // or of a 64 KiB fragment, or at a differing byte k bytes in, for every k below 16.
  const rnd = new Random(5);
  const unit = rnd.bytes(40);
  for (const total of [200, 65_536, 65_536 + 200]) {
    for (let k = 0; k < 16; k++) {
      const raw = Uint8Array.from({ length: total - k }, (_, i) => unit[i % 40]!);
      raw[total - 2 * k - 1] ^= 0x5a;
      const ts = snappyCompressTs(raw);
      assert.deepEqual(kernel.snappyCompress(raw, 32 + raw.length + Math.floor(raw.length / 6)), ts);
      assert.deepEqual(snappyUncompressJs(ts), raw);
    }
  }
});

/** Hand-built streams: 4-byte offsets, long literal lengths, overlapping copies of every offset < 8. */
test('kernel Snappy handles element forms our compressor never writes', () => {
  const lit = (bytes: number[]): number[] => [((bytes.length - 1) << 2) | 0, ...bytes];
  for (let off = 1; off <= 9; off++) {
    const body = [...lit([1, 2, 3, 4, 5, 6, 7, 8, 9]), ((40 - 1) << 2) | 3, off, 0, 0, 0];
    const s = Uint8Array.from([49, ...body]);
    assert.deepEqual(kernelDecode(s), tsDecode(s));
    assert.notEqual(tsDecode(s), 'corrupt');
  }
  // A literal with a 2-byte length (tag 61) of 300 bytes.
  const data = Array.from({ length: 300 }, (_, i) => i & 0xff);
  const s = Uint8Array.from([0xac, 0x02, 61 << 2, 299 & 0xff, 299 >> 8, ...data]);
  assert.deepEqual(kernelDecode(s), Uint8Array.from(data));
});

test('kernel Snappy rejects each bound broken by one byte, as the TypeScript decoder does', () => {
  const four = [3 << 2, 1, 2, 3, 4]; // a 4-byte literal
  const cases: Array<[string, number[]]> = [
    ['copy offset 0', [8, ...four, (0 << 2) | 1, 0]],
    ['copy offset one past the output so far', [8, ...four, (0 << 2) | 1, 5]],
    ['copy-2 offset one past the output so far', [8, ...four, (3 << 2) | 2, 5, 0]],
    ['copy-4 offset one past the output so far', [8, ...four, (3 << 2) | 3, 5, 0, 0, 0]],
    ['copy one byte past the output', [8, ...four, (4 << 2) | 2, 4, 0]],
    ['literal one byte past the output', [3, ...four]],
    ['literal one byte past the input', [5, 4 << 2, 1, 2, 3, 4]],
    ['long literal length past the input', [5, 62 << 2, 1]],
    ['copy header past the input', [8, ...four, (3 << 2) | 2, 5]],
    ['output shorter than declared', [5, ...four]],
  ];
  for (const [what, bytes] of cases) {
    const st = Uint8Array.from(bytes);
    assert.equal(tsDecode(st), 'corrupt', what);
    assert.equal(kernelDecode(st), 'corrupt', what);
  }
  // And the same streams with the bound met exactly decode.
  assert.deepEqual(
    kernelDecode(Uint8Array.from([8, ...four, (0 << 2) | 1, 4])),
    Uint8Array.from([1, 2, 3, 4, 1, 2, 3, 4]),
  );
});

test('kernel Snappy rejects exactly the damaged streams the TypeScript decoder rejects', () => {
  fc.assert(
    fc.property(
      raws,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (raw, edits, cut) => {
        const s = snappyCompress(raw).slice();
        for (const [at, v] of edits) s[at % s.length] = v;
        const damaged = cut % 3 === 0 ? s.subarray(0, cut % (s.length + 1)) : s;
        const t = tsDecode(damaged);
        assert.deepEqual(kernelDecode(damaged), t);
        // The dispatching decoder agrees too (and throws CorruptionError, never returns bad bytes).
        if (t === 'corrupt') assert.throws(() => snappyUncompress(damaged), CorruptionError);
        else assert.deepEqual(snappyUncompress(damaged), t);
      },
    ),
    { numRuns: 500, ...FC },
  );
});

test('kernel Snappy on real blocks written by LevelDB', async () => {
  const dir = makeTmpDir();
  try {
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'ldb'), {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await db.open();
    const rnd = new Random(3);
    const batch = [];
    for (let i = 0; i < 20_000; i++) {
      const v = rnd.bytes(100);
      v.copyWithin(50, 0, 50); // half compressible, as db_bench's values
      batch.push({
        type: 'put' as const,
        key: Buffer.from(String(i).padStart(16, '0')),
        value: Buffer.from(v),
      });
    }
    await db.batch(batch);
    await db.compactRange(Buffer.from('0'), Buffer.from('9'));
    await db.close();
    let blocks = 0;
    for (const name of readdirSync(join(dir, 'ldb')).filter((f) => f.endsWith('.ldb'))) {
      const file = readFileSync(join(dir, 'ldb', name));
      const footer = Footer.decode(file.subarray(file.length - FOOTER_LENGTH), name, 0);
      const ih = footer.indexHandle;
      // LevelDB compresses its index blocks too: read it the ordinary way (verified, decoded).
      const raf = {
        path: name,
        size: file.length,
        read: (o: number, n: number) => file.subarray(o, o + n),
        close() {},
      };
      const index = new Block(readBlockAt(raf, ih.offset, ih.size, true, name).data);
      const it = new BlockIterator(index, bytewiseComparator);
      const h = { offset: 0, size: 0, end: 0 };
      for (it.seekToFirst(); it.valid(); it.next()) {
        assert.ok(decodeBlockHandleInto(it.blockData, it.valueStart, it.valueEnd, h));
        assert.equal(file[h.offset + h.size], 1, 'a Snappy block');
        const stored = file.subarray(h.offset, h.offset + h.size);
        assert.equal(
          kernel.crc32cExtend(0, file, h.offset, h.offset + h.size + 1),
          crc32cExtendJs(0, file, h.offset, h.offset + h.size + 1),
        );
        const k = kernelDecode(stored);
        assert.notEqual(k, 'corrupt');
        assert.deepEqual(k, snappyUncompressJs(stored));
        blocks++;
      }
      assert.ok(h.offset + h.size + BLOCK_TRAILER_SIZE <= file.length);
    }
    assert.ok(blocks > 100, `${blocks} blocks`);
  } finally {
    removeTmpDir(dir);
  }
});
