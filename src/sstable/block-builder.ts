/**
 * BlockBuilder encodes sorted entries into a block with prefix-compressed keys (LevelDB
 * table/block_builder.cc). See leveldb-format.md §6 "Block contents".
 *
 * ```
 * entry:   varint32 shared | varint32 non_shared | varint32 value_len | key[shared..] | value
 * trailer: fixed32 restart_offset[num_restarts] | fixed32 num_restarts
 * ```
 * Every `restartInterval`-th entry is a restart point: it stores its whole key (shared = 0), so a reader
 * can binary-search the restart array and decode forward from there.
 */
import { encodeFixed32, encodeVarint32 } from '../util/coding.js';
import { copyRange } from '../util/bytes.js';
import { InvalidArgumentError } from '../util/errors.js';

/** BlockBuilder accumulates entries for one block. Keys must be added in increasing order. */
export class BlockBuilder {
  private buf: Uint8Array;
  private pos = 0;
  private restarts: number[] = [0];
  private counter = 0;
  private finished = false;
  private lastKey: Uint8Array = new Uint8Array(64);
  private lastKeyLen = 0;

  /**
   * @param restartInterval entries between restart points (16 for data blocks, 1 for index blocks)
   * @param initialCapacity bytes to reserve (the buffer grows as needed)
   */
  constructor(
    readonly restartInterval: number,
    initialCapacity = 4096,
  ) {
    if (!(restartInterval >= 1))
      throw new InvalidArgumentError(`block restart interval must be >= 1, got ${restartInterval}`);
    this.buf = new Uint8Array(Math.max(64, initialCapacity));
  }

  /** empty is true iff no entry was added since construction or the last reset(). */
  get empty(): boolean {
    return this.pos === 0;
  }

  /** reset clears the builder for a new block, keeping its buffers. */
  reset(): void {
    this.pos = 0;
    this.restarts.length = 1;
    this.restarts[0] = 0;
    this.counter = 0;
    this.finished = false;
    this.lastKeyLen = 0;
  }

  /**
   * add appends an entry. Requires: finish() was not called since the last reset(), and `key` is larger
   * than every key added before (the table builder checks the order).
   */
  add(key: Uint8Array, value: Uint8Array): void {
    if (this.finished) throw new InvalidArgumentError('BlockBuilder.add after finish');
    let shared = 0;
    if (this.counter < this.restartInterval) {
      const last = this.lastKey;
      const n = Math.min(this.lastKeyLen, key.length);
      while (shared < n && last[shared] === key[shared]) shared++;
    } else {
      this.restarts.push(this.pos);
      this.counter = 0;
    }
    const nonShared = key.length - shared;
    this.ensure(15 + nonShared + value.length);
    const buf = this.buf;
    let p = this.pos;
    if (shared < 0x80 && nonShared < 0x80 && value.length < 0x80) {
      buf[p++] = shared;
      buf[p++] = nonShared;
      buf[p++] = value.length;
    } else {
      p = encodeVarint32(buf, p, shared);
      p = encodeVarint32(buf, p, nonShared);
      p = encodeVarint32(buf, p, value.length);
    }
    p = copyRange(buf, p, key, shared, key.length);
    // A flush reads values out of the memtable's shared arena: copyRange copies long ones by words.
    this.pos = copyRange(buf, p, value, 0, value.length);

    // Remember the key for the next entry's prefix.
    if (key.length > this.lastKey.length) {
      const next = new Uint8Array(Math.max(key.length, this.lastKey.length * 2));
      next.set(this.lastKey.subarray(0, shared));
      this.lastKey = next;
    }
    copyRange(this.lastKey, shared, key, shared, key.length);
    this.lastKeyLen = key.length;
    this.counter++;
  }

  /**
   * finish appends the restart array and returns the block contents: a view of the builder's buffer,
   * valid until the next reset() or add().
   */
  finish(): Uint8Array {
    if (!this.finished) {
      const restarts = this.restarts;
      this.ensure(restarts.length * 4 + 4);
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < restarts.length; i++, p += 4) encodeFixed32(buf, p, restarts[i]!);
      encodeFixed32(buf, p, restarts.length);
      this.pos = p + 4;
      this.finished = true;
    }
    return this.buf.subarray(0, this.pos);
  }

  /** currentSizeEstimate returns the size of the block finish() would return now (uncompressed). */
  currentSizeEstimate(): number {
    if (this.finished) return this.pos;
    return this.pos + this.restarts.length * 4 + 4;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}
