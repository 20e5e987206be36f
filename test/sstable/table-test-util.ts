/**
 * Helpers for the sstable tests: in-memory files, internal-key helpers, and two test filter policies
 * (LevelDB's filter_block_test hash filter, and a test-only copy of LevelDB's bloom filter for interop).
 */
import type { RandomAccessFile, WritableFile } from '../../src/env/file-system.js';
import type { FilterPolicy } from '../../src/sstable/filter-policy.js';
import { decodeFixed32, encodeFixed32 } from '../../src/util/coding.js';
import { hash32 } from '../../src/util/hash.js';
import { concatBytes } from '../../src/util/bytes.js';
import { InternalKeyComparator, makeInternalKey } from '../../src/memtable/internal-key.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { IOError } from '../../src/util/errors.js';
import { snappyCompress, snappyUncompress } from '../../src/sstable/snappy.js';

/** ICMP is the internal-key comparator over bytewise user keys. */
export const ICMP = new InternalKeyComparator(bytewiseComparator);

/** MemWritableFile collects appended bytes in memory and counts the append calls. */
export class MemWritableFile implements WritableFile {
  private chunks: Uint8Array[] = [];
  size = 0;
  appends = 0;
  failAfter = Infinity; // number of appends that succeed before append throws EIO
  constructor(readonly path = 'mem.ldb') {}
  append(data: Uint8Array): void {
    if (this.appends >= this.failAfter)
      throw new IOError('injected write failure', 'EIO', 'write', this.path);
    this.appends++;
    this.chunks.push(data.slice());
    this.size += data.length;
  }
  sync(): void {}
  async syncAsync(): Promise<void> {}
  close(): void {}
  contents(): Uint8Array {
    return concatBytes(...this.chunks);
  }
}

/** MemRandomAccessFile serves reads from a byte array and counts them. */
export class MemRandomAccessFile implements RandomAccessFile {
  reads = 0;
  closed = false;
  constructor(
    readonly bytes: Uint8Array,
    readonly path = 'mem.ldb',
  ) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    if (this.closed) throw new IOError('read after close', 'EBADF', 'read', this.path);
    this.reads++;
    return this.bytes.slice(offset, Math.min(this.bytes.length, offset + length));
  }
  close(): void {
    this.closed = true;
  }
}

/** ik builds an internal key from a string or bytes user key. */
export function ik(user: string | Uint8Array, seq: number, type = 1): Uint8Array {
  return makeInternalKey(typeof user === 'string' ? new TextEncoder().encode(user) : user, seq, type);
}

/** b encodes a string as bytes. */
export function b(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** TestHashFilter is LevelDB filter_block_test's policy: the filter is the list of each key's hash. */
export class TestHashFilter implements FilterPolicy {
  readonly name = 'TestHashFilter';
  created = 0;
  createFilter(keys: readonly Uint8Array[]): Uint8Array {
    this.created++;
    const out = new Uint8Array(keys.length * 4);
    keys.forEach((k, i) => encodeFixed32(out, i * 4, hash32(k, 1)));
    return out;
  }
  keyMayMatch(key: Uint8Array, filter: Uint8Array): boolean {
    const h = hash32(key, 1);
    for (let i = 0; i + 4 <= filter.length; i += 4) if (decodeFixed32(filter, i) === h) return true;
    return false;
  }
}

/**
 * TestLevelDbBloom re-implements LevelDB's built-in bloom filter (util/bloom.cc, leveldb-format.md §7)
 * inside the tests only, so the interop tests can check filter blocks against real LevelDB without
 * depending on src/sstable/bloom.ts (built on another branch).
 */
export class TestLevelDbBloom implements FilterPolicy {
  readonly name = 'leveldb.BuiltinBloomFilter2';
  constructor(private readonly bitsPerKey = 10) {}
  createFilter(keys: readonly Uint8Array[]): Uint8Array {
    const k = Math.min(30, Math.max(1, Math.floor(this.bitsPerKey * 0.69)));
    const bytes = Math.ceil(Math.max(64, keys.length * this.bitsPerKey) / 8);
    const bits = bytes * 8;
    const out = new Uint8Array(bytes + 1);
    out[bytes] = k;
    for (const key of keys) {
      let h = hash32(key, 0xbc9f1d34);
      const delta = ((h >>> 17) | (h << 15)) >>> 0;
      for (let j = 0; j < k; j++) {
        const pos = h % bits;
        out[pos >>> 3]! |= 1 << (pos & 7);
        h = (h + delta) >>> 0;
      }
    }
    return out;
  }
  keyMayMatch(key: Uint8Array, filter: Uint8Array): boolean {
    const len = filter.length;
    if (len < 2) return false;
    const bits = (len - 1) * 8;
    const k = filter[len - 1]!;
    if (k > 30) return true;
    let h = hash32(key, 0xbc9f1d34);
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const pos = h % bits;
      if ((filter[pos >>> 3]! & (1 << (pos & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }
}

/** sortInternal sorts [internalKey, value] pairs by the internal-key order. */
export function sortInternal(entries: [Uint8Array, Uint8Array][]): [Uint8Array, Uint8Array][] {
  return entries.sort((x, y) => ICMP.compare(x[0], y[0]));
}

/** lowerBound returns the index of the first key >= target in sorted `keys` (keys.length if none). */
export function lowerBound(
  keys: readonly Uint8Array[],
  target: Uint8Array,
  cmp = ICMP.compare.bind(ICMP),
): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(keys[mid]!, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** snappySkipReason returns a test skip reason while src/sstable/snappy.ts is a placeholder, else false. */
export function snappySkipReason(): string | false {
  try {
    const x = new TextEncoder().encode('hello hello hello hello hello');
    const y = snappyUncompress(snappyCompress(x));
    return y.length === x.length && y.every((v, i) => v === x[i]) ? false : 'snappy does not round-trip';
  } catch {
    return 'snappy not implemented yet (src/sstable/snappy.ts is a placeholder)';
  }
}
