/**
 * The FilterPolicy interface (LevelDB include/leveldb/filter_policy.h): a compact summary of a set of
 * keys that answers "definitely absent" or "may be present". Its name is stored in the table's metaindex
 * (`filter.<name>`), so a reader only uses a filter written by the same policy.
 */

/** FilterPolicy builds and probes filters over user keys. */
export interface FilterPolicy {
  /** name is persisted in each table; change it whenever the filter encoding changes. */
  readonly name: string;
  /** createFilter returns a filter summarizing `keys` (user keys, possibly with duplicates). */
  createFilter(keys: readonly Uint8Array[]): Uint8Array;
  /**
   * keyMayMatch returns false only if `key` was certainly not among the keys the filter was built from.
   * It must not throw on malformed filters (answer true instead).
   */
  keyMayMatch(key: Uint8Array, filter: Uint8Array): boolean;
  /**
   * hashKey and hashMayMatch (optional, both or neither): the key's hash computed once per lookup, then
   * probed against filter `data[start, end)` in place, so a lookup through many tables hashes once.
   */
  hashKey?(key: Uint8Array, start: number, end: number): number;
  hashMayMatch?(hash: number, data: Uint8Array, start: number, end: number): boolean;
  /**
   * createPackedFilter (optional): createFilter over the keys packed in `keys`, key i being
   * `keys[starts[i], starts[i + 1])` (the last ends at `end`), without a view per key.
   */
  createPackedFilter?(keys: Uint8Array, starts: readonly number[], end: number): Uint8Array;
}
