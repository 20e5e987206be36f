/**
 * SortedKeys: the keys of a block decoded once into one packed array, for point lookups by binary search
 * (no prefix decoding per probe). Serves the index block of every open table, a data block once it is
 * read a second time from the cache, and the files' largest keys of each level of a Version.
 */
import type { Comparator } from '../util/comparator.js';
import { bytewiseComparator } from '../util/comparator.js';
import { TAG_SIZE, InternalKeyComparator } from '../memtable/internal-key.js';
import { type Block, BlockIterator, type RangeCompare, rangeCompareFor } from './block.js';

const NO_INDEX = new Int32Array(0);
const NO_BYTES = new Uint8Array(0);

/**
 * SortedKeys holds entry i's key in `keys[starts[i], starts[i+1])` and its value in
 * `values[valueStarts[i], valueEnds[i])` (the block's own bytes).
 *
 * Invariants:
 * 1. Keys are in the comparator's order.
 * 2. For internal keys over the bytewise order, every user key begins with the `prefix` bytes of key 0
 *    (keys between two keys that share a prefix share it too), so probes compare from there on.
 */
export class SortedKeys {
  readonly count: number;
  readonly keys: Uint8Array;
  readonly starts: Int32Array;
  readonly values: Uint8Array;
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;
  /** prefix: the length of the user-key prefix every key shares (0 for other comparators). */
  readonly prefix: number;
  private readonly rcmp: RangeCompare;

  private constructor(
    cmp: Comparator,
    keys: Uint8Array,
    starts: Int32Array,
    values: Uint8Array,
    valueStarts: Int32Array,
    valueEnds: Int32Array,
  ) {
    this.count = starts.length - 1;
    this.keys = keys;
    this.starts = starts;
    this.values = values;
    this.valueStarts = valueStarts;
    this.valueEnds = valueEnds;
    this.rcmp = rangeCompareFor(cmp);
    this.prefix = this.count > 0 && isInternalBytewise(cmp) ? sharedUserPrefix(keys, starts, this.count) : 0;
  }

  /**
   * fromBlock decodes every entry of `block` (throws CorruptionError on a malformed entry). With
   * `withValues` false only the keys are kept (values() ranges are then empty).
   */
  static fromBlock(block: Block, cmp: Comparator, withValues: boolean): SortedKeys {
    const it = new BlockIterator(block, cmp);
    const ends: number[] = [];
    const vs: number[] = [];
    const ve: number[] = [];
    let total = 0;
    for (it.seekToFirst(); it.valid(); it.next()) {
      total += it.key().length;
      ends.push(total);
      if (withValues) {
        vs.push(it.valueStart);
        ve.push(it.valueEnd);
      }
    }
    const keys = new Uint8Array(total);
    const starts = new Int32Array(ends.length + 1);
    starts.set(ends, 1);
    let i = 0;
    for (it.seekToFirst(); it.valid(); it.next()) keys.set(it.key(), starts[i++]!);
    return new SortedKeys(
      cmp,
      keys,
      starts,
      block.data,
      withValues ? Int32Array.from(vs) : NO_INDEX,
      withValues ? Int32Array.from(ve) : NO_INDEX,
    );
  }

  /** fromKeys packs `keys` (sorted in `cmp`'s order), without values. */
  static fromKeys(cmp: Comparator, keys: readonly Uint8Array[]): SortedKeys {
    const starts = new Int32Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) starts[i + 1] = starts[i]! + keys[i]!.length;
    const packed = new Uint8Array(starts[keys.length]!);
    for (let i = 0; i < keys.length; i++) packed.set(keys[i]!, starts[i]!);
    return new SortedKeys(cmp, packed, starts, NO_BYTES, NO_INDEX, NO_INDEX);
  }

  /** bytes is the memory the decoded arrays take (a block cache charge). */
  get bytes(): number {
    return this.keys.length + (this.starts.length + this.valueStarts.length + this.valueEnds.length) * 4;
  }

  /** lowerBound returns the index of the first key >= `target`, or count when there is none. */
  lowerBound(target: Uint8Array): number {
    const keys = this.keys;
    const starts = this.starts;
    const tlen = target.length;
    let from = 0;
    const p = this.prefix;
    if (p > 0 && tlen - TAG_SIZE >= p) {
      // Every key starts with keys[0, p): a target without that prefix sorts before or after them all.
      for (let i = 0; i < p; i++) {
        const d = target[i]! - keys[i]!;
        if (d !== 0) return d < 0 ? 0 : this.count;
      }
      from = p;
    }
    const rcmp = this.rcmp;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rcmp(keys, starts[mid]! + from, starts[mid + 1]!, target, from, tlen) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** isInternalBytewise tells whether `cmp` orders internal keys by bytewise user keys. */
function isInternalBytewise(cmp: Comparator): boolean {
  return cmp instanceof InternalKeyComparator && cmp.user === bytewiseComparator;
}

/** sharedUserPrefix returns the length of the common prefix of the first and last user keys. */
function sharedUserPrefix(keys: Uint8Array, starts: Int32Array, count: number): number {
  const a = starts[0]!;
  const b = starts[count - 1]!;
  const n = Math.min(starts[1]! - a, starts[count]! - b) - TAG_SIZE;
  let i = 0;
  while (i < n && keys[a + i] === keys[b + i]) i++;
  return i;
}
