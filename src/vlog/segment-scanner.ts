/**
 * scanSegment reads a value-log segment from the start, checking the magic and every record's two
 * checksums (shale dump, DB.verify, repair and garbage collection read segments this way).
 */
import type { FileSystem } from '../env/file-system.js';
import { decodeFixed32 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../util/crc32c.js';
import { CorruptionError } from '../util/errors.js';
import { RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, SEGMENT_MAGIC } from './vlog-format.js';

/** SegmentRecord is one record of a segment: views into the segment's bytes. */
export interface SegmentRecord {
  /** offset of the record's header; the value starts at valueOffset. */
  readonly offset: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly valueOffset: number;
  /** valueCrc: the masked CRC-32C stored for the value (and in pointers to it). */
  readonly valueCrc: number;
}

/** SegmentSummary counts what a scan found. */
export interface SegmentSummary {
  readonly size: number;
  readonly records: number;
  readonly valueBytes: number;
}

/**
 * scanSegment calls `onRecord` for each record of the segment at `path`, in order; throws
 * CorruptionError naming the segment and offset at the first bad magic, length or checksum.
 */
export function scanSegment(
  fs: FileSystem,
  path: string,
  onRecord?: (r: SegmentRecord) => void,
): SegmentSummary {
  const data = fs.readFile(path);
  if (data.length < SEGMENT_HEADER_SIZE || !SEGMENT_MAGIC.every((b, i) => data[i] === b))
    throw new CorruptionError('not a value-log segment (bad magic)', path, 0);
  let off = SEGMENT_HEADER_SIZE;
  let records = 0;
  let valueBytes = 0;
  while (off < data.length) {
    if (data.length - off < RECORD_HEADER_SIZE)
      throw new CorruptionError('truncated value-log record header', path, off);
    const keyLen = decodeFixed32(data, off + 4);
    const valueLen = decodeFixed32(data, off + 8);
    const valueCrc = decodeFixed32(data, off + 12);
    const keyStart = off + RECORD_HEADER_SIZE;
    if (keyLen > data.length - keyStart || valueLen > data.length - keyStart - keyLen)
      throw new CorruptionError('truncated value-log record', path, off);
    const valueStart = keyStart + keyLen;
    const headerCrc = maskCrc(crc32cExtend(crc32c(data, off + 4, keyStart), data, keyStart, valueStart));
    if (headerCrc !== decodeFixed32(data, off))
      throw new CorruptionError('value-log record header checksum mismatch', path, off);
    const end = valueStart + valueLen;
    if (maskCrc(crc32c(data, valueStart, end)) !== valueCrc)
      throw new CorruptionError('value-log record value checksum mismatch', path, off);
    onRecord?.({
      offset: off,
      key: data.subarray(keyStart, valueStart),
      value: data.subarray(valueStart, end),
      valueOffset: valueStart,
      valueCrc,
    });
    records++;
    valueBytes += valueLen;
    off = end;
  }
  return { size: data.length, records, valueBytes };
}
