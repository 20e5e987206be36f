/**
 * WriteBatch: an ordered set of puts and deletes applied atomically, in LevelDB's batch format
 * (db/write_batch.cc), which is also the payload of each WAL record:
 * `fixed64 sequence | fixed32 count | (0x01 lenpref(key) lenpref(value) | 0x00 lenpref(key))*`.
 * With write-time value separation a WAL record may also hold `0x02 lenpref(key) lenpref(pointer)`:
 * a put whose value is in a value-log segment (docs/vlog.md); user batches never do.
 */
import {
  Decoder,
  Encoder,
  decodeFixed32,
  encodeFixed32,
  encodeFixed64,
  decodeFixed64,
} from '../util/coding.js';
import { toBytes } from '../util/bytes.js';
import { CorruptionError } from '../util/errors.js';
import { TYPE_VALUE_POINTER, ValueType } from '../memtable/internal-key.js';
import type { MemTable } from '../memtable/memtable.js';

/** BATCH_HEADER_SIZE is the size of the sequence and count header. */
export const BATCH_HEADER_SIZE = 12;

/** BatchHandler receives the operations of a batch in order. */
export interface BatchHandler {
  put(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** pointer: a put whose value is in the value log (a WAL record only); without it: corruption. */
  pointer?(key: Uint8Array, pointer: Uint8Array): void;
}

/** WriteBatch collects operations to apply atomically with `db.write(batch)`. */
export class WriteBatch {
  private readonly rep = new Encoder(64);
  private ops = 0;

  constructor() {
    this.rep.ensure(BATCH_HEADER_SIZE);
    this.rep.pos = BATCH_HEADER_SIZE;
    this.rep.buf.fill(0, 0, BATCH_HEADER_SIZE);
  }

  /** put adds `key -> value`. Keys and values are Uint8Array or string (UTF-8). */
  put(key: Uint8Array | string, value: Uint8Array | string): this {
    // Check both before writing anything, so a bad argument leaves the batch unchanged.
    if (typeof key !== 'string') toBytes(key, 'key');
    if (typeof value !== 'string') toBytes(value, 'value');
    const rep = this.rep.byte(ValueType.VALUE);
    if (typeof key === 'string') rep.lengthPrefixedString(key);
    else rep.lengthPrefixed(key);
    if (typeof value === 'string') rep.lengthPrefixedString(value);
    else rep.lengthPrefixed(value);
    this.ops++;
    return this;
  }

  /** delete adds a deletion of `key`. */
  delete(key: Uint8Array | string): this {
    if (typeof key === 'string') {
      this.rep.byte(ValueType.DELETION).lengthPrefixedString(key);
      this.ops++;
      return this;
    }
    const k = toBytes(key, 'key');
    this.rep.byte(ValueType.DELETION).lengthPrefixed(k);
    this.ops++;
    return this;
  }

  /** clear removes every operation. */
  clear(): this {
    this.rep.pos = BATCH_HEADER_SIZE;
    this.ops = 0;
    return this;
  }

  /** append adds the operations of `other` after this batch's. */
  append(other: WriteBatch): this {
    this.rep.bytes(other.rep.buf.subarray(BATCH_HEADER_SIZE, other.rep.pos));
    this.ops += other.ops;
    return this;
  }

  /** count is the number of operations. */
  get count(): number {
    return this.ops;
  }

  /** byteSize is the encoded size (header included): what the batch adds to the WAL. */
  get byteSize(): number {
    return this.rep.pos;
  }

  /**
   * encodeWithSequence stamps the header with `sequence` and the count and returns a view of the
   * encoded batch (valid until the batch changes). @internal
   */
  encodeWithSequence(sequence: number): Uint8Array {
    encodeFixed64(this.rep.buf, 0, sequence);
    encodeFixed32(this.rep.buf, 8, this.ops);
    return this.rep.finish();
  }

  /** forEach calls `handler` for every operation in order. */
  forEach(handler: BatchHandler): void {
    iterateBatch(this.rep.buf.subarray(0, this.rep.pos), handler, this.ops);
  }
}

/** batchSequence returns the first sequence number stored in an encoded batch. */
export function batchSequence(rep: Uint8Array): number {
  return decodeFixed64(rep, 0);
}

/** batchCount returns the operation count stored in an encoded batch. */
export function batchCount(rep: Uint8Array): number {
  return decodeFixed32(rep, 8);
}

/**
 * iterateBatch decodes an encoded batch (a WAL record) and feeds `handler`. Throws CorruptionError on a
 * malformed batch or one whose count disagrees with its contents, before calling the handler at all,
 * so a damaged batch is never half-applied.
 */
export function iterateBatch(
  rep: Uint8Array,
  handler: BatchHandler,
  expectedCount = batchCount(rep),
  file?: string,
): void {
  if (rep.length < BATCH_HEADER_SIZE) throw new CorruptionError('write batch is too small', file);
  // First pass: validate everything.
  let d = new Decoder(rep, BATCH_HEADER_SIZE);
  let found = 0;
  try {
    while (d.remaining > 0) {
      const tag = d.byte();
      if (tag === ValueType.VALUE || (tag === TYPE_VALUE_POINTER && handler.pointer !== undefined)) {
        d.lengthPrefixed();
        d.lengthPrefixed();
      } else if (tag === ValueType.DELETION) {
        d.lengthPrefixed();
      } else {
        throw new CorruptionError(`unknown write batch tag ${tag}`, file);
      }
      found++;
    }
  } catch (err) {
    if (err instanceof CorruptionError && err.file === undefined && file !== undefined) {
      throw new CorruptionError(`bad write batch: ${err.message}`, file);
    }
    throw err;
  }
  if (found !== expectedCount) {
    throw new CorruptionError(`write batch has ${found} entries but its header says ${expectedCount}`, file);
  }
  d = new Decoder(rep, BATCH_HEADER_SIZE);
  while (d.remaining > 0) {
    const tag = d.byte();
    if (tag === ValueType.VALUE) {
      const k = d.lengthPrefixed();
      handler.put(k, d.lengthPrefixed());
    } else if (tag === TYPE_VALUE_POINTER) {
      const k = d.lengthPrefixed();
      handler.pointer!(k, d.lengthPrefixed());
    } else {
      handler.delete(d.lengthPrefixed());
    }
  }
}

/**
 * insertEncodedBatch adds every operation of `rep` to `mem`, numbered from `seq`. `rep` must have been
 * encoded by this process (a WriteBatch or a group of them), so it is not validated again (recovery
 * uses iterateBatch, which is); keys and values are copied from the encoding without making views.
 */
export function insertEncodedBatch(rep: Uint8Array, seq: number, mem: MemTable): void {
  const end = rep.length;
  let p = BATCH_HEADER_SIZE;
  let s = seq;
  while (p < end) {
    const tag = rep[p++]!;
    let klen = 0;
    for (let shift = 0; ; shift += 7) {
      const b = rep[p++]!;
      klen |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    const kStart = p;
    p += klen;
    if (tag !== ValueType.DELETION) {
      let vlen = 0;
      for (let shift = 0; ; shift += 7) {
        const b = rep[p++]!;
        vlen |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      mem.addFrom(s++, tag as ValueType, rep, kStart, klen, p, vlen);
      p += vlen;
    } else {
      mem.addFrom(s++, ValueType.DELETION, rep, kStart, klen, p, 0);
    }
  }
}
