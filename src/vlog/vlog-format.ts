/**
 * The value-log segment format (docs/vlog.md): constants and the file name. A segment is a header
 * followed by records, written once by one flush or compaction, fsynced before any table points into
 * it, and never appended to afterwards.
 *
 * ```
 * segment := magic[8] record*
 * record  := fixed32 headerCrc | fixed32 keyLength | fixed32 valueLength | fixed32 valueCrc | key | value
 * ```
 * headerCrc is the masked CRC-32C of the record from keyLength through the key (so it covers valueCrc);
 * valueCrc is the masked CRC-32C of the value alone, which is also stored in every pointer to it, so a
 * read checks the value without reading the header.
 */
import { join } from 'node:path';

// FROZEN: on-disk segment format.
/** SEGMENT_MAGIC opens every segment file: "SHALEVL" and format version 1. */
export const SEGMENT_MAGIC = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x56, 0x4c, 0x01]);
/** SEGMENT_HEADER_SIZE is the length of the magic, where the first record starts. */
export const SEGMENT_HEADER_SIZE = 8;
/** RECORD_HEADER_SIZE: headerCrc, keyLength, valueLength, valueCrc (4 bytes each). */
export const RECORD_HEADER_SIZE = 16;
/** SEGMENT_EXTENSION is the file name suffix of segments: `NNNNNN.vlog`, numbered like tables. */
export const SEGMENT_EXTENSION = 'vlog';

/** segmentFileName returns `dir/NNNNNN.vlog`. */
export function segmentFileName(dir: string, n: number): string {
  return join(dir, `${String(n).padStart(6, '0')}.${SEGMENT_EXTENSION}`);
}

/** ValueLogSettings are the structured-clone-friendly knobs a flush or compaction job separates with. */
export interface ValueLogSettings {
  /** minValueSize: values at least this long go to a segment; shorter ones stay in the table. */
  readonly minValueSize: number;
  /** segmentSize: a job starts a new segment once the current one reaches this many bytes. */
  readonly segmentSize: number;
}

/** SegmentInfo describes a finished segment (the version set records it as a SegmentMeta). */
export interface SegmentInfo {
  readonly number: number;
  readonly size: number;
  readonly records: number;
  readonly valueBytes: number;
}
