/**
 * SegmentWriter appends records to a new value-log segment (format in vlog-format.ts) and returns a
 * pointer to each value. Small records are gathered in a buffer; large values go to the file directly.
 * finish() fsyncs and closes the file; the caller fsyncs the directory before any table that points
 * into the segment is recorded in the MANIFEST.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { encodeFixed32 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../util/crc32c.js';
import { RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC, segmentFileName } from './vlog-format.js';
import type { SegmentInfo } from './vlog-format.js';
import type { ValuePointer } from './value-pointer.js';

/** BUFFER_SIZE: records are gathered up to this many bytes before one append. */
const BUFFER_SIZE = 256 * 1024;
/** DIRECT_MIN: values at least this long are appended straight from the caller's array. */
const DIRECT_MIN = 64 * 1024;

/** SegmentWriter writes one segment. Single use: add()*, then finish() or abandon(). */
export class SegmentWriter {
  readonly path: string;
  private readonly file: WritableFile;
  private buf = new Uint8Array(BUFFER_SIZE);
  private used = 0;
  /** size is the segment's length so far (buffered bytes included). */
  size = 0;
  records = 0;
  valueBytes = 0;

  constructor(
    fs: FileSystem,
    dir: string,
    readonly number: number,
  ) {
    this.path = segmentFileName(dir, number);
    this.file = fs.createWritable(this.path);
    this.put(SEGMENT_MAGIC, 0, SEGMENT_HEADER_SIZE);
    this.size = SEGMENT_HEADER_SIZE;
  }

  /** add appends the record (key, value) and returns the pointer to its value. */
  add(key: Uint8Array, value: Uint8Array): ValuePointer {
    const valueCrc = maskCrc(crc32c(value));
    const hdr = new Uint8Array(RECORD_HEADER_SIZE);
    encodeFixed32(hdr, 4, key.length);
    encodeFixed32(hdr, 8, value.length);
    encodeFixed32(hdr, 12, valueCrc);
    const headerCrc = maskCrc(crc32cExtend(crc32c(hdr, 4, RECORD_HEADER_SIZE), key));
    encodeFixed32(hdr, 0, headerCrc);
    this.put(hdr, 0, RECORD_HEADER_SIZE);
    this.put(key, 0, key.length);
    const offset = this.size + RECORD_HEADER_SIZE + key.length;
    if (value.length >= DIRECT_MIN) {
      this.drain();
      this.file.append(value);
    } else {
      this.put(value, 0, value.length);
    }
    this.size = offset + value.length;
    this.records++;
    this.valueBytes += value.length;
    return { segment: this.number, offset, length: value.length, crc: valueCrc };
  }

  /** finish writes what is buffered, fsyncs and closes the segment. */
  finish(): SegmentInfo {
    this.drain();
    this.file.sync();
    this.file.close();
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
        this.file.append(src.subarray(start, end));
        return;
      }
    }
    this.buf.set(src.subarray(start, end), this.used);
    this.used += n;
  }

  private drain(): void {
    if (this.used === 0) return;
    this.file.append(this.buf.subarray(0, this.used));
    // The file system may keep a reference to what it was given (mem-fs): never reuse that memory.
    this.buf = new Uint8Array(BUFFER_SIZE);
    this.used = 0;
  }
}
