/**
 * Snappy throughput: shale's pure-TS codec against snappyjs, in the same run, on 4 KiB table-block-like
 * buffers of db_bench data (16-byte keys, 100-byte values that compress to half: 50 random bytes
 * repeated), plus a few other shapes.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/snappy-bench.js
 */
import * as snappyjs from 'snappyjs';
import { snappyCompress, snappyUncompress } from '../src/sstable/snappy.js';
import { Random } from '../src/util/random.js';

/** dbBenchBlocks builds `count` buffers of about `size` bytes shaped like LevelDB data blocks. */
function dbBenchBlocks(count: number, size: number, rnd: Random): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let key = 0;
  for (let b = 0; b < count; b++) {
    const block = new Uint8Array(size);
    let p = 0;
    while (p + 3 + 16 + 8 + 100 <= size) {
      // entry header (shared, non_shared, value_len varints), key, 8-byte tag, value
      block[p++] = key % 16 === 0 ? 0 : 8;
      block[p++] = key % 16 === 0 ? 24 : 16;
      block[p++] = 100;
      const k = String(key++).padStart(16, '0');
      for (let i = 0; i < 16; i++) block[p++] = k.charCodeAt(i);
      for (let i = 0; i < 8; i++) block[p++] = i === 0 ? 1 : (key >>> (8 * (i - 1))) & 0xff;
      // value: 50 random printable bytes, repeated (db_bench's CompressibleString with ratio 0.5)
      const start = p;
      for (let i = 0; i < 50; i++) block[p++] = 32 + rnd.uniform(95);
      for (let i = 0; i < 50; i++) block[p++] = block[start + i]!;
    }
    blocks.push(block.subarray(0, p));
  }
  return blocks;
}

function randomBlocks(count: number, size: number, rnd: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let b = 0; b < count; b++) {
    const a = new Uint8Array(size);
    for (let i = 0; i < size; i++) a[i] = rnd.uniform(256);
    out.push(a);
  }
  return out;
}

function textBlocks(count: number, size: number, rnd: Random): Uint8Array[] {
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'shale', 'level', 'table'];
  const out: Uint8Array[] = [];
  for (let b = 0; b < count; b++) {
    let s = '';
    while (s.length < size) s += words[rnd.uniform(words.length)] + (rnd.uniform(8) === 0 ? '\n' : ' ');
    out.push(new TextEncoder().encode(s.slice(0, size)));
  }
  return out;
}

type Codec = (a: Uint8Array) => Uint8Array;

/** rate returns MB/s of uncompressed bytes for one timed pass of at least `minMs` over `inputs`. */
function rate(fn: Codec, inputs: Uint8Array[], rawBytes: number, minMs: number): number {
  // CPU time of this process, not wall time: other processes on a shared machine do not count.
  let rounds = 0;
  const t0 = process.cpuUsage();
  let elapsed = 0;
  do {
    for (const a of inputs) fn(a);
    rounds++;
    const t = process.cpuUsage(t0);
    elapsed = (t.user + t.system) / 1000;
  } while (elapsed < minMs);
  return (rawBytes * rounds) / 1e6 / (elapsed / 1000);
}

/**
 * best interleaves timed passes of the codecs and keeps each one's best pass: the machine may be shared,
 * and the best of several short passes is far steadier than one long pass.
 */
function best(fns: Codec[], inputs: Uint8Array[][], rawBytes: number, passes = 7, minMs = 100): number[] {
  const out = fns.map(() => 0);
  for (let i = 0; i < fns.length; i++) for (let w = 0; w < 3; w++) for (const a of inputs[i]!) fns[i]!(a);
  for (let p = 0; p < passes; p++) {
    for (let i = 0; i < fns.length; i++)
      out[i] = Math.max(out[i]!, rate(fns[i]!, inputs[i]!, rawBytes, minMs));
  }
  return out;
}

const fmt = (x: number) => x.toFixed(0).padStart(5);

function row(name: string, inputs: Uint8Array[]): void {
  const raw = inputs.reduce((s, a) => s + a.length, 0);
  const ours = inputs.map((a) => snappyCompress(a));
  const theirs = inputs.map((a) => snappyjs.compress(a));
  const ratio = (xs: Uint8Array[]) => (xs.reduce((s, a) => s + a.length, 0) / raw).toFixed(3);
  const [cOurs, cTheirs] = best([snappyCompress, (a) => snappyjs.compress(a)], [inputs, inputs], raw);
  const [dOurs, dTheirs] = best(
    [(a) => snappyUncompress(a), (a) => snappyjs.uncompress(a)],
    [ours, theirs],
    raw,
  );
  console.log(
    `${name.padEnd(22)} compress ${fmt(cOurs!)} MB/s (snappyjs ${fmt(cTheirs!)})` +
      `  uncompress ${fmt(dOurs!)} MB/s (snappyjs ${fmt(dTheirs!)})` +
      `  ratio ${ratio(ours)} (snappyjs ${ratio(theirs)})`,
  );
}

const rnd = new Random(301);
console.log(`node ${process.version}; MB/s of uncompressed bytes, CPU time, best of 7 interleaved passes`);
row('db_bench 4 KiB blocks', dbBenchBlocks(256, 4096, rnd));
row('db_bench 64 KiB', dbBenchBlocks(16, 65536, rnd));
row('db_bench 1 MiB', dbBenchBlocks(2, 1 << 20, rnd));
row('text 4 KiB blocks', textBlocks(256, 4096, rnd));
row('random 4 KiB blocks', randomBlocks(256, 4096, rnd));
row(
  'zeros 4 KiB blocks',
  Array.from({ length: 256 }, () => new Uint8Array(4096)),
);
