/**
 * The order-preserving key encoding: encoded keys compare bytewise (memcmp) in the order PostgreSQL sorts the
 * values ascending, NULLs last. Each column is a marker byte and a payload:
 *
 *   0x01 payload   a value        0x02   NULL (after every value, as PostgreSQL's NULLS LAST)
 *
 *   integers (int2/int4/int8, date)   8 bytes big-endian two's complement with the sign bit flipped
 *   floats                            IEEE-754 big-endian; positives with the sign bit flipped, negatives
 *                                     with every bit flipped; -0 as 0; every NaN as one pattern above +Inf
 *   timestamps                        as integers (microseconds)
 *   text, bytea, numeric, json        the bytes (UTF-8 for text; see numericKey for numeric) with 0x00 written
 *                                     as 0x00 0xFF, then the terminator 0x00 0x01
 *   bool                              0x00 false, 0x01 true
 *
 * A descending column writes every byte of its part inverted. Integers of every width share one encoding, so
 * a key written as int4 reads back the same after a change to int8.
 */
import { SqlError, SqlState } from '../errors.js';
import type { SqlType, Value } from '../types/sql-type.js';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
import { toDecimal } from '../types/numeric.js';
import { uuidToBytes } from '../types/uuid.js';

const VALUE = 0x01;
const NULL = 0x02;

/** KeyWriter appends encoded key parts to a growing buffer. */
export class KeyWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(prefix?: Uint8Array) {
    this.buf = new Uint8Array(64);
    if (prefix !== undefined) this.bytes(prefix);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** bytes appends raw bytes (prefixes). */
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.len++] = b;
    return this;
  }

  /** value appends one column's part; `desc` inverts it. */
  value(type: SqlType, v: Value, desc = false): this {
    const start = this.len;
    if (v === null) this.byte(NULL);
    else {
      this.byte(VALUE);
      this.payload(type, v);
    }
    if (desc) for (let i = start; i < this.len; i++) this.buf[i] = ~this.buf[i]! & 0xff;
    return this;
  }

  private payload(type: SqlType, v: Exclude<Value, null>): void {
    switch (type.id) {
      case 'int2':
      case 'int4':
      case 'int8':
      case 'oid':
      case 'regclass':
      case 'date':
      case 'timestamp':
      case 'timestamptz':
        return typeof v === 'number' ? this.int53(v) : this.int64(v as bigint);
      case 'time':
        return this.int64(BigInt(v as number | bigint));
      case 'float4':
      case 'float8':
        return this.float(v as number);
      case 'bool':
        this.byte(v ? 1 : 0);
        return;
      case 'bytea':
        return this.escaped(v as Uint8Array);
      case 'numeric':
        return this.escaped(numericKey(v as string));
      case 'uuid':
        // Fixed length: the 16 bytes order as the values do and need no terminator.
        this.room(16);
        uuidToBytes(v as string, this.buf, this.len);
        this.len += 16;
        return;
      default:
        return this.escaped(Buffer.from(v as string, 'utf8'));
    }
  }

  /** int53 writes a safe integer as int64 does, without BigInt (the common case: int2, int4, date). */
  private int53(n: number): void {
    this.room(8);
    const hi = Math.floor(n / 0x100000000);
    const lo = n - hi * 0x100000000;
    const b = this.buf;
    const p = this.len;
    const h = (hi ^ 0x80000000) >>> 0;
    b[p] = h >>> 24;
    b[p + 1] = (h >>> 16) & 0xff;
    b[p + 2] = (h >>> 8) & 0xff;
    b[p + 3] = h & 0xff;
    b[p + 4] = lo >>> 24;
    b[p + 5] = (lo >>> 16) & 0xff;
    b[p + 6] = (lo >>> 8) & 0xff;
    b[p + 7] = lo & 0xff;
    this.len += 8;
  }

  private int64(n: bigint): void {
    // Most int8 values are safe integers: no BigInt arithmetic and no DataView for them.
    if (n >= MIN_SAFE && n <= MAX_SAFE) return this.int53(Number(n));
    this.room(8);
    const u = BigInt.asUintN(64, n) ^ (1n << 63n);
    new DataView(this.buf.buffer, this.buf.byteOffset).setBigUint64(this.len, u);
    this.len += 8;
  }

  private float(x: number): void {
    this.room(8);
    const view = new DataView(this.buf.buffer, this.buf.byteOffset);
    if (Number.isNaN(x)) {
      view.setUint32(this.len, 0xfff80000);
      view.setUint32(this.len + 4, 1);
      this.buf[this.len] = 0xff;
    } else {
      view.setFloat64(this.len, x === 0 ? 0 : x);
      if (this.buf[this.len]! & 0x80)
        for (let i = 0; i < 8; i++) this.buf[this.len + i] = ~this.buf[this.len + i]! & 0xff;
      else this.buf[this.len] = this.buf[this.len]! | 0x80;
    }
    this.len += 8;
  }

  private escaped(b: Uint8Array): void {
    this.room(b.length * 2 + 2);
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      this.buf[this.len++] = c;
      if (c === 0) this.buf[this.len++] = 0xff;
    }
    this.buf[this.len++] = 0;
    this.buf[this.len++] = 1;
  }

  /** finish returns a copy of the key written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * numericKey encodes a numeric so that bytes order as values: a class byte (negative 0x01, zero 0x02, positive
 * 0x03, NaN 0x04), then for non-zero values the decimal exponent (biased, 4 bytes; inverted for negatives)
 * and the significant digits as ASCII without trailing zeros (each digit inverted for negatives, then a
 * terminating 0xFE so that a shorter negative sorts after a longer one with the same prefix).
 */
export function numericKey(text: string): Uint8Array {
  if (text === 'NaN') return Uint8Array.of(0x04);
  const d = toDecimal(text);
  if (d.int === 0n) return Uint8Array.of(0x02);
  const neg = d.int < 0n;
  const digits = (neg ? -d.int : d.int).toString().replace(/0+$/, '');
  const exponent = (neg ? -d.int : d.int).toString().length - d.scale;
  const out = new Uint8Array(1 + 4 + digits.length + 1);
  out[0] = neg ? 0x01 : 0x03;
  const biased = (exponent + 0x40000000) >>> 0;
  new DataView(out.buffer).setUint32(1, neg ? ~biased >>> 0 : biased);
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    out[5 + i] = neg ? 0xff - c : c;
  }
  out[5 + digits.length] = neg ? 0xfe : 0x00;
  return out;
}

/** keyCorrupt: a stored key did not decode; never a wrong value. */
export function keyCorrupt(what: string): SqlError {
  return new SqlError(SqlState.INTERNAL_ERROR, `stored key is damaged: ${what}`);
}

/** prefixEnd returns the smallest key greater than every key starting with prefix (undefined: none). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}
