/**
 * Text input and output of every type, as PostgreSQL 15 writes them (DateStyle ISO, bytea_output hex,
 * extra_float_digits 1; TimeZone and IntervalStyle from the session's IoSettings), and binary input of
 * parameters (format code 1).
 */
import { SqlError, SqlState } from '../errors.js';
import { formatFloat4, formatFloat8 } from './float-format.js';
import { applyNumericTypmod, parseNumeric } from './numeric.js';
import {
  formatDate,
  formatTimestamp,
  parseDate,
  parseTimestamp,
  parseTimestamptz,
  roundTimestamp,
} from './datetime.js';
import { TYPE_INFO, arrayElement, type SqlType, type TypeId, type Value } from './sql-type.js';
import { normalizeJsonb } from './jsonb.js';
import { parseJson } from './json-value.js';
import { formatTime, parseTime, roundTime } from './time.js';
import { decodeInterval, encodeInterval, parseInterval } from './interval.js';
import { formatIntervalStyled } from './interval-styles.js';
import { DEFAULT_IO, type IoSettings } from './io-settings.js';
import { formatArray, parseArray } from './array.js';
import { anonymousRecordInput, formatRecord, recordBinary, type RecordValue } from './record.js';
import { parseUuid, uuidFromBytes, uuidToBytes } from './uuid.js';

const INT_RANGE: Partial<Record<TypeId, [number, number]>> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
  oid: [0, 4294967295],
  regclass: [0, 4294967295],
  regtype: [0, 4294967295],
  regnamespace: [0, 4294967295],
};
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const INT_RE = /^\s*[+-]?\d+\s*$/;

function invalid(type: TypeId, text: string): SqlError {
  return new SqlError(
    SqlState.INVALID_TEXT_REPRESENTATION,
    `invalid input syntax for type ${TYPE_INFO[type].pgName}: "${text}"`,
  );
}

/** outOfRange is PostgreSQL's 22003 for an integer type. */
export function outOfRange(type: TypeId): SqlError {
  return new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `${TYPE_INFO[type].pgName} out of range`);
}

/** checkInt returns n when it fits the integer type, else throws 22003. */
export function checkInt(type: TypeId, n: number): number {
  const r = INT_RANGE[type]!;
  if (!(n >= r[0] && n <= r[1])) throw outOfRange(type);
  return n;
}

/** checkInt8 returns n when it fits int8, else throws 22003. */
export function checkInt8(n: bigint): bigint {
  if (n < INT8_MIN || n > INT8_MAX) throw outOfRange('int8');
  return n;
}

/** parseValue reads a value of type t from its text form (timestamptz without a zone: in io's zone). */
export function parseValue(t: SqlType, text: string, io: IoSettings): Value {
  if (t.id === 'int2vector')
    return text
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map((s) => parseValue({ id: 'int2', typmod: -1 }, s, io));
  if (t.id === 'record') throw anonymousRecordInput();
  const elem = arrayElement(t.id);
  if (elem !== undefined) {
    const et: SqlType = { id: elem, typmod: t.typmod };
    return parseArray(text, (s) => parseValue(et, s, io));
  }
  switch (t.id) {
    case 'bool':
      return parseBool(text);
    case 'int2':
    case 'int4':
    case 'oid':
    case 'regclass':
    case 'regtype':
    case 'regnamespace': {
      if (!INT_RE.test(text)) throw invalid(t.id, text);
      const n = Number(text);
      const r = INT_RANGE[t.id]!;
      if (!(n >= r[0] && n <= r[1]))
        throw new SqlError(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          `value "${text}" is out of range for type ${TYPE_INFO[t.id].pgName}`,
        );
      return n;
    }
    case 'int8': {
      if (!INT_RE.test(text)) throw invalid(t.id, text);
      const n = BigInt(text.trim());
      if (n < INT8_MIN || n > INT8_MAX)
        throw new SqlError(
          SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
          `value "${text}" is out of range for type bigint`,
        );
      return n;
    }
    case 'float4':
    case 'float8':
      return parseFloatText(t.id, text);
    case 'numeric':
      return applyNumericTypmod(parseNumeric(text), t.typmod);
    case 'text':
    case 'name':
    case 'unknown':
    case 'pg_node_tree':
      return text;
    case 'char':
      // "char" keeps the first byte of its input (one character here).
      return [...text].slice(0, 1).join('');
    case 'varchar':
    case 'bpchar':
      return fitString(t, text, false);
    case 'bytea':
      return parseBytea(text);
    case 'uuid':
      return parseUuid(text);
    case 'date':
      return parseDate(text);
    case 'timestamp':
      return roundTimestamp(parseTimestamp(text), t.typmod);
    case 'timestamptz':
      return roundTimestamp(parseTimestamptz(text, io.zone), t.typmod);
    case 'json':
      parseJson(text);
      return text;
    case 'jsonb':
      return normalizeJsonb(text);
    case 'interval':
      return parseInterval(text);
    case 'time':
      return roundTime(parseTime(text), t.typmod);
  }
  throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `input of type ${TYPE_INFO[t.id].pgName}`);
}

/**
 * fitString applies varchar(n) / char(n): too long is 22001 unless the excess is spaces (or `explicit`, a
 * cast, which truncates); char(n) pads with spaces. Lengths count characters, not bytes.
 */
export function fitString(t: SqlType, s: string, explicit: boolean): string {
  if (t.typmod < 4) return t.id === 'bpchar' && t.typmod === -1 ? s : s;
  const n = t.typmod - 4;
  const chars = [...s];
  if (chars.length > n) {
    if (!explicit && chars.slice(n).some((c) => c !== ' '))
      throw new SqlError(
        SqlState.STRING_DATA_RIGHT_TRUNCATION,
        `value too long for type ${t.id === 'varchar' ? 'character varying' : 'character'}(${n})`,
      );
    return chars.slice(0, n).join('');
  }
  if (t.id === 'bpchar' && chars.length < n) return s + ' '.repeat(n - chars.length);
  return s;
}

function parseBool(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (s.length > 0) {
    if ('true'.startsWith(s) || 'yes'.startsWith(s) || s === 'on' || s === '1') return true;
    if ('false'.startsWith(s) || 'no'.startsWith(s) || s === 'off' || s === 'of' || s === '0') {
      if (s !== 'o') return false;
    }
  }
  throw invalid('bool', text);
}

function parseFloatText(type: 'float4' | 'float8', text: string): number {
  const s = text.trim().toLowerCase();
  let v: number;
  if (s === 'nan') v = NaN;
  else if (s === 'infinity' || s === '+infinity' || s === 'inf' || s === '+inf') v = Infinity;
  else if (s === '-infinity' || s === '-inf') v = -Infinity;
  else {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw invalid(type, text);
    v = Number(s);
    const fv = type === 'float4' ? Math.fround(v) : v;
    if (!Number.isFinite(fv) || (fv === 0 && /[1-9]/.test(s.split('e')[0]!)))
      throw new SqlError(
        SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
        `"${text.trim()}" is out of range for type ${TYPE_INFO[type].pgName}`,
      );
  }
  return type === 'float4' ? Math.fround(v) : v;
}

function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2).replace(/\s+/g, '');
    const bad = /[^0-9a-fA-F]/.exec(hex);
    if (bad !== null)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid hexadecimal digit: "${bad[0]}"`);
    if (hex.length % 2 !== 0)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'invalid hexadecimal data: odd number of digits');
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  // Escape format: \\ is a backslash, \ooo an octal byte, anything else as UTF-8.
  const out: number[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x5c) {
      out.push(b);
      continue;
    }
    if (bytes[i + 1] === 0x5c) {
      out.push(0x5c);
      i++;
    } else {
      const oct = bytes.subarray(i + 1, i + 4).toString();
      if (!/^[0-3][0-7]{2}$/.test(oct))
        throw new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type bytea');
      out.push(parseInt(oct, 8));
      i += 3;
    }
  }
  return Uint8Array.from(out);
}

/** formatValue writes a non-null value of type t as PostgreSQL's text output in a session's settings. */
export function formatValue(t: SqlType, v: Exclude<Value, null>, io: IoSettings): string {
  if (t.id === 'int2vector') return (v as readonly Value[]).join(' ');
  if (t.id === 'record') return formatRecord(v as RecordValue, (ft, x) => formatValue(ft, x, io));
  const elem = arrayElement(t.id);
  if (elem !== undefined) {
    const et: SqlType = { id: elem, typmod: t.typmod };
    return formatArray(v as readonly Value[], (x) =>
      elem === 'bool' ? (x ? 't' : 'f') : formatValue(et, x, io),
    );
  }
  switch (t.id) {
    case 'bool':
      return v ? 't' : 'f';
    case 'float4':
      return formatFloat4(v as number);
    case 'float8':
      return formatFloat8(v as number);
    case 'bytea':
      return '\\x' + Buffer.from(v as Uint8Array).toString('hex');
    case 'date':
      return formatDate(v as number);
    case 'timestamp':
      return formatTimestamp(v as bigint);
    case 'timestamptz':
      return formatTimestamp(v as bigint, io.zone);
    case 'interval':
      return formatIntervalStyled(v as string, io.intervalStyle);
    case 'time':
      return formatTime(v as number);
    default:
      return String(v);
  }
}

/** parseBinary reads a parameter sent in binary format (code 1). */
export function parseBinary(t: SqlType, b: Uint8Array): Value {
  // Only text-like types read their bytes as text here, and no setting changes how those read.
  const io = DEFAULT_IO;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (n: number): void => {
    // As PostgreSQL's recv functions: too few bytes is a malformed message, too many a bad value.
    if (b.length < n) throw new SqlError(SqlState.PROTOCOL_VIOLATION, 'insufficient data left in message');
    if (b.length !== n)
      throw new SqlError(
        SqlState.INVALID_BINARY_REPRESENTATION,
        `incorrect binary data format in bind parameter`,
      );
  };
  if (t.id === 'record') throw anonymousRecordInput();
  switch (t.id) {
    case 'bool':
      need(1);
      return b[0] !== 0;
    case 'int2':
      need(2);
      return view.getInt16(0);
    case 'int4':
      need(4);
      return view.getInt32(0);
    case 'oid':
    case 'regclass':
      need(4);
      return view.getUint32(0);
    case 'int8':
      need(8);
      return view.getBigInt64(0);
    case 'float4':
      need(4);
      return view.getFloat32(0);
    case 'float8':
      need(8);
      return view.getFloat64(0);
    case 'bytea':
      return Uint8Array.from(b);
    case 'uuid':
      need(16);
      return uuidFromBytes(b);
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'unknown':
    case 'json':
    case 'numeric':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      if (
        t.id === 'text' ||
        t.id === 'varchar' ||
        t.id === 'bpchar' ||
        t.id === 'name' ||
        t.id === 'unknown' ||
        t.id === 'json'
      )
        return parseValue(t, Buffer.from(b).toString('utf8'), io);
      break;
    case 'time':
      need(8);
      return Number(view.getBigInt64(0));
    case 'interval':
      need(16);
      return encodeInterval({
        micros: view.getBigInt64(0),
        days: view.getInt32(8),
        months: view.getInt32(12),
      });
    case 'jsonb':
      if (b[0] === 1) return parseValue(t, Buffer.from(b.subarray(1)).toString('utf8'), io);
      break;
  }
  throw new SqlError(
    SqlState.FEATURE_NOT_SUPPORTED,
    `binary format for type ${TYPE_INFO[t.id].pgName} is not supported`,
  );
}

/** formatBinary writes a non-null value in binary result format (the types clients ask binary for). */
export function formatBinary(t: SqlType, v: Exclude<Value, null>): Uint8Array {
  switch (t.id) {
    case 'bool':
      return Uint8Array.of(v ? 1 : 0);
    case 'int2': {
      const b = Buffer.alloc(2);
      b.writeInt16BE(v as number);
      return b;
    }
    case 'int4': {
      const b = Buffer.alloc(4);
      b.writeInt32BE(v as number);
      return b;
    }
    case 'oid':
    case 'regclass': {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v as number);
      return b;
    }
    case 'int8': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(v as bigint);
      return b;
    }
    case 'float4': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(v as number);
      return b;
    }
    case 'float8': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v as number);
      return b;
    }
    case 'bytea':
      return v as Uint8Array;
    case 'uuid': {
      const b = Buffer.alloc(16);
      uuidToBytes(v as string, b, 0);
      return b;
    }
    case 'record':
      return recordBinary(v as RecordValue, formatBinary);
    case 'void':
      return new Uint8Array(0);
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'unknown':
    case 'json':
      return Buffer.from(v as string, 'utf8');
    case 'jsonb':
      return Buffer.concat([Uint8Array.of(1), Buffer.from(v as string, 'utf8')]);
    case 'time': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(v as number));
      return b;
    }
    case 'interval': {
      const i = decodeInterval(v as string);
      const b = Buffer.alloc(16);
      b.writeBigInt64BE(i.micros);
      b.writeInt32BE(i.days, 8);
      b.writeInt32BE(i.months, 12);
      return b;
    }
    default:
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `binary format for type ${TYPE_INFO[t.id].pgName} is not supported`,
      );
  }
}
