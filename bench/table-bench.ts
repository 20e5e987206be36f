/**
 * Micro-benchmark of the sstable layer on an in-memory file: table build, get() on a fully cached table,
 * get() without a cache (read + CRC per lookup), and full scans.
 *
 *   npm run build:test --silent && node build/bench/table-bench.js [entries] [valueSize]
 */
import type { RandomAccessFile, WritableFile } from '../src/env/file-system.js';
import { TableBuilder } from '../src/sstable/table-builder.js';
import { Table } from '../src/sstable/table.js';
import { CompressionType } from '../src/sstable/compression.js';
import {
  InternalKeyComparator,
  MAX_SEQUENCE,
  lookupKey,
  makeInternalKey,
} from '../src/memtable/internal-key.js';
import { bytewiseComparator } from '../src/util/comparator.js';
import { BlockCache } from '../src/sstable/block-cache.js';
import { Random } from '../src/util/random.js';

const N = Number(process.argv[2] ?? 200_000);
const VALUE_SIZE = Number(process.argv[3] ?? 100);

class MemOut implements WritableFile {
  readonly path = 'bench.ldb';
  chunks: Uint8Array[] = [];
  size = 0;
  append(d: Uint8Array): void {
    this.chunks.push(d);
    this.size += d.length;
  }
  sync(): void {}
  async syncAsync(): Promise<void> {}
  close(): void {}
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

class MemIn implements RandomAccessFile {
  readonly path = 'bench.ldb';
  constructor(private readonly b: Uint8Array) {}
  get size(): number {
    return this.b.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.b.slice(offset, offset + length);
  }
  close(): void {}
}

function userKey(i: number): Uint8Array {
  return new TextEncoder().encode(`key${String(i).padStart(13, '0')}`); // 16 bytes
}

function rate(label: string, ops: number, ms: number, unit = 'ops/s'): void {
  console.log(
    `${label.padEnd(34)} ${(ops / (ms / 1000)).toFixed(0).padStart(12)} ${unit}  (${ops} in ${ms.toFixed(0)} ms)`,
  );
}

const cmp = new InternalKeyComparator(bytewiseComparator);
const rnd = new Random(1);
const value = rnd.bytes(VALUE_SIZE);
const keys: Uint8Array[] = [];
for (let i = 0; i < N; i++) keys.push(makeInternalKey(userKey(i), i + 1, 1));

// Build.
let t0 = performance.now();
const out = new MemOut();
const tb = new TableBuilder(
  {
    comparator: cmp,
    blockSize: 4096,
    blockRestartInterval: 16,
    compression: CompressionType.NONE,
    filterPolicy: null,
  },
  out,
);
for (const k of keys) tb.add(k, value);
const size = tb.finish();
rate('build (add + finish)', N, performance.now() - t0, 'entries/s');
console.log(`table: ${N} entries, ${VALUE_SIZE}-byte values, ${(size / 1048576).toFixed(1)} MiB`);
const bytes = out.bytes();

const lookups: Uint8Array[] = [];
for (let i = 0; i < 1_000_000; i++) lookups.push(lookupKey(userKey(rnd.uniform(N)), MAX_SEQUENCE - 1));

function benchGets(table: Table, label: string, count: number): void {
  let found = 0;
  // Warm up (JIT and cache).
  for (let i = 0; i < Math.min(count, 200_000); i++) if (table.get(lookups[i]!) !== undefined) found++;
  found = 0;
  t0 = performance.now();
  for (let i = 0; i < count; i++) if (table.get(lookups[i]!) !== undefined) found++;
  rate(label, count, performance.now() - t0, 'gets/s');
  if (found !== count) throw new Error(`found ${found} of ${count}`);
}

// Cached gets: a cache large enough for the whole table, warmed by a scan.
const cache = new BlockCache(bytes.length * 2);
const cached = Table.open(new MemIn(bytes), bytes.length, {
  comparator: cmp,
  filterPolicy: null,
  blockCache: cache,
  fileName: 'bench.ldb',
});
const warm = cached.iterator();
for (warm.seekToFirst(); warm.valid(); warm.next());
warm.close();
benchGets(cached, 'get, cached table', 1_000_000);

// Uncached: every get reads its block and verifies the CRC.
const uncached = Table.open(new MemIn(bytes), bytes.length, {
  comparator: cmp,
  filterPolicy: null,
  fileName: 'bench.ldb',
});
benchGets(uncached, 'get, no cache (read + crc)', 200_000);

// Scans.
for (const [label, table] of [
  ['scan, cached (key+value)', cached],
  ['scan, no cache (key+value)', uncached],
] as const) {
  const it = table.iterator();
  let n = 0;
  let sum = 0;
  for (let pass = 0; pass < 2; pass++) for (it.seekToFirst(); it.valid(); it.next()) sum += it.key().length; // warm-up
  t0 = performance.now();
  // Full passes until at least 500 ms have gone by.
  while (performance.now() - t0 < 500) {
    for (it.seekToFirst(); it.valid(); it.next()) {
      sum += it.key().length + it.value().length;
      n++;
    }
  }
  rate(label, n, performance.now() - t0, 'entries/s');
  if (sum === 0) throw new Error('empty scan');
}

// Reverse scan, cached.
{
  const it = cached.iterator();
  let n = 0;
  t0 = performance.now();
  while (performance.now() - t0 < 500) {
    for (it.seekToLast(); it.valid(); it.prev()) n += it.key().length > 0 ? 1 : 0;
  }
  rate('reverse scan, cached (key)', n, performance.now() - t0, 'entries/s');
}

// Seeks through an iterator.
{
  const it = cached.iterator();
  t0 = performance.now();
  const count = 500_000;
  for (let i = 0; i < count; i++) it.seek(lookups[i]!);
  rate('iterator seek, cached', count, performance.now() - t0, 'seeks/s');
}
