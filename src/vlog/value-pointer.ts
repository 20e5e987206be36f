/**
 * ValuePointer: what a table stores, under TYPE_VALUE_POINTER, in place of a value that lives in a
 * value-log segment (docs/vlog.md).
 *
 * ```
 * pointer := varint64 segment | varint64 offset | varint32 length | fixed32 valueCrc
 * ```
 * `offset` is where the value's bytes start in the segment file, `valueCrc` the masked CRC-32C of them.
 */
import { decodeFixed32, encodeFixed32, encodeVarint32, encodeVarint64 } from '../util/coding.js';
import { CorruptionError } from '../util/errors.js';

/** ValuePointer locates one value in the value log. */
export interface ValuePointer {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
  /** crc is the masked CRC-32C of the value. */
  readonly crc: number;
}

/** MAX_POINTER_SIZE bounds an encoded pointer (10 + 10 + 5 + 4 bytes). */
export const MAX_POINTER_SIZE = 29;

/** encodePointer writes `p` into `buf` at 0 and returns the length used. */
export function encodePointer(buf: Uint8Array, p: ValuePointer): number {
  let off = encodeVarint64(buf, 0, p.segment);
  off = encodeVarint64(buf, off, p.offset);
  off = encodeVarint32(buf, off, p.length);
  encodeFixed32(buf, off, p.crc);
  return off + 4;
}

function varint(buf: Uint8Array, pos: { off: number }, file: string | undefined): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos.off >= buf.length) break;
    const b = buf[pos.off++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(result)) break;
      return result;
    }
    mul *= 128;
  }
  throw new CorruptionError('malformed value pointer', file);
}

/** decodePointer parses a pointer; throws CorruptionError (naming `file`, the table) if malformed. */
export function decodePointer(buf: Uint8Array, file?: string): ValuePointer {
  const pos = { off: 0 };
  const segment = varint(buf, pos, file);
  const offset = varint(buf, pos, file);
  const length = varint(buf, pos, file);
  if (pos.off + 4 !== buf.length) throw new CorruptionError('malformed value pointer', file);
  return { segment, offset, length, crc: decodeFixed32(buf, pos.off) };
}
