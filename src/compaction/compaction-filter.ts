/**
 * The compaction filter (as RocksDB's): a hook that sees live values while compaction rewrites them and
 * may keep, remove or change each one. The base for TTL and similar expiry schemes.
 */

/** FilterDecision is what a filter decides for one value. */
export type FilterDecision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'remove' }
  | { readonly kind: 'change'; readonly value: Uint8Array };

/** KEEP, REMOVE: shared decisions (no allocation per call). */
export const KEEP: FilterDecision = Object.freeze({ kind: 'keep' });
export const REMOVE: FilterDecision = Object.freeze({ kind: 'remove' });

/**
 * CompactionFilter decides the fate of values during one compaction. It is only shown the newest
 * version of a key, and only when no live snapshot can see that version, so snapshots never observe
 * its effect. A removed value becomes a deletion, so older versions never reappear.
 */
export interface CompactionFilter {
  /** filter is called with the level being compacted, the user key and the value (views: copy to keep). */
  filter(level: number, key: Uint8Array, value: Uint8Array): FilterDecision;
}

/** CompactionFilterFactory creates a fresh filter for each compaction (filters may keep state). */
export type CompactionFilterFactory = (context: {
  readonly level: number;
  readonly isManual: boolean;
}) => CompactionFilter;
