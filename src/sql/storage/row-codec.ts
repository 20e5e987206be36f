/**
 * The row encoding: a row's values in column order, each a tag byte and its payload.
 *
 *   0 NULL   1 false   2 true   3 int (zig-zag varint, up to 64 bits)   4 float64 (8 bytes LE)
 *   5 string (varint byte length, UTF-8)   6 bytes (varint length, raw)
 *
 * The tags make a row self-describing: rows written before an ALTER TABLE ADD COLUMN are simply shorter (the
 * missing trailing columns read as the column's default at the time it was added, kept in the catalog).
 * Dates are ints; timestamps are ints (microseconds); numeric and json are strings; a uuid is its 16 bytes. A char(n) value is
 * stored without its trailing spaces and padded back to n characters when read (pgbench's char(84) filler
 * is 84 spaces: a row of pgbench_accounts is 10 bytes, not 94); rows stored padded read the same.
 */
import { SqlError, SqlState } from '../errors.js';
import type { SqlType, Value } from '../types/sql-type.js';
import { readAscii, writeAscii } from '../../util/bytes.js';
import { uuidFromBytes, uuidToBytes } from '../types/uuid.js';

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_INT = 3;
const T_FLOAT = 4;
const T_STRING = 5;
const T_BYTES = 6;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** wbuf, wpos: the reused buffer encodeRow writes into (rows are copied out of it) and its position. */
let wbuf = new Uint8Array(256);
let wpos = 0;

/**
 * Layout is what the codec needs to know of a row's column types: which numbers are ints, and the length n of
 * each char(n) column (-1 for the others).
 */
interface Layout {
  readonly ints: boolean[];
  readonly padTo: number[];
  /** uuids: the uuid columns (strings in memory, 16 bytes stored). */
  readonly uuids: boolean[];
}

/** layouts: each column-type array's Layout (callers keep their arrays: made once per table or plan). */
const layouts = new WeakMap<readonly SqlType[], Layout>();

function layoutOf(types: readonly SqlType[]): Layout {
  let l = layouts.get(types);
  if (l === undefined) {
    const ints = types.map(
      ({ id }) => id === 'int2' || id === 'int4' || id === 'date' || id === 'oid' || id === 'regclass',
    );
    const padTo = types.map((t) => (t.id === 'bpchar' && t.typmod >= 4 ? t.typmod - 4 : -1));
    const uuids = types.map((t) => t.id === 'uuid');
    l = { ints, padTo, uuids };
    layouts.set(types, l);
  }
  return l;
}

/**
 * encodeRow writes the values of one row: bigints as ints, numbers as floats, except numbers of the columns
 * `ints` marks, which are ints; strings of the columns `padTo` marks without their trailing spaces.
 */
function encodeRow(
  values: readonly Value[],
  ints: readonly boolean[],
  padTo: readonly number[],
  uuids: readonly boolean[],
): Uint8Array {
  let size = 1;
  for (const v of values)
    size += typeof v === 'string' ? v.length * 3 + 10 : v instanceof Uint8Array ? v.length + 10 : 11;
  if (size > wbuf.length) wbuf = new Uint8Array(Math.max(size, wbuf.length * 2));
  const buf = wbuf;
  wpos = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) buf[wpos++] = T_NULL;
    else if (v === false) buf[wpos++] = T_FALSE;
    else if (v === true) buf[wpos++] = T_TRUE;
    else if (typeof v === 'bigint') {
      buf[wpos++] = T_INT;
      writeZigZag(v);
    } else if (typeof v === 'number') {
      if (ints[i] === true) {
        // An int2/int4/date value: well inside 2^47, so its zig-zag form is exact in a double.
        buf[wpos++] = T_INT;
        if (Number.isInteger(v) && Math.abs(v) < 2 ** 47) writeUnsigned(v >= 0 ? v * 2 : -v * 2 - 1);
        else writeZigZag(BigInt(v)); // (a fraction throws RangeError, as it always did)
      } else {
        buf[wpos++] = T_FLOAT;
        new DataView(buf.buffer, wpos, 8).setFloat64(0, v, true);
        wpos += 8;
      }
    } else if (typeof v === 'string' && uuids[i] === true) {
      buf[wpos++] = T_BYTES;
      buf[wpos++] = 16;
      uuidToBytes(v, buf, wpos);
      wpos += 16;
    } else if (typeof v === 'string') {
      buf[wpos++] = T_STRING;
      writeString(padTo[i] !== undefined && padTo[i] >= 0 ? trimSpaces(v) : v);
    } else {
      // Arrays are computed (catalog queries), never stored: DDL refuses array columns.
      if (!(v instanceof Uint8Array)) throw new Error('row codec: arrays cannot be stored');
      buf[wpos++] = T_BYTES;
      writeUnsigned(v.length);
      buf.set(v, wpos);
      wpos += v.length;
    }
  }
  const out = buf.slice(0, wpos);
  if (wbuf.length > 1 << 20) wbuf = new Uint8Array(256);
  return out;
}

function writeZigZag(n: bigint): void {
  const x = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  if (x < 0x1000000000000n) {
    // Below 2^48: plain number arithmetic is exact and much cheaper than BigInt.
    writeUnsigned(Number(x));
    return;
  }
  let y = x;
  while (y >= 0x80n) {
    wbuf[wpos++] = Number(y & 0x7fn) | 0x80;
    y >>= 7n;
  }
  wbuf[wpos++] = Number(y);
}

/** writeUnsigned writes a varint of a non-negative integer below 2^53. */
function writeUnsigned(n: number): void {
  const buf = wbuf;
  while (n >= 0x80) {
    buf[wpos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[wpos++] = n;
}

/** writeString writes a string's UTF-8 byte length and bytes (a short ASCII one by a loop). */
function writeString(v: string): void {
  const n = v.length;
  // Its length fits one varint byte if the string is ASCII: try that first.
  if (n < 0x80 && writeAscii(wbuf, wpos + 1, v)) {
    wbuf[wpos] = n;
    wpos += 1 + n;
    return;
  }
  const bytes = encoder.encode(v);
  writeUnsigned(bytes.length);
  wbuf.set(bytes, wpos);
  wpos += bytes.length;
}

/** trimSpaces: `s` without its trailing spaces. */
function trimSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.substring(0, end);
}

/** SPACES: a run of spaces that pads are cut from (grown on demand). */
let SPACES = ' '.repeat(256);

/** padSpaces: `s` padded with spaces to `n` characters (code points, as char(n) counts them). */
function padSpaces(s: string, n: number): string {
  let chars = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) chars--; // the first half of a surrogate pair: one character of two
  }
  if (chars >= n) return s;
  if (n > SPACES.length) SPACES = ' '.repeat(n);
  return s.length === 0 ? SPACES.substring(0, n) : s + SPACES.substring(0, n - chars);
}

/**
 * encodeTypedRow writes a row, storing numbers of integer and date columns as ints (a float8 column holding 2
 * must read back as a float, so a number's look does not decide). `types` is best a kept array (its layout
 * is computed once).
 */
export function encodeTypedRow(types: readonly SqlType[], values: readonly Value[]): Uint8Array {
  const l = layoutOf(types);
  return encodeRow(values, l.ints, l.padTo, l.uuids);
}

/** decodeRow reads a row; integers of int2/int4/date columns come back as numbers, char(n) padded to n. */
export function decodeRow(types: readonly SqlType[], buf: Uint8Array): Value[] {
  const out: Value[] = [];
  const padTo = layoutOf(types).padTo;
  // The read position lives in module state (rbuf, rpos) rather than in closures: one row decode per
  // point read, and two closures and a DataView per row were a good part of its cost.
  rbuf = buf;
  rpos = 0;
  while (rpos < buf.length) {
    const tag = buf[rpos++]!;
    const col = out.length;
    switch (tag) {
      case T_NULL:
        out.push(null);
        break;
      case T_FALSE:
        out.push(false);
        break;
      case T_TRUE:
        out.push(true);
        break;
      case T_INT: {
        const n = readVarint();
        const id = types[col]?.id;
        out.push(
          id === 'int8' || id === 'timestamp' || id === 'timestamptz' || id === undefined
            ? BigInt(n)
            : Number(n),
        );
        break;
      }
      case T_FLOAT:
        if (rpos + 8 > buf.length) throw damaged();
        out.push(new DataView(buf.buffer, buf.byteOffset + rpos, 8).getFloat64(0, true));
        rpos += 8;
        break;
      case T_STRING: {
        const n = readSmallVarint();
        if (rpos + n > buf.length) throw damaged();
        const str = readString(buf, rpos, rpos + n);
        const pad = padTo[col];
        out.push(pad !== undefined && pad >= 0 ? padSpaces(str, pad) : str);
        rpos += n;
        break;
      }
      case T_BYTES: {
        const n = readSmallVarint();
        if (rpos + n > buf.length) throw damaged();
        if (types[col]?.id === 'uuid') {
          if (n !== 16) throw damaged();
          out.push(uuidFromBytes(buf, rpos));
        } else out.push(buf.slice(rpos, rpos + n));
        rpos += n;
        break;
      }
      default:
        throw damaged();
    }
  }
  rbuf = EMPTY;
  return out;
}

const EMPTY = new Uint8Array(0);
/** rbuf, rpos: the row decodeRow is reading and its position. */
let rbuf: Uint8Array = EMPTY;
let rpos = 0;

/** readVarint reads a zig-zag varint: up to 7 bytes fit a double exactly (49 bits); longer ones go through BigInt. */
function readVarint(): number | bigint {
  const buf = rbuf;
  let x = 0;
  let mul = 1;
  for (let n = 0; n < 7; n++) {
    if (rpos >= buf.length) throw damaged();
    const b = buf[rpos++]!;
    x += (b & 0x7f) * mul;
    if (b < 0x80) return x % 2 === 1 ? -(x + 1) / 2 : x / 2;
    mul *= 128;
  }
  let big = BigInt(x);
  let shift = 49n;
  for (;;) {
    if (rpos >= buf.length || shift > 70n) throw damaged();
    const b = buf[rpos++]!;
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return big & 1n ? -((big + 1n) >> 1n) : big >> 1n;
    shift += 7n;
  }
}

function readSmallVarint(): number {
  const buf = rbuf;
  let x = 0;
  let shift = 0;
  for (;;) {
    if (rpos >= buf.length || shift > 28) throw damaged();
    const b = buf[rpos++]!;
    x += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return x;
    shift += 7;
  }
}

/** SHORT_ASCII: strings up to this many bytes that are all ASCII are decoded by a loop, not TextDecoder. */
const SHORT_ASCII = 32;

/** readString decodes UTF-8 (strictly: invalid bytes throw) from buf[start, end). */
function readString(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= SHORT_ASCII) {
    const s = readAscii(buf, start, end);
    if (s !== undefined) return s;
  }
  return decoder.decode(buf.subarray(start, end));
}

function damaged(): SqlError {
  return new SqlError(SqlState.INTERNAL_ERROR, 'stored row is damaged');
}
