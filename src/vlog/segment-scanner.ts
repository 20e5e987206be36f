/**
 * scanSegment reads a value-log segment from the start, checking the magic and every record's two
 * checksums (shale dump, DB.verify, repair, garbage collection and recovery read segments this way).
 * Both format versions are read; values are returned uncompressed.
 */
import type { FileSystem } from '../env/file-system.js';
import { decodeFixed32 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../util/crc32c.js';
import { CorruptionError } from '../util/errors.js';
import { snappyUncompress } from '../sstable/snappy.js';
import {
  RECORD_HEADER_SIZE,
  SEGMENT_HEADER_SIZE,
  VALUE_RAW,
  VALUE_SNAPPY,
  segmentVersion,
} from './vlog-format.js';

/** SegmentRecord is one record of a segment: views into the segment's bytes (value: uncompressed). */
export interface SegmentRecord {
  /** offset of the record's header; the stored value starts at valueOffset. */
  readonly offset: number;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** valueOffset and storedLength: where the stored value is (what a pointer to it holds). */
  readonly valueOffset: number;
  readonly storedLength: number;
  /** valueCrc: the masked CRC-32C stored for the value (and in pointers to it). */
  readonly valueCrc: number;
}

/** SegmentSummary counts what a scan found. */
export interface SegmentSummary {
  /** size: the bytes scanned (with `tolerateTail`, the valid prefix). */
  readonly size: number;
  readonly records: number;
  /** valueBytes: the stored bytes of the values (what pointers' lengths add up to). */
  readonly valueBytes: number;
}

/**
 * ScanOptions: `tolerateTail` stops at the first bad record instead of throwing (recovery); `size`
 * scans only that many bytes (the size the version records: recovery may have found a torn tail
 * after it, which no pointer reaches).
 */
export interface ScanOptions {
  readonly tolerateTail?: boolean;
  readonly size?: number;
}

/**
 * scanSegment calls `onRecord` for each record of the segment at `path`, in order; throws
 * CorruptionError naming the segment and offset at the first bad magic, length or checksum (with
 * `tolerateTail`, returns the summary of the records before it instead; a bad magic is then an empty
 * segment).
 */
export function scanSegment(
  fs: FileSystem,
  path: string,
  onRecord?: (r: SegmentRecord) => void,
  options: ScanOptions = {},
): SegmentSummary {
  let data = fs.readFile(path);
  if (options.size !== undefined && options.size < data.length) data = data.subarray(0, options.size);
  const version = segmentVersion(data);
  const tolerate = options.tolerateTail === true;
  if (version === 0) {
    if (tolerate) return { size: 0, records: 0, valueBytes: 0 };
    throw new CorruptionError('not a value-log segment (bad magic)', path, 0);
  }
  const kindBytes = version === 2 ? 1 : 0;
  let off = SEGMENT_HEADER_SIZE;
  let records = 0;
  let valueBytes = 0;
  while (off < data.length) {
    let problem: string | null = null;
    if (data.length - off < RECORD_HEADER_SIZE) problem = 'truncated value-log record header';
    const keyLen = problem === null ? decodeFixed32(data, off + 4) : 0;
    const storedLen = problem === null ? decodeFixed32(data, off + 8) : 0;
    const valueCrc = problem === null ? decodeFixed32(data, off + 12) : 0;
    const keyStart = off + RECORD_HEADER_SIZE;
    if (
      problem === null &&
      (keyLen > data.length - keyStart || storedLen + kindBytes > data.length - keyStart - keyLen)
    )
      problem = 'truncated value-log record';
    const kindAt = keyStart + keyLen;
    const valueStart = kindAt + kindBytes;
    const end = valueStart + storedLen;
    if (problem === null) {
      const headerCrc = maskCrc(crc32cExtend(crc32c(data, off + 4, keyStart), data, keyStart, kindAt));
      if (headerCrc !== decodeFixed32(data, off)) problem = 'value-log record header checksum mismatch';
      else if (maskCrc(crc32c(data, kindAt, end)) !== valueCrc)
        problem = 'value-log record value checksum mismatch';
    }
    let value = data.subarray(valueStart, end);
    if (problem === null && version === 2) {
      const kind = data[kindAt];
      if (kind === VALUE_SNAPPY) {
        try {
          value = snappyUncompress(value);
        } catch {
          problem = 'bad snappy value in value-log record';
        }
      } else if (kind !== VALUE_RAW) {
        problem = `unknown value-log record kind ${kind}`;
      }
    }
    if (problem !== null) {
      if (tolerate) break;
      throw new CorruptionError(problem, path, off);
    }
    onRecord?.({
      offset: off,
      key: data.subarray(keyStart, kindAt),
      value,
      valueOffset: valueStart,
      storedLength: storedLen,
      valueCrc,
    });
    records++;
    valueBytes += storedLen;
    off = end;
  }
  return { size: off, records, valueBytes };
}
