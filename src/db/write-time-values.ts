/**
 * WriteTimeValues: write-time value separation (docs/vlog.md, Badger's and WiscKey's choice). A commit's
 * record is rewritten before it reaches the WAL: each put whose value is at least minValueSize long has
 * its value appended to the open segment and becomes a pointer put (type 2), so the value is written
 * once, and the WAL and the memtable hold about 20 bytes for it. The flush then writes only pointers.
 *
 * Invariants (crash safety):
 * 1. The open segment is named in the MANIFEST (tag 104) before its file exists, so obsolete-file
 *    collection keeps it and recovery knows it.
 * 2. A record's values are handed to the file system (write(2)) before the record is given to the WAL,
 *    and a sync fsyncs the segment along with the WAL, before the write is acknowledged. Recovery
 *    checks every pointer of a replayed WAL record against the segment's valid prefix: a record
 *    pointing past it is where the log ends (its write was never acknowledged as durable).
 * 3. One segment per memtable: switching memtables finishes (fsyncs) the open segment, and the flush
 *    of that memtable adds it to the version (tag 100) together with the table pointing into it.
 *    A segment past segmentSize makes the memtable count as full.
 */
import type { FileSystem } from '../env/file-system.js';
import { Encoder } from '../util/coding.js';
import { TYPE_VALUE_POINTER, ValueType } from '../memtable/internal-key.js';
import { SegmentWriter } from '../vlog/segment-writer.js';
import type { SegmentInfo, ValueLogSettings } from '../vlog/vlog-format.js';
import { MAX_POINTER_SIZE, encodePointer } from '../vlog/value-pointer.js';
import { VersionEdit } from '../version/version-edit.js';
import type { VersionSet } from '../version/version-set.js';
import { BATCH_HEADER_SIZE } from './write-batch.js';

/** MAX_RETAINED_OUT: the rewritten-record buffer is let go past this size (a large batch's). */
const MAX_RETAINED_OUT = 1 << 20;

/** WriteTimeValues owns the open segment of the mutable memtable. @internal */
export class WriteTimeValues {
  private writer: SegmentWriter | null = null;
  /** written and synced: how many records went to the open segment, and how many are fsynced. */
  private written = 0;
  private synced = 0;
  private dirSynced = false;
  /** bytesWritten: segment bytes the writes appended (for metrics). */
  bytesWritten = 0;
  private out = new Encoder(256);
  private readonly ptr = new Uint8Array(MAX_POINTER_SIZE);

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly versions: VersionSet,
    private readonly settings: ValueLogSettings,
  ) {}

  /** full is true once the open segment reached segmentSize (the memtable is then switched). */
  get full(): boolean {
    return this.writer !== null && this.writer.size >= this.settings.segmentSize;
  }

  /**
   * separate returns `rep` (an encoded batch, header included) with every large value moved to the
   * open segment and replaced by a pointer, or `rep` itself when it has no large value. The values are
   * written out (in the OS) when it returns. The result is only valid until the next call.
   */
  separate(rep: Uint8Array): Uint8Array {
    const min = this.settings.minValueSize;
    if (rep.length - BATCH_HEADER_SIZE < min) return rep;
    let e = this.out;
    if (e.buf.length > MAX_RETAINED_OUT) e = this.out = new Encoder(256);
    e.reset();
    let changed = false;
    let copied = BATCH_HEADER_SIZE; // rep[copied, p) is still to be copied to `e`
    const end = rep.length;
    let p = BATCH_HEADER_SIZE;
    while (p < end) {
      const opStart = p;
      const tag = rep[p++]!;
      let klen = 0;
      for (let shift = 0; ; shift += 7) {
        const b = rep[p++]!;
        klen += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
      const kStart = p;
      p += klen;
      if (tag !== ValueType.VALUE) continue;
      let vlen = 0;
      for (let shift = 0; ; shift += 7) {
        const b = rep[p++]!;
        vlen += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
      const vStart = p;
      p += vlen;
      if (vlen < min) continue;
      if (!changed) {
        changed = true;
        e.bytes(rep.subarray(0, BATCH_HEADER_SIZE));
      }
      e.bytes(rep.subarray(copied, opStart));
      const w = this.writer ?? this.open();
      const before = w.size;
      const pointer = w.add(rep.subarray(kStart, kStart + klen), rep.subarray(vStart, vStart + vlen));
      this.bytesWritten += w.size - before;
      e.byte(TYPE_VALUE_POINTER).lengthPrefixed(rep.subarray(kStart, kStart + klen));
      e.lengthPrefixed(this.ptr.subarray(0, encodePointer(this.ptr, pointer)));
      copied = p;
    }
    if (!changed) return rep;
    e.bytes(rep.subarray(copied, end));
    this.writer!.writeOut();
    this.written++;
    return e.buf.subarray(0, e.pos);
  }

  /**
   * sync fsyncs the open segment if writes added to it since its last completed fsync (one still
   * running does not count: a write acknowledged now must not rely on it).
   */
  sync(): void {
    const w = this.writer;
    if (w === null || this.synced >= this.written) return;
    const target = this.written;
    w.sync();
    if (this.synced < target) this.synced = target;
    this.syncDirOnce();
  }

  /** syncAsync is sync() off the main thread. */
  async syncAsync(): Promise<void> {
    const w = this.writer;
    if (w === null || this.synced >= this.written) return;
    const target = this.written;
    await w.syncAsync();
    // A switch meanwhile finished (fsynced) the segment: nothing is left to do for it.
    if (this.writer !== w) return;
    if (this.synced < target) this.synced = target;
    this.syncDirOnce();
  }

  /**
   * switchSegment finishes (fsyncs, closes) the open segment as the memtable is switched and returns it
   * (null when the memtable had no large value): the flush of that memtable adds it to the version.
   */
  switchSegment(): SegmentInfo | null {
    const w = this.writer;
    if (w === null) return null;
    this.writer = null;
    this.written = this.synced = 0;
    const finished = w.finish();
    this.syncDirOnce();
    return finished;
  }

  /** close closes the open segment without finishing it (recovery takes it from the MANIFEST). */
  close(): void {
    this.writer?.abandon();
    this.writer = null;
  }

  private open(): SegmentWriter {
    const number = this.versions.newFileNumber();
    const edit = new VersionEdit();
    edit.activeSegments.push(number);
    this.versions.logAndApply(edit);
    this.dirSynced = false;
    this.written = this.synced = 0;
    this.writer = new SegmentWriter(this.fs, this.dir, number, {
      compress: this.settings.compress,
      borrowed: true,
    });
    return this.writer;
  }

  private syncDirOnce(): void {
    if (this.dirSynced) return;
    this.fs.syncDir(this.dir);
    this.dirSynced = true;
  }
}
