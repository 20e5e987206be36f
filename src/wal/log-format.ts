/**
 * Constants of LevelDB's log format, shared by LogWriter and LogReader. The format (docs/wal.md, and
 * leveldb-format.md §5) frames both the WAL `.log` files and the MANIFEST:
 *
 *   file   = block* (the last block may be partial)
 *   block  = record* trailer?          (trailer: fewer than HEADER_SIZE zero bytes)
 *   record = masked_crc32c:u32le | length:u16le | type:u8 | payload[length]
 *
 * The CRC covers the type byte followed by the payload. A physical record never crosses a block boundary.
 */
import { crc32c } from '../util/crc32c.js';

/** BLOCK_SIZE is the size of a log block in bytes (32 KiB). */
export const BLOCK_SIZE = 32768; // FROZEN: on-disk

/** HEADER_SIZE is the size of a physical record header: crc (4) + length (2) + type (1). */
export const HEADER_SIZE = 7; // FROZEN: on-disk

/**
 * RecordType is the type byte of a physical record. A logical record is either one FULL record or a
 * FIRST, any number of MIDDLE and a LAST record. ZERO is reserved for preallocated (zero-filled) space.
 */
export const RecordType = {
  ZERO: 0, // FROZEN: on-disk
  FULL: 1, // FROZEN: on-disk
  FIRST: 2, // FROZEN: on-disk
  MIDDLE: 3, // FROZEN: on-disk
  LAST: 4, // FROZEN: on-disk
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** MAX_RECORD_TYPE is the largest valid record type. */
export const MAX_RECORD_TYPE = RecordType.LAST;

/**
 * TYPE_CRC holds crc32c of the single type byte, for each type up to MAX_RECORD_TYPE, so that a record's
 * CRC is `crc32cExtend(TYPE_CRC[type], payload)`.
 */
export const TYPE_CRC: Uint32Array = (() => {
  const out = new Uint32Array(MAX_RECORD_TYPE + 1);
  const one = new Uint8Array(1);
  for (let t = 0; t <= MAX_RECORD_TYPE; t++) {
    one[0] = t;
    out[t] = crc32c(one);
  }
  return out;
})();
