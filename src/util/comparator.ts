/**
 * The Comparator interface (LevelDB include/leveldb/comparator.h) and the default bytewise order.
 * A comparator's name is persisted in the MANIFEST; opening a database with a different name fails.
 */
import { compareBytes } from './bytes.js';

/** Comparator defines a total order over user keys. Implementations must be pure and thread-safe. */
export interface Comparator {
  /**
   * name identifies the order on disk. Change it whenever the order changes; names starting with
   * "leveldb." are reserved for LevelDB's own comparators.
   */
  readonly name: string;
  /** compare returns a negative number, zero or a positive number as `a` is before, equal to or after `b`. */
  compare(a: Uint8Array, b: Uint8Array): number;
  /**
   * findShortestSeparator returns a key `k` with `start <= k < limit` (when `start < limit`), as short as
   * it can, used for index block keys. Returning `start` itself is always correct.
   */
  findShortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array;
  /** findShortSuccessor returns a short key `k >= key`. Returning `key` itself is always correct. */
  findShortSuccessor(key: Uint8Array): Uint8Array;
}

/** BYTEWISE_COMPARATOR_NAME is the name LevelDB records for its default order. */
export const BYTEWISE_COMPARATOR_NAME = 'leveldb.BytewiseComparator';

/** bytewiseComparator orders keys as memcmp does, shorter first on a common prefix (LevelDB's default). */
export const bytewiseComparator: Comparator = {
  name: BYTEWISE_COMPARATOR_NAME,
  compare: compareBytes,
  findShortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
    const n = Math.min(start.length, limit.length);
    let i = 0;
    while (i < n && start[i] === limit[i]) i++;
    if (i >= n) return start; // one is a prefix of the other
    const b = start[i]!;
    if (b < 0xff && b + 1 < limit[i]!) {
      const out = start.slice(0, i + 1);
      out[i] = b + 1;
      return out;
    }
    return start;
  },
  findShortSuccessor(key: Uint8Array): Uint8Array {
    for (let i = 0; i < key.length; i++) {
      if (key[i] !== 0xff) {
        const out = key.slice(0, i + 1);
        out[i] = key[i]! + 1;
        return out;
      }
    }
    return key; // all 0xff: no shorter successor
  },
};
