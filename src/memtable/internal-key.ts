/**
 * Internal keys (LevelDB db/dbformat.h): `user_key ++ fixed64(sequence << 8 | type)`, ordered by user key
 * ascending, then by tag descending (newest first). See docs/formats.md.
 *
 * Sequence numbers are JS numbers, exact below 2^53. The tag is read and written as two uint32 halves so
 * that comparisons never go through floating point; MAX_SEQUENCE (2^56 - 1 on disk) appears only in
 * seek keys and index separators.
 */
import type { Comparator } from '../util/comparator.js';
import { bytewiseComparator } from '../util/comparator.js';
import { compareByteRanges } from '../util/bytes.js';
import { decodeFixed32, encodeFixed32 } from '../util/coding.js';
import { CorruptionError } from '../util/errors.js';

// FROZEN: on-disk value types.
/** ValueType.DELETION marks a tombstone, ValueType.VALUE a live value. */
export const ValueType = { DELETION: 0, VALUE: 1 } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/**
 * VALUE_TYPE_FOR_SEEK is the type in the keys shale writes as index separators (LevelDB's
 * kValueTypeForSeek), kept at VALUE so that tables without value pointers are byte-for-byte LevelDB's.
 */
export const VALUE_TYPE_FOR_SEEK: ValueType = ValueType.VALUE;

// FROZEN: on-disk value type, a shale extension LevelDB does not know (docs/vlog.md).
/**
 * TYPE_VALUE_POINTER marks a table entry whose value is a value-log pointer (src/vlog/value-pointer.ts)
 * instead of the value itself. Tables hold it (values separated at flush and compaction), and with
 * write-time separation also WAL records and memtables; only in databases opened with the valueLog
 * option.
 */
export const TYPE_VALUE_POINTER = 2;

/**
 * LOOKUP_TYPE is the type of the keys point lookups and seeks use: the largest type, so that at equal
 * user key and sequence the lookup key sorts before every entry, whatever its type.
 */
export const LOOKUP_TYPE = TYPE_VALUE_POINTER;

/** MAX_SEQUENCE stands for 2^56 - 1, the largest sequence LevelDB can store (as a double it is 2^56). */
export const MAX_SEQUENCE = 2 ** 56;

/** TAG_SIZE is the number of bytes of the (sequence, type) tag at the end of an internal key. */
export const TAG_SIZE = 8;

const TWO_24 = 0x100_0000;

/**
 * tagHigh returns the high 32 bits of the tag for `seq` (as stored by writeTag). Tags order as
 * (tagHigh, tagLow) pairs of uint32, which lets hot paths compare them without building bytes.
 */
export function tagHigh(seq: number): number {
  if (seq >= MAX_SEQUENCE - TWO_24) return 0xffffffff;
  return Math.floor(seq / TWO_24) >>> 0;
}

/** tagLow returns the low 32 bits of the tag for (seq, type) (as stored by writeTag). */
export function tagLow(seq: number, type: number): number {
  if (seq >= MAX_SEQUENCE - TWO_24) return (0xffffff00 | type) >>> 0;
  return ((seq - Math.floor(seq / TWO_24) * TWO_24) * 256 + type) >>> 0;
}

/** writeTag stores the tag for (seq, type) at `off` as fixed64. */
export function writeTag(buf: Uint8Array, off: number, seq: number, type: number): void {
  if (seq >= MAX_SEQUENCE - TWO_24) {
    encodeFixed32(buf, off, (0xffffff00 | type) >>> 0);
    encodeFixed32(buf, off + 4, 0xffffffff);
    return;
  }
  // seq - high * 2^24, not seq % 2^24: V8 takes the remainder of a double through a C call.
  const high = Math.floor(seq / TWO_24);
  encodeFixed32(buf, off, ((seq - high * TWO_24) * 256 + type) >>> 0);
  encodeFixed32(buf, off + 4, high >>> 0);
}

/** makeInternalKey returns a new array holding `userKey ++ tag(seq, type)`. */
export function makeInternalKey(userKey: Uint8Array, seq: number, type: number): Uint8Array {
  const out = new Uint8Array(userKey.length + TAG_SIZE);
  out.set(userKey, 0);
  writeTag(out, userKey.length, seq, type);
  return out;
}

/** lookupKey returns the internal key that seeks to the newest version of `userKey` visible at `seq`. */
export function lookupKey(userKey: Uint8Array, seq: number): Uint8Array {
  return makeInternalKey(userKey, seq, LOOKUP_TYPE);
}

/** checkInternalKey throws CorruptionError unless `ikey` is long enough to hold a tag with a known type. */
export function checkInternalKey(ikey: Uint8Array, file?: string): void {
  if (ikey.length < TAG_SIZE) throw new CorruptionError('internal key too short', file);
  const type = ikey[ikey.length - TAG_SIZE]!;
  if (type > TYPE_VALUE_POINTER)
    throw new CorruptionError(`unknown value type ${type} in internal key`, file);
}

/** userKeyOf returns a view of the user-key part of an internal key. */
export function userKeyOf(ikey: Uint8Array): Uint8Array {
  return ikey.subarray(0, ikey.length - TAG_SIZE);
}

/** typeOf returns the value type of an internal key. */
export function typeOf(ikey: Uint8Array): number {
  return ikey[ikey.length - TAG_SIZE]!;
}

/** sequenceOf returns the sequence number of an internal key (MAX_SEQUENCE for the sentinel). */
export function sequenceOf(ikey: Uint8Array): number {
  const lo = decodeFixed32(ikey, ikey.length - TAG_SIZE);
  const hi = decodeFixed32(ikey, ikey.length - 4);
  return hi * TWO_24 + (lo >>> 8);
}

/**
 * compareTags orders the tags at the ends of two internal keys, descending (newer first): negative when
 * `a`'s tag is larger.
 */
export function compareTags(a: Uint8Array, b: Uint8Array): number {
  const ah = decodeFixed32(a, a.length - 4);
  const bh = decodeFixed32(b, b.length - 4);
  if (ah !== bh) return ah > bh ? -1 : 1;
  const al = decodeFixed32(a, a.length - 8);
  const bl = decodeFixed32(b, b.length - 8);
  if (al !== bl) return al > bl ? -1 : 1;
  return 0;
}

/**
 * InternalKeyComparator orders internal keys: user key ascending by the user comparator, then tag
 * descending. It is itself a Comparator (over internal keys), so tables and blocks can use it directly.
 */
export class InternalKeyComparator implements Comparator {
  readonly name = 'leveldb.InternalKeyComparator';
  private readonly bytewise: boolean;
  constructor(readonly user: Comparator) {
    this.bytewise = user === bytewiseComparator;
  }

  compare(a: Uint8Array, b: Uint8Array): number {
    // The default order compares in place; a custom comparator gets views of the user keys.
    const r = this.bytewise
      ? compareByteRanges(a, 0, a.length - 8, b, 0, b.length - 8)
      : this.user.compare(userKeyOf(a), userKeyOf(b));
    return r !== 0 ? r : compareTags(a, b);
  }

  findShortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
    const userStart = userKeyOf(start);
    const userLimit = userKeyOf(limit);
    const tmp = this.user.findShortestSeparator(userStart, userLimit);
    if (tmp.length < userStart.length && this.user.compare(userStart, tmp) < 0) {
      // The user key got shorter but larger: pair it with the largest tag so it sorts before any real
      // entry with that user key.
      return makeInternalKey(tmp, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
    }
    return start;
  }

  findShortSuccessor(key: Uint8Array): Uint8Array {
    const userKey = userKeyOf(key);
    const tmp = this.user.findShortSuccessor(userKey);
    if (tmp.length < userKey.length && this.user.compare(userKey, tmp) < 0) {
      return makeInternalKey(tmp, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
    }
    return key;
  }
}
