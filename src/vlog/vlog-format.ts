/**
 * The value-log segment format (docs/vlog.md): constants and the file name. A segment is a header
 * followed by records, appended by one flush or compaction (or, with write-time separation, by the
 * writes of one memtable), fsynced before any table points into it, and never appended to afterwards.
 *
 * ```
 * segment   := magic[8] record*
 * record v1 := fixed32 headerCrc | fixed32 keyLength | fixed32 valueLength | fixed32 valueCrc | key | value
 * record v2 := fixed32 headerCrc | fixed32 keyLength | fixed32 storedLength | fixed32 valueCrc | key
 *              | byte kind | stored
 * ```
 * headerCrc is the masked CRC-32C of the record from keyLength through the key (so it covers valueCrc).
 * In version 1 valueCrc is the masked CRC-32C of the value; in version 2 of `kind ++ stored`, where kind
 * says whether `stored` is the value (0) or its Snappy encoding (1). valueCrc is also in every pointer,
 * whose offset and length are those of the value (v1) or of `stored` (v2), so a read checks the bytes
 * without reading the header: in a v2 segment it reads from one byte before the pointer's offset.
 */
import { join } from 'node:path';

// FROZEN: on-disk segment format.
/** SEGMENT_MAGIC opens every version-1 segment file: "SHALEVL" and format version 1. */
export const SEGMENT_MAGIC = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x56, 0x4c, 0x01]);
/** SEGMENT_MAGIC_V2: "SHALEVL" and format version 2 (a kind byte before each value: compression). */
export const SEGMENT_MAGIC_V2 = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x56, 0x4c, 0x02]);
/** VALUE_RAW and VALUE_SNAPPY are the kind bytes of version-2 records. */
export const VALUE_RAW = 0;
export const VALUE_SNAPPY = 1;
/** SEGMENT_HEADER_SIZE is the length of the magic, where the first record starts. */
export const SEGMENT_HEADER_SIZE = 8;
/** RECORD_HEADER_SIZE: headerCrc, keyLength, valueLength, valueCrc (4 bytes each). */
export const RECORD_HEADER_SIZE = 16;
/** SEGMENT_EXTENSION is the file name suffix of segments: `NNNNNN.vlog`, numbered like tables. */
export const SEGMENT_EXTENSION = 'vlog';

/**
 * segmentVersion returns the format version a segment's first bytes announce (1 or 2), or 0 if they
 * are not a segment's magic.
 */
export function segmentVersion(head: Uint8Array): number {
  if (head.length < SEGMENT_HEADER_SIZE) return 0;
  for (let i = 0; i < SEGMENT_HEADER_SIZE - 1; i++) if (head[i] !== SEGMENT_MAGIC[i]) return 0;
  const v = head[SEGMENT_HEADER_SIZE - 1]!;
  return v === 1 || v === 2 ? v : 0;
}

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
  /** compress: store a value Snappy-compressed when that saves at least an eighth of it. */
  readonly compress: boolean;
}

/** SegmentInfo describes a finished segment (the version set records it as a SegmentMeta). */
export interface SegmentInfo {
  readonly number: number;
  readonly size: number;
  readonly records: number;
  readonly valueBytes: number;
}
