/**
 * ReadCounters: what the table readers of one database did, counted in place as plain numbers (no
 * allocation, no branch beyond the increment): block cache hits and misses, what the bloom filters
 * saved, bytes of data blocks read from files, and (counted by the table cache above) table cache
 * hits and misses. The DB turns them into metrics (src/db/metrics.ts).
 */

/** ReadCounters accumulates table-read events; every field only grows. */
export class ReadCounters {
  /** blockCacheHits: data blocks found in the block cache. */
  blockCacheHits = 0;
  /** blockCacheMisses: data blocks read from a file (a cache exists but did not hold them). */
  blockCacheMisses = 0;
  /** blockReads: data blocks read from a file (cache misses, plus reads with no cache). */
  blockReads = 0;
  /** compressedCacheHits: block-cache misses the compressed block cache served (no file read). */
  compressedCacheHits = 0;
  /** bytesRead: bytes of data blocks read from files (with their trailers). */
  bytesRead = 0;
  /** bloomUseful: point lookups a bloom filter answered "absent", so no data block was read. */
  bloomUseful = 0;
  /** bloomMayMatch: point lookups a bloom filter let through (the key may be in the table). */
  bloomMayMatch = 0;
  /** tableCacheHits: table lookups that found the table open in the table cache. */
  tableCacheHits = 0;
  /** tableCacheMisses: table lookups that opened the table's file. */
  tableCacheMisses = 0;
}

/** DISCARDED_COUNTERS: where tables opened without counters of their own (tools, workers) count. */
export const DISCARDED_COUNTERS = new ReadCounters();
