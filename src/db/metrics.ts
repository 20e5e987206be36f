/**
 * Metrics: the plain object `db.metrics()` returns, a snapshot of the engine's counters and latency
 * histograms (engine-metrics.ts) plus the tree's shape and the caches' sizes; and collectMetrics,
 * which builds it. prometheus-text.ts renders it as Prometheus exposition text. docs/operations.md
 * ("Metrics") explains each field.
 */
import type { Histogram, HistogramSnapshot } from '../util/histogram.js';
import type { Version } from '../version/version.js';
import { NUM_LEVELS } from '../version/version-edit.js';
import { GET_SAMPLE, STEP_SAMPLE, type EngineMetrics } from './engine-metrics.js';

/**
 * LatencyMetrics summarises the timed calls of one kind, in microseconds. Fast calls are sampled (see
 * Metrics.sampling): `count` is how many calls were timed, not how many were made; percentiles are
 * within about 3% of the exact ones over the timed calls since the database was opened.
 */
export interface LatencyMetrics {
  readonly count: number;
  readonly sumMicros: number;
  readonly meanMicros: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly p999Micros: number;
  readonly maxMicros: number;
}

/** LevelCompactionMetrics: the compactions whose output went into one level (flushes not included). */
export interface LevelCompactionMetrics {
  readonly level: number;
  readonly count: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly micros: number;
}

/** LevelShape: the live tables of one level. */
export interface LevelShape {
  readonly level: number;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Metrics is what an open database has done since it was opened (counters only grow) and how it looks
 * now (levels, cache usage). A plain object: JSON.stringify it, or render it with prometheusText().
 */
export interface Metrics {
  readonly uptimeSeconds: number;
  /** sampling: one fast call in `every` (get, write, seek, WAL append), one step in `stepEvery`, is timed. */
  readonly sampling: { readonly every: number; readonly stepEvery: number };
  /** get: get() and has() calls, those that found the key, and their latency. */
  readonly get: { readonly calls: number; readonly found: number; readonly latency: LatencyMetrics };
  /**
   * write: put, delete and write calls (`calls`; their latency, which includes the WAL append and, for
   * sync writes, the fsync) and writeAsync/putAsync/deleteAsync calls (`asyncCalls`, not timed here:
   * see wal and stall). Transaction commits are not counted here; their WAL records are.
   */
  readonly write: { readonly calls: number; readonly asyncCalls: number; readonly latency: LatencyMetrics };
  /** iterator: iterators created, seeks (every seek kind), next and prev steps, and their latencies. */
  readonly iterator: {
    readonly created: number;
    readonly seeks: number;
    readonly nexts: number;
    readonly prevs: number;
    readonly seekLatency: LatencyMetrics;
    readonly stepLatency: LatencyMetrics;
  };
  /** wal: records appended (one write(2) each), their bytes, fsyncs, and the latency of both. */
  readonly wal: {
    readonly appends: number;
    readonly bytes: number;
    readonly syncs: number;
    readonly appendLatency: LatencyMetrics;
    readonly syncLatency: LatencyMetrics;
  };
  /** flush: memtables written to level-0 (or deeper) tables, bytes written, and their duration. */
  readonly flush: {
    readonly count: number;
    readonly bytesWritten: number;
    readonly duration: LatencyMetrics;
  };
  /**
   * compaction: merging compactions (trivial moves, which only relink a file, counted apart), bytes
   * they read and wrote, their duration, and the same per output level.
   */
  readonly compaction: {
    readonly count: number;
    readonly trivialMoves: number;
    readonly bytesRead: number;
    readonly bytesWritten: number;
    readonly duration: LatencyMetrics;
    readonly levels: readonly LevelCompactionMetrics[];
  };
  /** stall: writes delayed (level 0 at the slowdown trigger) or made to wait for a flush or compaction. */
  readonly stall: { readonly count: number; readonly micros: number; readonly duration: LatencyMetrics };
  /** blockCache: data block lookups that hit or missed the cache; its charge and capacity in bytes. */
  readonly blockCache: {
    readonly hits: number;
    readonly misses: number;
    readonly usageBytes: number;
    readonly capacityBytes: number;
  };
  /**
   * compressedBlockCache: block-cache misses served from the verified file bytes kept in memory (`hits`)
   * or read from a file (`misses`); the bytes held and the capacity.
   */
  readonly compressedBlockCache: {
    readonly hits: number;
    readonly misses: number;
    readonly usageBytes: number;
    readonly capacityBytes: number;
  };
  /** tableCache: table lookups that found the table open or had to open it; tables open now. */
  readonly tableCache: { readonly hits: number; readonly misses: number; readonly open: number };
  /** bloom: point lookups a table's bloom filter ruled out (`useful`) or let through (`mayMatch`). */
  readonly bloom: { readonly useful: number; readonly mayMatch: number };
  /**
   * bytes: `read` is data blocks read from tables by gets and iterators plus the table bytes
   * compactions read; `written` is WAL bytes plus tables written by flushes and compactions. MANIFEST
   * writes, and the footers, indexes and filters read when a table is opened, are not counted.
   */
  readonly bytes: { readonly read: number; readonly written: number };
  /** levels: the live tables per level now. */
  readonly levels: readonly LevelShape[];
}

/** MetricsSources: what collectMetrics reads. @internal */
export interface MetricsSources {
  readonly metrics: EngineMetrics;
  readonly version: Version;
  readonly blockCacheUsage: number;
  readonly blockCacheCapacity: number;
  readonly compressedBlockCacheUsage: number;
  readonly compressedBlockCacheCapacity: number;
  readonly openTables: number;
}

/** latency summarises a histogram of nanoseconds in microseconds. */
export function latency(h: Histogram): LatencyMetrics {
  const s: HistogramSnapshot = h.snapshot(1 / 1000);
  return {
    count: s.count,
    sumMicros: s.sum,
    meanMicros: s.mean,
    p50Micros: s.p50,
    p99Micros: s.p99,
    p999Micros: s.p999,
    maxMicros: s.max,
  };
}

/** collectMetrics builds a Metrics snapshot. @internal */
export function collectMetrics(src: MetricsSources): Metrics {
  const m = src.metrics;
  const r = m.read;
  const levels: LevelShape[] = [];
  for (let level = 0; level < NUM_LEVELS; level++) {
    let bytes = 0;
    const files = src.version.files[level]!;
    for (const f of files) bytes += f.fileSize;
    levels.push({ level, files: files.length, bytes });
  }
  const stall = latency(m.stallNanos);
  return {
    uptimeSeconds: (Date.now() - m.startedAt) / 1000,
    sampling: { every: GET_SAMPLE, stepEvery: STEP_SAMPLE },
    get: { calls: m.gets, found: m.getsFound, latency: latency(m.getNanos) },
    write: { calls: m.writes, asyncCalls: m.asyncWrites, latency: latency(m.writeNanos) },
    iterator: {
      created: m.iterators,
      seeks: m.seeks,
      nexts: m.nexts,
      prevs: m.prevs,
      seekLatency: latency(m.seekNanos),
      stepLatency: latency(m.stepNanos),
    },
    wal: {
      appends: m.walAppends,
      bytes: m.walBytes,
      syncs: m.walSyncs,
      appendLatency: latency(m.walAppendNanos),
      syncLatency: latency(m.walSyncNanos),
    },
    flush: { count: m.flushes, bytesWritten: m.flushBytes, duration: latency(m.flushNanos) },
    compaction: {
      count: m.compactions,
      trivialMoves: m.trivialMoves,
      bytesRead: m.compactionBytesRead,
      bytesWritten: m.compactionBytesWritten,
      duration: latency(m.compactionNanos),
      levels: m.compactionLevels.map((l, level) => ({ level, ...l })),
    },
    stall: { count: m.stalls, micros: stall.sumMicros, duration: stall },
    blockCache: {
      hits: r.blockCacheHits,
      misses: r.blockCacheMisses,
      usageBytes: src.blockCacheUsage,
      capacityBytes: src.blockCacheCapacity,
    },
    compressedBlockCache: {
      hits: r.compressedCacheHits,
      misses: r.blockReads,
      usageBytes: src.compressedBlockCacheUsage,
      capacityBytes: src.compressedBlockCacheCapacity,
    },
    tableCache: { hits: r.tableCacheHits, misses: r.tableCacheMisses, open: src.openTables },
    bloom: { useful: r.bloomUseful, mayMatch: r.bloomMayMatch },
    bytes: {
      read: r.bytesRead + m.compactionBytesRead,
      written: m.walBytes + m.flushBytes + m.compactionBytesWritten,
    },
    levels,
  };
}
