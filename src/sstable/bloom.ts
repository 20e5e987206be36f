/**
 * LevelDB's built-in bloom filter (util/bloom.cc), byte for byte: see leveldb-format.md §7. Filters
 * written here are read by LevelDB and the other way round.
 */
import type { FilterPolicy } from './filter-policy.js';
import { InvalidArgumentError } from '../util/errors.js';
import { hash32 } from '../util/hash.js';

// FROZEN: on-disk. The policy name stored in the metaindex ("filter.<name>") and the hash seed.
/** BLOOM_FILTER_NAME is the name LevelDB records for this filter encoding. */
export const BLOOM_FILTER_NAME = 'leveldb.BuiltinBloomFilter2';
const BLOOM_SEED = 0xbc9f1d34;
/** Probe counts above this are reserved for future encodings: such filters match everything. */
const MAX_PROBES = 30;
/** Smallest filter in bits: a tiny key set would otherwise get a very high false-positive rate. */
const MIN_BITS = 64;

/**
 * BloomFilterPolicy builds bloom filters over user keys with `bitsPerKey` bits per key (10 gives about
 * 1% false positives) and ln(2)·bitsPerKey probes, as LevelDB's NewBloomFilterPolicy does.
 */
export class BloomFilterPolicy implements FilterPolicy {
  readonly name = BLOOM_FILTER_NAME;
  readonly bitsPerKey: number;
  /** k: probes per key, floor(bitsPerKey · 0.69) clamped to [1, 30]. */
  private readonly probes: number;

  /** Throws InvalidArgumentError unless `bitsPerKey` is a positive integer (LevelDB takes an int). */
  constructor(bitsPerKey = 10) {
    if (!Number.isInteger(bitsPerKey) || bitsPerKey < 1) {
      throw new InvalidArgumentError(`bloom filter bitsPerKey must be a positive integer, got ${bitsPerKey}`);
    }
    this.bitsPerKey = bitsPerKey;
    // 0.69 ≈ ln(2), rounded down as LevelDB does (static_cast<size_t>)
    this.probes = Math.min(MAX_PROBES, Math.max(1, Math.floor(bitsPerKey * 0.69)));
  }

  createFilter(keys: readonly Uint8Array[]): Uint8Array {
    const filter = this.emptyFilter(keys.length);
    for (const key of keys) this.addHash(filter, hash32(key, BLOOM_SEED));
    return filter;
  }

  createPackedFilter(keys: Uint8Array, starts: readonly number[], end: number): Uint8Array {
    const n = starts.length;
    const filter = this.emptyFilter(n);
    for (let i = 0; i < n; i++)
      this.addHash(filter, hash32(keys, BLOOM_SEED, starts[i]!, i + 1 < n ? starts[i + 1]! : end));
    return filter;
  }

  /** emptyFilter: the zeroed bit array for `n` keys, with the probe count in its last byte. */
  private emptyFilter(n: number): Uint8Array {
    let bits = n * this.bitsPerKey;
    if (bits < MIN_BITS) bits = MIN_BITS;
    const bytes = (bits + 7) >>> 3;
    const filter = new Uint8Array(bytes + 1);
    filter[bytes] = this.probes;
    return filter;
  }

  /** addHash sets a key's probes: double hashing, k probes stepping by the hash's 17-bit rotation. */
  private addHash(filter: Uint8Array, hash: number): void {
    const bits = (filter.length - 1) * 8;
    const k = this.probes;
    let h = hash;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const pos = uint32Mod(h, bits);
      filter[pos >>> 3]! |= 1 << (pos & 7);
      h = (h + delta) >>> 0;
    }
  }

  keyMayMatch(key: Uint8Array, filter: Uint8Array): boolean {
    return this.hashMayMatch(hash32(key, BLOOM_SEED), filter, 0, filter.length);
  }

  hashKey(key: Uint8Array, start: number, end: number): number {
    return hash32(key, BLOOM_SEED, start, end);
  }

  hashMayMatch(hash: number, data: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    if (len < 2) return false;
    const k = data[end - 1]!;
    if (k > MAX_PROBES) return true; // reserved for short-key encodings we do not know: match
    const bits = (len - 1) * 8;
    let h = hash;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const pos = uint32Mod(h, bits);
      if ((data[start + (pos >>> 3)]! & (1 << (pos & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }
}

/**
 * uint32Mod is h % n for a uint32 h and 0 < n < 2^31, without `%`: half the hashes are above 2^31, and V8
 * takes the remainder of such a number as a double through a C call (about 24 ns against 10 here). The
 * quotient is exact: h / n is at least 1/n away from the next integer, far more than a double's error.
 */
function uint32Mod(h: number, n: number): number {
  return h - Math.floor(h / n) * n;
}
