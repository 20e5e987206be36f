/**
 * SegmentWriter appends records to a new value-log segment (format version 2 in vlog-format.ts) and
 * returns a pointer to each value. Small records are gathered in a buffer; large values go to the file
 * directly. finish() fsyncs and closes the file; the caller fsyncs the directory before any table that
 * points into the segment is recorded in the MANIFEST. With write-time separation the segment is also
 * written (writeOut) and synced (sync, syncAsync) while it grows, ahead of the WAL records pointing in.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { encodeFixed32 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../util/crc32c.js';
import { snappyCompress } from '../sstable/snappy.js';
import {
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  SEGMENT_MAGIC_V2,
  VALUE_RAW,
  VALUE_SNAPPY,
  segmentFileName,
} from './vlog-format.js';
import type { SegmentInfo } from './vlog-format.js';
import type { ValuePointer } from './value-pointer.js';

/** BUFFER_SIZE: records are gathered up to this many bytes before one append. */
const BUFFER_SIZE = 256 * 1024;
/** DIRECT_MIN: values at least this long are appended straight from their array. */
const DIRECT_MIN = 64 * 1024;
/** COMPRESS_MIN: shorter values are stored raw (Snappy's framing would eat the gain). */
const COMPRESS_MIN = 64;

const KIND = [new Uint8Array([VALUE_RAW]), new Uint8Array([VALUE_SNAPPY])] as const;

/** SegmentWriterOptions: how values are stored. */
export interface SegmentWriterOptions {
  /** compress: store a value Snappy-compressed when that saves at least an eighth (LevelDB's rule). */
  readonly compress: boolean;
  /**
   * borrowed: the values passed to add() are views the caller reuses once add() returns (a commit's
   * record buffer), so they are copied even when appended directly.
   */
  readonly borrowed?: boolean;
}

/** SegmentWriter writes one segment. Single use: add()*, then finish() or abandon(). */
export class SegmentWriter {
  readonly path: string;
  private readonly file: WritableFile;
  private buf = new Uint8Array(BUFFER_SIZE);
  private used = 0;
  /** size is the segment's length so far (buffered bytes included). */
  size = 0;
  records = 0;
  /** valueBytes: the stored (possibly compressed) bytes of the values. */
  valueBytes = 0;
  /** rawBytes: the values' own lengths (before compression). */
  rawBytes = 0;

  constructor(
    fs: FileSystem,
    dir: string,
    readonly number: number,
    private readonly options: SegmentWriterOptions = { compress: false },
  ) {
    this.path = segmentFileName(dir, number);
    this.file = fs.createWritable(this.path);
    this.put(SEGMENT_MAGIC_V2, 0, SEGMENT_HEADER_SIZE);
    this.size = SEGMENT_HEADER_SIZE;
  }

  /** add appends the record (key, value) and returns the pointer to its (stored) value. */
  add(key: Uint8Array, value: Uint8Array): ValuePointer {
    let stored = value;
    let kind = 0;
    let owned = false;
    if (this.options.compress && value.length >= COMPRESS_MIN) {
      const c = snappyCompress(value);
      if (c.length < value.length - (value.length >>> 3)) {
        stored = c;
        kind = 1;
        owned = true;
      }
    }
    const valueCrc = maskCrc(crc32cExtend(crc32c(KIND[kind]), stored));
    const hdr = new Uint8Array(RECORD_HEADER_SIZE + 1);
    encodeFixed32(hdr, 4, key.length);
    encodeFixed32(hdr, 8, stored.length);
    encodeFixed32(hdr, 12, valueCrc);
    const headerCrc = maskCrc(crc32cExtend(crc32c(hdr, 4, RECORD_HEADER_SIZE), key));
    encodeFixed32(hdr, 0, headerCrc);
    hdr[RECORD_HEADER_SIZE] = kind;
    this.put(hdr, 0, RECORD_HEADER_SIZE);
    this.put(key, 0, key.length);
    this.put(hdr, RECORD_HEADER_SIZE, RECORD_HEADER_SIZE + 1);
    const offset = this.size + RECORD_HEADER_SIZE + key.length + 1;
    if (stored.length >= DIRECT_MIN) {
      this.drain();
      this.file.append(owned || this.options.borrowed !== true ? stored : stored.slice());
    } else {
      this.put(stored, 0, stored.length);
    }
    this.size = offset + stored.length;
    this.records++;
    this.valueBytes += stored.length;
    this.rawBytes += value.length;
    return { segment: this.number, offset, length: stored.length, crc: valueCrc };
  }

  /** writeOut hands what is buffered to the file system (a process crash no longer loses it). */
  writeOut(): void {
    this.drain();
  }

  /** sync writes out and fsyncs what was added so far. */
  sync(): void {
    this.drain();
    this.file.sync();
  }

  /** syncAsync is sync() off the main thread (what is buffered is written first, on this thread). */
  syncAsync(): Promise<void> {
    this.drain();
    return this.file.syncAsync();
  }

  /** finish writes what is buffered, fsyncs and closes the segment. */
  finish(): SegmentInfo {
    this.drain();
    this.file.sync();
    this.file.close();
    return this.info();
  }

  /** info describes the segment as written so far. */
  info(): SegmentInfo {
    return { number: this.number, size: this.size, records: this.records, valueBytes: this.valueBytes };
  }

  /** abandon closes the file without syncing (the caller removes it). */
  abandon(): void {
    try {
      this.file.close();
    } catch {
      // already failing
    }
  }

  private put(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.used + n > this.buf.length) {
      this.drain();
      if (n > this.buf.length) {
        this.file.append(src.slice(start, end));
        return;
      }
    }
    this.buf.set(src.subarray(start, end), this.used);
    this.used += n;
  }

  private drain(): void {
    if (this.used === 0) return;
    // The file system may keep a reference to what it was given (fault-fs): never reuse that memory.
    // A small write (one commit's records) is copied out; a full buffer is handed over and replaced.
    if (this.used * 2 < this.buf.length) {
      this.file.append(this.buf.slice(0, this.used));
    } else {
      this.file.append(this.buf.subarray(0, this.used));
      this.buf = new Uint8Array(BUFFER_SIZE);
    }
    this.used = 0;
  }
}
