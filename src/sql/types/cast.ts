/**
 * Casts between types, explicit (CAST, ::) and by assignment (a value stored into a column). Errors are
 * PostgreSQL's: 22P02 for text that does not parse, 22003 out of range, 42846 for a cast that does not exist.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { formatValue, parseValue, fitString, checkInt, checkInt8 } from './text-io.js';
import { applyNumericTypmod, parseNumeric, rescale, toDecimal } from './numeric.js';
import {
  DATE_NEG_INFINITY,
  DATE_POS_INFINITY,
  isInfiniteDate,
  isInfiniteTimestamp,
  MICROS_PER_DAY,
  roundTimestamp,
  TS_NEG_INFINITY,
  TS_POS_INFINITY,
} from './datetime.js';
import { roundTime } from './time.js';
import type { IoSettings } from './io-settings.js';
import { instantOf, localOf } from './time-zone.js';
import { TYPE_INFO, arrayElement, isInteger, isStringType, type SqlType, type Value } from './sql-type.js';
import { normalizeJsonb } from './jsonb.js';

/** roundHalfEven is rint(): how PostgreSQL turns a float into an integer. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function cannotCast(from: SqlType, to: SqlType): SqlError {
  return new SqlError('42846', `cannot cast type ${TYPE_INFO[from.id].pgName} to ${TYPE_INFO[to.id].pgName}`);
}

/**
 * castValue converts v from one type to another. `io` is the session's: casts to and from text, and
 * between timestamptz and the zoneless date/time types, go through its time zone as PostgreSQL's do.
 */
export function castValue(v: Value, from: SqlType, to: SqlType, explicit: boolean, io: IoSettings): Value {
  if (v === null) return null;
  const f = from.id;
  const t = to.id;
  const fe = arrayElement(f);
  const te = arrayElement(t);
  if (fe !== undefined && te !== undefined) {
    // PostgreSQL keeps an int2vector's lower bound 0 in the array ([0:1]={2,1}); shale's arrays start at 1.
    if (f === 'int2vector' && t !== 'int2vector' && (v as readonly Value[]).length > 0)
      throw notSupported('arrays with a lower bound other than 1 (int2vector to array)');
    const ef: SqlType = { id: fe, typmod: from.typmod };
    const et: SqlType = { id: te, typmod: to.typmod };
    return (v as readonly Value[]).map((x) => castValue(x, ef, et, explicit, io));
  }
  if ((fe !== undefined && !isStringType(t)) || (te !== undefined && !isStringType(f)))
    throw cannotCast(from, to);
  if (f === t) {
    if (t === 'varchar' || t === 'bpchar') return fitString(to, v as string, explicit);
    if (t === 'numeric') return applyNumericTypmod(v as string, to.typmod);
    if (t === 'timestamp' || t === 'timestamptz') return roundTimestamp(v as bigint, to.typmod);
    if (t === 'time') return roundTime(v as number, to.typmod);
    return v;
  }
  if (isStringType(f) && f !== 'unknown' && isStringType(t)) {
    const s = f === 'bpchar' ? (v as string).replace(/ +$/, '') : (v as string);
    return t === 'varchar' || t === 'bpchar' ? fitString(to, s, explicit) : s;
  }
  if (f === 'unknown' || (isStringType(f) && explicit) || (f === 'json' && t === 'jsonb')) {
    return parseValue(to, v as string, io);
  }
  if (isStringType(t)) {
    const s = f === 'bool' ? (v ? 'true' : 'false') : formatValue(from, v as Exclude<Value, null>, io);
    return t === 'varchar' || t === 'bpchar' ? fitString(to, s, explicit) : s;
  }
  if (isInteger(t)) {
    let n: number | bigint;
    if (isInteger(f)) n = v as number | bigint;
    else if (f === 'float4' || f === 'float8') {
      const x = v as number;
      if (!Number.isFinite(x)) throw outOfRangeFor(t);
      n = roundHalfEven(x);
    } else if (f === 'numeric') {
      if (v === 'NaN')
        throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `cannot convert NaN to ${TYPE_INFO[t].pgName}`);
      n = rescale(toDecimal(v as string), 0).int;
    } else if (f === 'bool' && explicit && t === 'int4') n = v ? 1 : 0;
    else throw cannotCast(from, to);
    if (t === 'int8') return checkInt8(BigInt(n));
    if (typeof n === 'bigint') {
      if (n > 2147483647n || n < -2147483648n) throw outOfRangeFor(t);
      n = Number(n);
    }
    return checkInt(t, n);
  }
  if (t === 'float4' || t === 'float8') {
    let x: number;
    if (isInteger(f) || f === 'float4' || f === 'float8') x = Number(v);
    else if (f === 'numeric') x = Number(v);
    else throw cannotCast(from, to);
    if (t === 'float4') {
      const r = Math.fround(x);
      if (!Number.isFinite(r) && Number.isFinite(x))
        throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
      return r;
    }
    return x;
  }
  if (t === 'numeric') {
    let s: string;
    if (isInteger(f)) s = String(v);
    else if (f === 'float4' || f === 'float8') {
      const x = v as number;
      if (Number.isNaN(x)) s = 'NaN';
      else if (!Number.isFinite(x))
        throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'cannot convert infinity to numeric');
      else s = parseNumeric(printfG(x, f === 'float4' ? 6 : 15));
    } else throw cannotCast(from, to);
    return applyNumericTypmod(s, to.typmod);
  }
  if (t === 'bool') {
    if (f === 'int4' && explicit) return v !== 0;
    throw cannotCast(from, to);
  }
  if (t === 'date') {
    if (f === 'timestamp' || f === 'timestamptz') {
      const us = f === 'timestamptz' ? localOf(io.zone, v as bigint) : (v as bigint);
      if (isInfiniteTimestamp(us)) return us > 0n ? DATE_POS_INFINITY : DATE_NEG_INFINITY;
      const d = us / MICROS_PER_DAY;
      return Number(us % MICROS_PER_DAY < 0n ? d - 1n : d);
    }
    throw cannotCast(from, to);
  }
  if (t === 'timestamp' || t === 'timestamptz') {
    if (f === 'date') {
      const d = v as number;
      if (isInfiniteDate(d)) return d > 0 ? TS_POS_INFINITY : TS_NEG_INFINITY;
      const midnight = BigInt(d) * MICROS_PER_DAY;
      return t === 'timestamptz' ? instantOf(io.zone, midnight) : midnight;
    }
    // A timestamp is wall-clock time in the session's zone; rounding applies to that reading.
    if (f === 'timestamp') return instantOf(io.zone, roundTimestamp(v as bigint, to.typmod));
    if (f === 'timestamptz') return roundTimestamp(localOf(io.zone, v as bigint), to.typmod);
    throw cannotCast(from, to);
  }
  if (t === 'time' && (f === 'timestamp' || f === 'timestamptz')) {
    if (isInfiniteTimestamp(v as bigint)) throw notSupported('casting an infinite timestamp to time');
    const local = f === 'timestamptz' ? localOf(io.zone, v as bigint) : (v as bigint);
    const us = Number(((local % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY);
    return roundTime(us, to.typmod);
  }
  if (t === 'jsonb' && f === 'json') return normalizeJsonb(v as string);
  if (t === 'json' && f === 'jsonb') return v;
  throw cannotCast(from, to);
}

function outOfRangeFor(t: SqlType['id']): SqlError {
  return new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `${TYPE_INFO[t].pgName} out of range`);
}

/**
 * printfG is C's %.*g, as PostgreSQL's float8_numeric and float4_numeric print a float before reading it as
 * numeric (DBL_DIG = 15, FLT_DIG = 6 significant digits, trailing zeros dropped): 1e100 becomes exactly
 * 10^100, not the binary double's expansion.
 */
function printfG(x: number, digits: number): string {
  const p = x.toPrecision(digits);
  const [mantissa, exponent] = p.split('e') as [string, string | undefined];
  const m = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return exponent === undefined ? m : `${m}e${exponent}`;
}
