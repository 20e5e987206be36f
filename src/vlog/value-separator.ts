/**
 * ValueSeparator sits between a flush or compaction and its table builder: a value entry whose value is
 * at least minValueSize long is written to a value-log segment and replaced by a pointer entry (same
 * user key and sequence, type TYPE_VALUE_POINTER). Everything else passes through unchanged.
 *
 * Crash safety: the segments are fsynced by finish(), before the job reports its tables; the job's edit
 * records tables and segments together, so after a crash either both are live or both are orphans that
 * obsolete-file collection removes.
 */
import type { FileSystem } from '../env/file-system.js';
import { TAG_SIZE, TYPE_VALUE_POINTER, ValueType } from '../memtable/internal-key.js';
import { SegmentWriter } from './segment-writer.js';
import type { SegmentInfo, ValueLogSettings } from './vlog-format.js';
import { MAX_POINTER_SIZE, encodePointer } from './value-pointer.js';

/** ValueSeparator moves large values of one job into segments. */
export class ValueSeparator {
  private writer: SegmentWriter | null = null;
  private readonly finished: SegmentInfo[] = [];
  /** created: every segment path this job created (removed again if the job fails). */
  readonly created: string[] = [];
  private keyBuf = new Uint8Array(64);
  private readonly ptrBuf = new Uint8Array(MAX_POINTER_SIZE);
  /** key and value: the entry to store, valid until the next separate() call. */
  key: Uint8Array = this.keyBuf;
  value: Uint8Array = this.ptrBuf;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly settings: ValueLogSettings,
    private readonly newFileNumber: () => number,
  ) {}

  /**
   * separate decides for one entry: returns true when it moved the value to a segment, and then
   * `key`/`value` hold the pointer entry to store instead of (ikey, value).
   */
  separate(ikey: Uint8Array, value: Uint8Array): boolean {
    if (value.length < this.settings.minValueSize || ikey[ikey.length - TAG_SIZE] !== ValueType.VALUE)
      return false;
    let w = this.writer;
    if (w !== null && w.size >= this.settings.segmentSize) {
      this.finished.push(w.finish());
      w = this.writer = null;
    }
    if (w === null) {
      w = this.writer = new SegmentWriter(this.fs, this.dir, this.newFileNumber(), {
        compress: this.settings.compress,
      });
      this.created.push(w.path);
    }
    const p = w.add(ikey.subarray(0, ikey.length - TAG_SIZE), value);
    if (this.keyBuf.length < ikey.length) this.keyBuf = new Uint8Array(ikey.length * 2);
    this.keyBuf.set(ikey);
    this.keyBuf[ikey.length - TAG_SIZE] = TYPE_VALUE_POINTER;
    this.key = this.keyBuf.subarray(0, ikey.length);
    this.value = this.ptrBuf.subarray(0, encodePointer(this.ptrBuf, p));
    return true;
  }

  /** finish fsyncs and closes the open segment; returns every segment the job wrote. */
  finish(): SegmentInfo[] {
    if (this.writer !== null) {
      this.finished.push(this.writer.finish());
      this.writer = null;
    }
    return this.finished;
  }

  /** abandon closes and removes every segment this job created (the job failed). */
  abandon(): void {
    this.writer?.abandon();
    this.writer = null;
    for (const p of this.created) {
      try {
        this.fs.remove(p);
      } catch {
        // best effort: obsolete-file collection retries
      }
    }
  }
}
