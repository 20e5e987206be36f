/**
 * SortedKeys: the keys of a block decoded once into one packed array, for point lookups by binary search
 * (no prefix decoding per probe). Serves the index block of every open table, a data block once it is
 * read a second time from the cache, and the files' largest keys of each level of a Version.
 */
import type { Comparator } from '../util/comparator.js';
import { bytewiseComparator } from '../util/comparator.js';
import { TAG_SIZE, InternalKeyComparator } from '../memtable/internal-key.js';
import { type Block, BlockIterator, type RangeCompare, rangeCompareFor } from './block.js';

const NO_BYTES = new Uint8Array(0);

/**
 * SortedKeys holds entry i's key in `keys[keyStart(i), keyEnd(i))` and its value in
 * `values[valueStart(i), valueEnd(i))` (the block's own bytes).
 *
 * Memory layout: a lookup in a cache far larger than the CPU's is bound by cache misses, not by compares
 * (a binary search over a random block's packed keys cost 1.5-3 us, over a hot one 0.13 us), so everything
 * a probe touches lives in one ArrayBuffer: the 4-byte signatures first, then the key starts, the value
 * ranges and the keys. A signature is the 4 user-key bytes after the shared prefix, big-endian and
 * zero-padded, as an int32 in unsigned order: comparing signatures orders keys as far as those bytes go,
 * so a probe reads one word and only equal signatures compare whole keys.
 *
 * Invariants:
 * 1. Keys are in the comparator's order.
 * 2. For internal keys over the bytewise order, every user key of the first `prefixed` keys begins with
 *    the `prefix` bytes of key 0 (keys between two keys that share a prefix share it too), so probes
 *    compare from there on, and sigs[i] = signature(key i) is non-decreasing for i < prefixed. For other
 *    comparators there are no signatures.
 * 3. `prefixed` is count, or count - 1 when the last key shares less with key 0 than the one before it:
 *    an index block's last key is a short successor ("1" after "0000000000206538"), which would leave no
 *    prefix to skip and every signature equal, so it is compared apart.
 */
export class SortedKeys {
  readonly count: number;
  /** keys holds every key, packed. */
  readonly keys: Uint8Array;
  /** values is the block's data that the value ranges point into. */
  readonly values: Uint8Array;
  /** prefix: the length of the user-key prefix the first `prefixed` keys share (0 for other comparators). */
  readonly prefix: number;
  /** prefixed: how many keys (from the first) share the prefix and have signatures. */
  readonly prefixed: number;
  /** meta: [signature x count][key start x (count + 1)][value start, value end x count]. */
  private readonly meta: Int32Array;
  private readonly startsAt: number;
  private readonly valuesAt: number;
  private readonly hasSigs: boolean;
  private readonly rcmp: RangeCompare;

  private constructor(
    cmp: Comparator,
    count: number,
    keyBytes: number,
    withValues: boolean,
    values: Uint8Array,
    fill: (keys: Uint8Array, meta: Int32Array, startsAt: number, valuesAt: number) => void,
  ) {
    this.count = count;
    this.hasSigs = isInternalBytewise(cmp);
    this.startsAt = count;
    this.valuesAt = 2 * count + 1;
    const metaLen = this.valuesAt + (withValues ? 2 * count : 0);
    const buf = new ArrayBuffer(metaLen * 4 + keyBytes);
    this.meta = new Int32Array(buf, 0, metaLen);
    this.keys = new Uint8Array(buf, metaLen * 4, keyBytes);
    this.values = values;
    this.rcmp = rangeCompareFor(cmp);
    fill(this.keys, this.meta, this.startsAt, this.valuesAt);
    let prefix = 0;
    let prefixed = count;
    if (count > 0 && this.hasSigs) {
      prefix = sharedUserPrefix(this.keys, this.meta, count, count - 1);
      const before = count > 2 ? sharedUserPrefix(this.keys, this.meta, count, count - 2) : 0;
      if (before > prefix) {
        prefix = before;
        prefixed = count - 1;
      }
    }
    this.prefix = prefix;
    this.prefixed = prefixed;
    if (this.hasSigs) {
      const m = this.meta;
      for (let i = 0; i < prefixed; i++)
        m[i] = signature(this.keys, m[count + i]! + prefix, m[count + i + 1]! - TAG_SIZE);
      if (prefixed < count) m[prefixed] = 0; // unused: the last key is compared whole
    }
  }

  /**
   * fromBlock decodes every entry of `block` (throws CorruptionError on a malformed entry). With
   * `withValues` false only the keys are kept (value ranges are then empty).
   */
  static fromBlock(block: Block, cmp: Comparator, withValues: boolean): SortedKeys {
    const it = new BlockIterator(block, cmp);
    let count = 0;
    let total = 0;
    for (it.seekToFirst(); it.valid(); it.next()) {
      total += it.key().length;
      count++;
    }
    return new SortedKeys(cmp, count, total, withValues, block.data, (keys, meta, startsAt, valuesAt) => {
      let i = 0;
      let at = 0;
      for (it.seekToFirst(); it.valid(); it.next(), i++) {
        const k = it.key();
        keys.set(k, at);
        meta[startsAt + i] = at;
        at += k.length;
        if (withValues) {
          meta[valuesAt + 2 * i] = it.valueStart;
          meta[valuesAt + 2 * i + 1] = it.valueEnd;
        }
      }
      meta[startsAt + i] = at;
    });
  }

  /** fromKeys packs `keys` (sorted in `cmp`'s order), without values. */
  static fromKeys(cmp: Comparator, keys: readonly Uint8Array[]): SortedKeys {
    let total = 0;
    for (const k of keys) total += k.length;
    return new SortedKeys(cmp, keys.length, total, false, NO_BYTES, (packed, meta, startsAt) => {
      let at = 0;
      for (let i = 0; i < keys.length; i++) {
        packed.set(keys[i]!, at);
        meta[startsAt + i] = at;
        at += keys[i]!.length;
      }
      meta[startsAt + keys.length] = at;
    });
  }

  /** bytes is the memory the decoded arrays take (a block cache charge). */
  get bytes(): number {
    return this.meta.byteLength + this.keys.length;
  }

  /** keyStart and keyEnd bound entry i's key in `keys`. */
  keyStart(i: number): number {
    return this.meta[this.startsAt + i]!;
  }
  keyEnd(i: number): number {
    return this.meta[this.startsAt + i + 1]!;
  }

  /** valueStart and valueEnd bound entry i's value in `values` (kept only `withValues`). */
  valueStart(i: number): number {
    return this.meta[this.valuesAt + 2 * i]!;
  }
  valueEnd(i: number): number {
    return this.meta[this.valuesAt + 2 * i + 1]!;
  }

  /** lowerBound returns the index of the first key >= `target`, or count when there is none. */
  lowerBound(target: Uint8Array): number {
    const keys = this.keys;
    const meta = this.meta;
    const tlen = target.length;
    const p = this.prefix;
    // Without signatures, or for a target shorter than the prefix: whole compares decide.
    if (!this.hasSigs || tlen - TAG_SIZE < p) return this.searchKeys(0, this.count, target, 0);
    const m = this.prefixed;
    // Every prefixed key starts with keys[0, p): a target without that prefix sorts before or after them all.
    for (let i = 0; i < p; i++) {
      const d = target[i]! - keys[i]!;
      if (d !== 0) return d < 0 ? 0 : this.afterPrefixed(target);
    }
    // The first signature >= the target's: every key before it is smaller.
    const tsig = signature(target, p, tlen - TAG_SIZE);
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (meta[mid]! < tsig) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= m) return this.afterPrefixed(target);
    if (meta[lo]! !== tsig) return lo;
    // Keys with the target's signature: past the last of them every key is larger; between, compare.
    hi = lo + 1;
    let end = m;
    while (hi < end) {
      const mid = (hi + end) >>> 1;
      if (meta[mid]! === tsig) hi = mid + 1;
      else end = mid;
    }
    const i = this.searchKeys(lo, hi, target, p);
    return i < m ? i : this.afterPrefixed(target);
  }

  /** afterPrefixed: the lower bound of a target larger than every prefixed key (the last key, or none). */
  private afterPrefixed(target: Uint8Array): number {
    const m = this.prefixed;
    return m === this.count ? m : this.searchKeys(m, this.count, target, 0);
  }

  /** searchKeys: the first index in [lo, hi) whose key >= `target`, comparing both from byte `from` on. */
  private searchKeys(lo: number, hi: number, target: Uint8Array, from: number): number {
    const keys = this.keys;
    const meta = this.meta;
    const s = this.startsAt;
    const rcmp = this.rcmp;
    const tlen = target.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rcmp(keys, meta[s + mid]! + from, meta[s + mid + 1]!, target, from, tlen) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * signature returns bytes [from, from + 4) of `a` (zero past `end`), big-endian, as an int32 whose signed
 * order is the bytes' unsigned order: a < b bytewise implies signature(a) <= signature(b).
 */
function signature(a: Uint8Array, from: number, end: number): number {
  const n = end - from;
  if (n >= 4) return ((a[from]! << 24) | (a[from + 1]! << 16) | (a[from + 2]! << 8) | a[from + 3]!) ^ SIGN;
  let v = 0;
  for (let i = 0; i < 4; i++) v = (v << 8) | (i < n ? a[from + i]! : 0);
  return v ^ SIGN;
}

const SIGN = -0x80000000;

/** isInternalBytewise tells whether `cmp` orders internal keys by bytewise user keys. */
function isInternalBytewise(cmp: Comparator): boolean {
  return cmp instanceof InternalKeyComparator && cmp.user === bytewiseComparator;
}

/** sharedUserPrefix returns the length of the common prefix of the user keys of key 0 and key `j`. */
function sharedUserPrefix(keys: Uint8Array, meta: Int32Array, count: number, j: number): number {
  const a = meta[count]!;
  const b = meta[count + j]!;
  const n = Math.min(meta[count + 1]! - a, meta[count + j + 1]! - b) - TAG_SIZE;
  let i = 0;
  while (i < n && keys[a + i] === keys[b + i]) i++;
  return i;
}
