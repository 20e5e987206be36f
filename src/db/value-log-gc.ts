/**
 * Value-log garbage collection (docs/vlog.md): segments whose live ratio fell below gcRatio are
 * rewritten and then dropped.
 *
 * 1. Pick: a segment's garbage counters grow as compactions drop its pointers (overwritten or deleted
 *    values); live ratio = 1 - garbageBytes / valueBytes.
 * 2. Relocate: scan the segment; a record is live iff the newest entry of its key (memtables, then the
 *    tables) is a pointer to exactly that record. Live values are written again through the normal
 *    write path, the check and the write in one synchronous step, so a concurrent writer's value (applied
 *    before the check, or queued and applied after) always wins. The rewrites are then flushed: from the
 *    MANIFEST edit of that flush on, they sit in tables (and new segments) on disk.
 * 3. Drop: once no live snapshot is older than the rewrites, the segment leaves the version (a MANIFEST
 *    edit after the flush's edit, so no crash image holds the drop without the rewrites). The file is
 *    deleted when no pinned version (an open iterator's) names it any more.
 * Each run that rewrote or dropped something is recorded in the MANIFEST (the last 20 runs, `history`).
 * Pending drops are kept in memory; after a restart the segment, whose pointers are all shadowed, is
 * picked again, its scan finds nothing live, and it is dropped.
 */
import type { FileSystem } from '../env/file-system.js';
import type { VersionSet } from '../version/version-set.js';
import { VersionEdit, type GcRunRecord, type SegmentMeta } from '../version/version-edit.js';
import { scanSegment } from '../vlog/segment-scanner.js';
import { segmentFileName } from '../vlog/vlog-format.js';
import type { ValuePointer } from '../vlog/value-pointer.js';
import { WriteBatch } from './write-batch.js';
import type { SnapshotList } from './snapshot.js';

/** GC_BATCH_BYTES: live values are rewritten in batches of about this many bytes. */
const GC_BATCH_BYTES = 1 << 20;

/** GarbageCollectionReport says what one collectGarbage() did. */
export interface GarbageCollectionReport {
  /** segmentsRewritten: segments whose live values were relocated in this run. */
  readonly segmentsRewritten: number;
  readonly valuesRelocated: number;
  readonly bytesRelocated: number;
  /** segmentsDropped: segments removed from the database (their files go once no reader needs them). */
  readonly segmentsDropped: number;
  /** segmentsPending: relocated segments still visible to an older snapshot. */
  readonly segmentsPending: number;
  readonly micros: number;
}

/** GcDeps: what garbage collection uses of the database. @internal */
export interface GcDeps {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly versions: VersionSet;
  readonly snapshots: SnapshotList;
  /** currentPointer returns the pointer the newest entry of `key` holds, null if it holds none. */
  currentPointer(key: Uint8Array): ValuePointer | null;
  write(batch: WriteBatch): void;
  flush(): Promise<void>;
  /** checkWritable throws when the database is closing, closed or failed. */
  checkWritable(): void;
  /** afterDrop runs after segments left the version (obsolete-file collection). */
  afterDrop(): void;
}

/** liveRatio returns the share of a segment's value bytes not yet known to be garbage. */
export function liveRatio(s: SegmentMeta): number {
  return s.valueBytes === 0 ? 0 : 1 - s.garbageBytes / s.valueBytes;
}

/** ValueLogGc runs garbage collection, one run at a time. @internal */
export class ValueLogGc {
  /** pending: relocated segments by number, with the last sequence number of their rewrites. */
  private readonly pending = new Map<number, number>();
  private running: Promise<GarbageCollectionReport> | null = null;

  constructor(private readonly d: GcDeps) {}

  /** history: the last runs that rewrote or dropped segments, oldest first (from the MANIFEST). */
  get history(): readonly GcRunRecord[] {
    return this.d.versions.gcHistory;
  }

  /** busy is true while a run is in progress. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** settled resolves when the run in progress (if any) ends. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** collect runs garbage collection for segments whose live ratio is below `gcRatio`. */
  collect(gcRatio: number): Promise<GarbageCollectionReport> {
    // A second caller waits for the run in progress, then runs its own (the ratio may differ).
    const prev = this.running;
    const run = (async () => {
      if (prev !== null) await prev.catch(() => undefined);
      return this.run(gcRatio);
    })();
    this.running = run;
    void run.then(
      () => {
        if (this.running === run) this.running = null;
      },
      () => {
        if (this.running === run) this.running = null;
      },
    );
    return run;
  }

  /** dropReady drops every pending segment no snapshot can still read through; returns how many. */
  dropReady(): number {
    if (this.pending.size === 0) return 0;
    const oldest = this.d.snapshots.oldest(Infinity);
    const current = this.d.versions.current.segments;
    const edit = new VersionEdit();
    for (const [n, seq] of this.pending) {
      if (!current.has(n)) {
        this.pending.delete(n);
        continue;
      }
      if (oldest >= seq) edit.deletedSegments.add(n);
    }
    if (edit.deletedSegments.size === 0) return 0;
    this.d.checkWritable();
    this.d.versions.logAndApply(edit);
    for (const n of edit.deletedSegments) this.pending.delete(n);
    this.d.afterDrop();
    return edit.deletedSegments.size;
  }

  private async run(gcRatio: number): Promise<GarbageCollectionReport> {
    const start = performance.now();
    const d = this.d;
    d.checkWritable();
    let dropped = this.dropReady();
    const candidates = [...d.versions.current.segments.values()]
      .filter((s) => !this.pending.has(s.number) && liveRatio(s) < gcRatio)
      .sort((a, b) => liveRatio(a) - liveRatio(b));
    let valuesRelocated = 0;
    let bytesRelocated = 0;
    const rewritten: number[] = [];
    for (const seg of candidates) {
      d.checkWritable();
      if (!d.versions.current.segments.has(seg.number)) continue;
      const live: { key: Uint8Array; value: Uint8Array; offset: number }[] = [];
      scanSegment(
        d.fs,
        segmentFileName(d.dir, seg.number),
        (r) => live.push({ key: r.key, value: r.value, offset: r.valueOffset }),
        { size: seg.size },
      );
      // Check and write in batches, each in one synchronous step: no other write runs in between.
      for (let i = 0; i < live.length;) {
        d.checkWritable();
        const batch = new WriteBatch();
        let bytes = 0;
        for (; i < live.length && bytes < GC_BATCH_BYTES; i++) {
          const r = live[i]!;
          const p = d.currentPointer(r.key);
          if (p === null || p.segment !== seg.number || p.offset !== r.offset) continue;
          batch.put(r.key, r.value);
          bytes += r.value.length;
          valuesRelocated++;
          bytesRelocated += r.value.length;
        }
        if (batch.count > 0) d.write(batch);
        // Let other work run between batches.
        if (i < live.length) await new Promise((resolve) => setImmediate(resolve));
      }
      rewritten.push(seg.number);
    }
    if (rewritten.length > 0) {
      // The rewrites must be in tables and the MANIFEST before any segment is dropped.
      if (valuesRelocated > 0) await d.flush();
      const seq = d.versions.lastSequence;
      for (const n of rewritten) this.pending.set(n, seq);
      dropped += this.dropReady();
    }
    const report: GarbageCollectionReport = {
      segmentsRewritten: rewritten.length,
      valuesRelocated,
      bytesRelocated,
      segmentsDropped: dropped,
      segmentsPending: this.pending.size,
      micros: Math.round((performance.now() - start) * 1000),
    };
    if (rewritten.length > 0 || dropped > 0) {
      const edit = new VersionEdit();
      edit.gcRuns.push({
        time: Date.now(),
        segmentsRewritten: report.segmentsRewritten,
        valuesRelocated,
        bytesRelocated,
        segmentsDropped: dropped,
      });
      d.checkWritable();
      d.versions.logAndApply(edit);
    }
    return report;
  }
}
