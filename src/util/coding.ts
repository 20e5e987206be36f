/**
 * Fixed-width little-endian and varint encodings (LevelDB util/coding.h). 64-bit values are JS numbers:
 * exact up to 2^53, which bounds sequence numbers, file numbers and sizes far beyond practical use.
 * Decoders that meet a larger value throw, rather than silently round.
 */
import { CorruptionError } from './errors.js';

const TWO_32 = 0x1_0000_0000;

/** encodeFixed32 writes `v` (uint32) little-endian at `off`. */
export function encodeFixed32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

/** decodeFixed32 reads a little-endian uint32 at `off`. */
export function decodeFixed32(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

/** encodeFixed64 writes a non-negative integer `v` (< 2^64, exact below 2^53) little-endian. */
export function encodeFixed64(buf: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = v - hi * TWO_32; // not v % 2^32: V8 takes a double's remainder through a C call
  encodeFixed32(buf, off, lo >>> 0);
  encodeFixed32(buf, off + 4, hi >>> 0);
}

/** decodeFixed64 reads a little-endian uint64 as a number; throws if it exceeds 2^53. */
export function decodeFixed64(buf: Uint8Array, off: number): number {
  const lo = decodeFixed32(buf, off);
  const hi = decodeFixed32(buf, off + 4);
  if (hi >= 0x20_0000) throw new CorruptionError('fixed64 value exceeds 2^53');
  return hi * TWO_32 + lo;
}

/** varint32Length returns how many bytes the varint encoding of `v` takes. */
export function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** encodeVarint32 writes `v` (uint32) as a varint at `off`; returns the offset after it. */
export function encodeVarint32(buf: Uint8Array, off: number, v: number): number {
  v >>>= 0;
  while (v >= 0x80) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

/** encodeVarint64 writes a non-negative integer (exact below 2^53) as a varint; returns the new offset. */
export function encodeVarint64(buf: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

/**
 * Decoder is a cursor over a byte array for the variable-length formats (batches, version edits,
 * block entries). Every read checks bounds and throws CorruptionError on a truncated or malformed field.
 */
export class Decoder {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  varint32(): number {
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (this.pos >= this.end) throw new CorruptionError('truncated varint32');
      const b = this.buf[this.pos++]!;
      if (shift === 28 && b > 0x0f) throw new CorruptionError('varint32 overflow');
      result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
    }
    throw new CorruptionError('varint32 too long');
  }

  varint64(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CorruptionError('truncated varint64');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new CorruptionError('varint64 value exceeds 2^53');
        return result;
      }
      mul *= 128;
    }
    throw new CorruptionError('varint64 too long');
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new CorruptionError('truncated fixed32');
    const v = decodeFixed32(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(): number {
    if (this.pos + 8 > this.end) throw new CorruptionError('truncated fixed64');
    const v = decodeFixed64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  byte(): number {
    if (this.pos >= this.end) throw new CorruptionError('truncated byte');
    return this.buf[this.pos++]!;
  }

  /** bytes returns a view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) throw new CorruptionError('truncated bytes');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** lengthPrefixed reads `varint32 length` then that many bytes (a view). */
  lengthPrefixed(): Uint8Array {
    return this.bytes(this.varint32());
  }
}

const UTF8 = new TextEncoder();

/**
 * Encoder appends fields to a growable buffer. `finish()` returns a view of the bytes written; reuse
 * the encoder after `reset()` to avoid reallocating on hot paths.
 */
export class Encoder {
  buf: Uint8Array;
  pos = 0;
  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.pos++] = b;
    return this;
  }

  fixed32(v: number): this {
    this.ensure(4);
    encodeFixed32(this.buf, this.pos, v);
    this.pos += 4;
    return this;
  }

  fixed64(v: number): this {
    this.ensure(8);
    encodeFixed64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  varint32(v: number): this {
    this.ensure(5);
    this.pos = encodeVarint32(this.buf, this.pos, v);
    return this;
  }

  varint64(v: number): this {
    this.ensure(10);
    this.pos = encodeVarint64(this.buf, this.pos, v);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  lengthPrefixed(b: Uint8Array): this {
    return this.varint32(b.length).bytes(b);
  }

  /** lengthPrefixedString writes `s` as length-prefixed UTF-8; ASCII is written in place, without a copy. */
  lengthPrefixedString(s: string): this {
    const start = this.pos;
    const n = s.length;
    this.varint32(n);
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = start;
        return this.lengthPrefixed(UTF8.encode(s));
      }
      buf[p++] = c;
    }
    this.pos = p;
    return this;
  }

  /** finish returns a view of the bytes written so far (valid until the next write or reset). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** toBytes returns a copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
