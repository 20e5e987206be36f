/**
 * Scalar functions: the string, math, date and system functions applications use, with PostgreSQL's
 * argument types, NULL handling (strict: any NULL argument gives NULL unless noted) and errors.
 */
import { timezoneDef } from './time-zones.js';
import { JSONB_EDIT_FUNCTIONS } from './jsonb-edit.js';
import { owePause } from './pause.js';
import { notSupported, SqlError, SqlState } from '../errors.js';
import { castValue } from '../types/cast.js';
import {
  civilFromDays,
  daysFromCivil,
  isInfiniteDate,
  isInfiniteTimestamp,
  MICROS_PER_DAY,
} from '../types/datetime.js';
import { formatDecimal, rescale, toDecimal } from '../types/numeric.js';
import { numericExp, numericLn, numericLog, numericPower, numericSqrt } from '../types/numeric-math.js';
import { cbrt, floatPower } from '../types/float-math.js';
import {
  TYPE_INFO,
  isInteger,
  isNumericType,
  isStringType,
  sqlType,
  type SqlType,
  type TypeId,
  type Value,
} from '../types/sql-type.js';
import { formatValue } from '../types/text-io.js';
import { coerce, isUntyped } from './coerce.js';
import type { Analyzer, Compiled, ExecContext } from './context.js';
import type { Expr } from '../ast.js';
import { createHash } from 'node:crypto';
import { CATALOG_FUNCTIONS } from './catalog-functions.js';
import { ARRAY_FUNCTIONS } from './array-functions.js';
import { REGEX_FUNCTIONS } from './regex.js';
import { JSON_FUNCTIONS } from './json-ops.js';
import { DATETIME_FUNCTIONS } from './datetime-arith.js';
import { MATH_FUNCTIONS } from './math-functions.js';
import { TO_CHAR_FUNCTIONS } from './to-char.js';
import { JSON_BUILD_FUNCTIONS } from './json-build.js';
import { intervalPart } from '../types/interval.js';
import { regexSubstringDef, STRING_FUNCTIONS } from './string-functions.js';
import { DEFAULT_IO, type IoSettings } from '../types/io-settings.js';
import { localOf, offsetOf, type TimeZone } from '../types/time-zone.js';
import { zoneNamed } from '../types/zone-names.js';
import { timestamptzTrunc } from '../types/zoned-arith.js';
import { randomUuid } from '../types/uuid.js';

const T = (id: TypeId): SqlType => sqlType(id);
/** Impl computes a function's value from its (converted) arguments. */
export type Impl = (args: Value[], ex: ExecContext) => Value;

/** Resolved is a function's signature chosen for the argument types, and its implementation. */
export interface Resolved {
  readonly args: readonly SqlType[];
  readonly result: SqlType;
  readonly impl: Impl;
  /** strict: NULL in, NULL out without calling impl (default true). */
  readonly strict?: boolean;
  readonly volatile?: boolean;
}

/** A function definition picks its signature from the argument types (undefined: no match). */
export type FunctionDef = (types: readonly SqlType[]) => Resolved | undefined;

const chars = (s: string): string[] => [...s];

/** shaFn: sha224 ... sha512 of bytea (an untyped literal reads as bytea), as bytea. */
function shaFn(algorithm: string): FunctionDef {
  return (types) =>
    types.length === 1 && (types[0]!.id === 'bytea' || types[0]!.id === 'unknown')
      ? {
          args: [T('bytea')],
          result: T('bytea'),
          impl: ([b]) =>
            new Uint8Array(
              createHash(algorithm)
                .update(b as Uint8Array)
                .digest(),
            ),
        }
      : undefined;
}
const str = (v: Value): string => v as string;

function textFn(
  arity: number | readonly number[],
  result: TypeId,
  impl: Impl,
  argTypes?: readonly TypeId[],
): FunctionDef {
  const ar = typeof arity === 'number' ? [arity] : arity;
  return (types) => {
    if (!ar.includes(types.length)) return undefined;
    const args = types.map((_, i) => T(argTypes?.[i] ?? 'text'));
    return { args, result: T(result), impl };
  };
}

function numberKind(t: SqlType): TypeId {
  if (isInteger(t.id) || t.id === 'unknown') return t.id === 'unknown' ? 'float8' : t.id;
  return t.id;
}

/** mathFn: one numeric argument, same-kind result (float8 for floats, numeric for numeric). */
function mathFn(f: (x: number) => number, numeric?: (x: string) => string, intToo = false): FunctionDef {
  return (types) => {
    if (types.length !== 1) return undefined;
    const k = numberKind(types[0]!);
    if (k === 'numeric' && numeric !== undefined)
      return {
        args: [T('numeric')],
        result: T('numeric'),
        impl: ([x]) => (x === 'NaN' ? 'NaN' : numeric(x as string)),
      };
    if (intToo && isInteger(k))
      return {
        args: [T(k)],
        result: T(k),
        impl: ([x]) => (typeof x === 'bigint' ? (x < 0n ? -x : x) : f(x as number)),
      };
    if (!isNumericType(k) && types[0]!.id !== 'unknown') return undefined;
    return { args: [T('float8')], result: T('float8'), impl: ([x]) => f(x as number) };
  };
}

function roundNumeric(x: string, scale: number, mode: 'round' | 'trunc' | 'floor' | 'ceil'): string {
  const d = toDecimal(x);
  if (scale >= d.scale && mode !== 'floor' && mode !== 'ceil')
    return formatDecimal(rescale(d, Math.max(scale, 0)));
  if (mode === 'round') {
    if (scale >= 0) return formatDecimal(rescale(d, scale));
    const r = rescale(rescale(d, 0), 0);
    const div = 10n ** BigInt(-scale);
    const q = r.int / div;
    const rem = r.int % div;
    const twice = (rem < 0n ? -rem : rem) * 2n;
    return formatDecimal({ int: (twice >= div ? q + (r.int < 0n ? -1n : 1n) : q) * div, scale: 0 });
  }
  const s = Math.max(scale, 0);
  const div = 10n ** BigInt(d.scale - s);
  let q = d.int / div;
  const rem = d.int % div;
  if (mode === 'floor' && rem < 0n) q -= 1n;
  if (mode === 'ceil' && rem > 0n) q += 1n;
  return formatDecimal({ int: q, scale: s });
}

const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function roundingFn(mode: 'round' | 'trunc'): FunctionDef {
  return (types) => {
    if (types.length === 0 || types.length > 2) return undefined;
    const k = numberKind(types[0]!);
    if (types.length === 2 || k === 'numeric' || isInteger(k)) {
      if (!isNumericType(k)) return undefined;
      return {
        args: types.length === 2 ? [T('numeric'), T('int4')] : [T('numeric')],
        result: T('numeric'),
        impl: ([x, s]) =>
          x === 'NaN' ? 'NaN' : roundNumeric(x as string, (s as number | undefined) ?? 0, mode),
      };
    }
    return {
      args: [T('float8')],
      result: T('float8'),
      impl: ([x]) => (mode === 'round' ? roundHalfEven(x as number) : Math.trunc(x as number)),
    };
  };
}

function floorCeil(mode: 'floor' | 'ceil'): FunctionDef {
  return (types) => {
    if (types.length !== 1) return undefined;
    const k = numberKind(types[0]!);
    if (k === 'numeric' || isInteger(k))
      return {
        args: [T('numeric')],
        result: T('numeric'),
        impl: ([x]) => (x === 'NaN' ? 'NaN' : roundNumeric(x as string, 0, mode)),
      };
    if (!isNumericType(k)) return undefined;
    return {
      args: [T('float8')],
      result: T('float8'),
      impl: ([x]) => (mode === 'floor' ? Math.floor(x as number) : Math.ceil(x as number)),
    };
  };
}

function pad(left: boolean): Impl {
  return ([s, n, fill]) => {
    const len = n as number;
    const f = chars(fill === undefined ? ' ' : str(fill));
    const c = chars(str(s));
    if (len <= 0) return '';
    if (c.length >= len) return c.slice(0, len).join('');
    if (f.length === 0) return c.join('');
    const padding: string[] = [];
    while (padding.length < len - c.length) padding.push(f[padding.length % f.length]!);
    return left ? padding.join('') + c.join('') : c.join('') + padding.join('');
  };
}

function trimChars(s: string, set: string, left: boolean, right: boolean): string {
  const cs = new Set(chars(set));
  const c = chars(s);
  let a = 0;
  let b = c.length;
  if (left) while (a < b && cs.has(c[a]!)) a++;
  if (right) while (b > a && cs.has(c[b - 1]!)) b--;
  return c.slice(a, b).join('');
}

const FIELD_NAMES = new Set([
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'epoch',
  'dow',
  'doy',
  'quarter',
  'week',
  'millisecond',
  'microsecond',
  'decade',
  'century',
  'isodow',
  'isoyear',
  'millennium',
  'milliseconds',
  'microseconds',
  'timezone',
  'timezone_hour',
  'timezone_minute',
]);

/** datePart is extract/date_part; a timestamptz's fields are those of its wall-clock time in `zone`. */
function datePart(
  field: string,
  t: SqlType,
  v: Value,
  zone: TimeZone,
): { value: number; fractional: boolean } {
  const f = field.toLowerCase();
  if (!FIELD_NAMES.has(f))
    throw new SqlError(
      SqlState.INVALID_PARAMETER_VALUE,
      `unit "${field}" not recognized for type ${TYPE_INFO[t.id].pgName}`,
    );
  if (t.id === 'date' ? isInfiniteDate(v as number) : isInfiniteTimestamp(v as bigint))
    throw notSupported(`${field} of an infinite ${TYPE_INFO[t.id].pgName}`);
  if (f.startsWith('timezone')) {
    if (t.id !== 'timestamptz') throw notSupported(`unit "${field}" for type ${TYPE_INFO[t.id].pgName}`);
    const off = offsetOf(zone, v as bigint);
    const value =
      f === 'timezone' ? off : f === 'timezone_hour' ? Math.trunc(off / 3600) : Math.trunc(off / 60) % 60;
    return { value: value || 0, fractional: false };
  }
  const us =
    t.id === 'date'
      ? BigInt(v as number) * MICROS_PER_DAY
      : t.id === 'timestamptz' && f !== 'epoch'
        ? localOf(zone, v as bigint)
        : (v as bigint);
  let days = Number(us / MICROS_PER_DAY);
  let rest = Number(us % MICROS_PER_DAY);
  if (rest < 0) {
    rest += 86_400_000_000;
    days -= 1;
  }
  const [y, m, d] = civilFromDays(days);
  if (
    t.id === 'date' &&
    ['hour', 'minute', 'second', 'millisecond', 'microsecond', 'milliseconds', 'microseconds'].includes(f)
  )
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unit "${field}" not supported for type date`);
  switch (f) {
    case 'year':
      return { value: y > 0 ? y : y - 1, fractional: false };
    case 'month':
      return { value: m, fractional: false };
    case 'day':
      return { value: d, fractional: false };
    case 'hour':
      return { value: Math.floor(rest / 3_600_000_000), fractional: false };
    case 'minute':
      return { value: Math.floor(rest / 60_000_000) % 60, fractional: false };
    case 'second':
      return { value: (rest % 60_000_000) / 1e6, fractional: true };
    case 'millisecond':
    case 'milliseconds':
      return { value: (rest % 60_000_000) / 1e3, fractional: true };
    case 'microsecond':
    case 'microseconds':
      return { value: rest % 60_000_000, fractional: false };
    case 'epoch':
      return { value: Number(us) / 1e6, fractional: true };
    case 'dow':
      return { value: (((days + 4) % 7) + 7) % 7, fractional: false };
    case 'isodow': {
      const w = (((days + 4) % 7) + 7) % 7;
      return { value: w === 0 ? 7 : w, fractional: false };
    }
    case 'doy':
      return { value: days - daysFromCivil(y, 1, 1) + 1, fractional: false };
    case 'quarter':
      return { value: Math.floor((m - 1) / 3) + 1, fractional: false };
    case 'decade':
      return { value: Math.floor(y / 10), fractional: false };
    case 'century':
      return {
        value: y > 0 ? Math.floor((y - 1) / 100) + 1 : -(Math.floor(-y / 100) + 1),
        fractional: false,
      };
    case 'isoyear': {
      const dow = (((days + 3) % 7) + 7) % 7; // Monday = 0
      const [iy] = civilFromDays(days - dow + 3);
      return { value: iy > 0 ? iy : iy - 1, fractional: false };
    }
    case 'millennium':
      return {
        value: y > 0 ? Math.floor((y - 1) / 1000) + 1 : -(Math.floor(-y / 1000) + 1),
        fractional: false,
      };
    case 'week': {
      // ISO week number.
      const dow = (((days + 3) % 7) + 7) % 7; // Monday = 0
      const thursday = days - dow + 3;
      const [ty] = civilFromDays(thursday);
      return { value: Math.floor((thursday - daysFromCivil(ty, 1, 1)) / 7) + 1, fractional: false };
    }
    default:
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unit "${field}" not recognized`);
  }
}

function extractFn(asNumeric: boolean): FunctionDef {
  return (types) => {
    if (types.length !== 2) return undefined;
    const t = types[1]!.id === 'unknown' ? T('timestamptz') : types[1]!;
    if (t.id === 'interval') return intervalExtract(asNumeric);
    if (t.id === 'time') {
      // A time extracts like a timestamp on 1970-01-01, for the fields a time has.
      const inner = extractFn(asNumeric)([types[0]!, T('timestamp')])!;
      const fields = [
        'hour',
        'minute',
        'second',
        'millisecond',
        'milliseconds',
        'microsecond',
        'microseconds',
        'epoch',
      ];
      return {
        args: [T('text'), t],
        result: inner.result,
        impl: ([field, v], ex) => {
          if (!fields.includes((field as string).toLowerCase()))
            throw new SqlError(
              FIELD_NAMES.has((field as string).toLowerCase())
                ? SqlState.FEATURE_NOT_SUPPORTED
                : SqlState.INVALID_PARAMETER_VALUE,
              `unit "${field as string}" ${FIELD_NAMES.has((field as string).toLowerCase()) ? 'not supported' : 'not recognized'} for type time without time zone`,
            );
          return inner.impl([field!, BigInt(v as number)], ex);
        },
      };
    }
    if (t.id !== 'date' && t.id !== 'timestamp' && t.id !== 'timestamptz') return undefined;
    return {
      args: [T('text'), t],
      result: T(asNumeric ? 'numeric' : 'float8'),
      impl: ([field, v], ex) => {
        const p = datePart(field as string, t, v, ex.runtime.io.zone);
        if (!asNumeric) return p.value;
        if (t.id === 'date') return String(p.value);
        // milliseconds are numeric with 3 places (1500.000), seconds and epochs with 6.
        if (/^milliseconds?$/i.test(field as string))
          return formatDecimal({ int: BigInt(Math.round((p.value as number) * 1e3)), scale: 3 });
        if (f6(field as string))
          return formatDecimal(rescale(toDecimal(Math.round(p.value * 1e6)), 0)).replace(
            /^(-?)(\d*?)(\d{0,6})$/,
            (_m, s, a, b) => `${s}${a || '0'}.${b.padStart(6, '0')}`,
          );
        return String(p.value);
      },
    };
  };
}

function intervalExtract(asNumeric: boolean): Resolved {
  return {
    args: [T('text'), T('interval')],
    result: T(asNumeric ? 'numeric' : 'float8'),
    impl: ([field, v]) => {
      const p = intervalPart((field as string).toLowerCase(), v as string);
      if (p === undefined)
        throw new SqlError(
          FIELD_NAMES.has((field as string).toLowerCase())
            ? SqlState.FEATURE_NOT_SUPPORTED
            : SqlState.INVALID_PARAMETER_VALUE,
          `unit "${field as string}" ${FIELD_NAMES.has((field as string).toLowerCase()) ? 'not supported' : 'not recognized'} for type interval`,
        );
      if (p.micros === undefined) return asNumeric ? String(p.value) : p.value;
      const scale = p.scale ?? 6;
      if (!asNumeric) return Number(p.micros) / 10 ** scale;
      return formatDecimal({ int: p.micros, scale });
    },
  };
}

function f6(field: string): boolean {
  const f = field.toLowerCase();
  return f === 'second' || f === 'epoch' || f === 'millisecond' || f === 'milliseconds';
}

const DATE_TRUNC_UNITS = [
  'microseconds',
  'milliseconds',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
  'decade',
  'century',
  'millennium',
];

const FUNCTIONS: Record<string, FunctionDef> = {
  lower: textFn(1, 'text', ([s]) => mapChars(str(s), (c) => c.toLowerCase())),
  upper: textFn(1, 'text', ([s]) => mapChars(str(s), (c) => c.toUpperCase())),
  length: (types) =>
    types.length !== 1
      ? undefined
      : types[0]!.id === 'bytea'
        ? { args: [T('bytea')], result: T('int4'), impl: ([b]) => (b as Uint8Array).length }
        : { args: [T('text')], result: T('int4'), impl: ([s]) => chars(str(s)).length },
  char_length: textFn(1, 'int4', ([s]) => chars(str(s)).length),
  character_length: textFn(1, 'int4', ([s]) => chars(str(s)).length),
  octet_length: (types) =>
    types.length !== 1
      ? undefined
      : types[0]!.id === 'bytea'
        ? { args: [T('bytea')], result: T('int4'), impl: ([b]) => (b as Uint8Array).length }
        : types[0]!.id === 'bpchar'
          ? { args: [types[0]!], result: T('int4'), impl: ([s]) => Buffer.byteLength(str(s)) }
          : { args: [T('text')], result: T('int4'), impl: ([s]) => Buffer.byteLength(str(s)) },
  substring: (types) =>
    regexSubstringDef(types) ??
    textFn(
      [2, 3],
      'text',
      ([s, from, count]) => substring(str(s), from as number, count as number | undefined),
      ['text', 'int4', 'int4'],
    )(types),
  substr: textFn(
    [2, 3],
    'text',
    ([s, from, count]) => substring(str(s), from as number, count as number | undefined),
    ['text', 'int4', 'int4'],
  ),
  // position(b IN a) arrives as position(a, b), as in PostgreSQL's grammar.
  position: textFn(2, 'int4', ([s, sub]) => position(str(s), str(sub))),
  strpos: textFn(2, 'int4', ([s, sub]) => position(str(s), str(sub))),
  btrim: textFn([1, 2], 'text', ([s, set]) =>
    trimChars(str(s), set === undefined ? ' ' : str(set), true, true),
  ),
  ltrim: textFn([1, 2], 'text', ([s, set]) =>
    trimChars(str(s), set === undefined ? ' ' : str(set), true, false),
  ),
  rtrim: textFn([1, 2], 'text', ([s, set]) =>
    trimChars(str(s), set === undefined ? ' ' : str(set), false, true),
  ),
  replace: textFn(3, 'text', ([s, from, to]) =>
    str(from) === '' ? str(s) : str(s).split(str(from)).join(str(to)),
  ),
  left: textFn(
    2,
    'text',
    ([s, n]) => {
      const c = chars(str(s));
      const k = n as number;
      return (k >= 0 ? c.slice(0, k) : c.slice(0, Math.max(0, c.length + k))).join('');
    },
    ['text', 'int4'],
  ),
  right: textFn(
    2,
    'text',
    ([s, n]) => {
      const c = chars(str(s));
      const k = n as number;
      return (k >= 0 ? c.slice(Math.max(0, c.length - k)) : c.slice(-k)).join('');
    },
    ['text', 'int4'],
  ),
  repeat: textFn(2, 'text', ([s, n]) => str(s).repeat(Math.max(0, n as number)), ['text', 'int4']),
  reverse: textFn(1, 'text', ([s]) => chars(str(s)).reverse().join('')),
  lpad: textFn([2, 3], 'text', pad(true), ['text', 'int4', 'text']),
  rpad: textFn([2, 3], 'text', pad(false), ['text', 'int4', 'text']),
  initcap: textFn(1, 'text', ([s]) => {
    let out = '';
    let inWord = false;
    for (const c of str(s)) {
      out += inWord ? mapChars(c, (x) => x.toLowerCase()) : mapChars(c, (x) => x.toUpperCase());
      inWord = /[\p{L}\p{N}]/u.test(c);
    }
    return out;
  }),
  md5: (types) =>
    types.length !== 1
      ? undefined
      : {
          args: [types[0]!.id === 'bytea' ? T('bytea') : T('text')],
          result: T('text'),
          impl: ([s]) =>
            createHash('md5')
              .update(typeof s === 'string' ? Buffer.from(s, 'utf8') : (s as Uint8Array))
              .digest('hex'),
        },
  sha224: shaFn('sha224'),
  sha256: shaFn('sha256'),
  sha384: shaFn('sha384'),
  sha512: shaFn('sha512'),
  encode: (types) =>
    types.length === 2
      ? {
          args: [T('bytea'), T('text')],
          result: T('text'),
          impl: ([b, f]) => encodeBytes(b as Uint8Array, str(f)),
        }
      : undefined,
  decode: (types) =>
    types.length === 2
      ? { args: [T('text'), T('text')], result: T('bytea'), impl: ([s, f]) => decodeBytes(str(s), str(f)) }
      : undefined,
  current_setting: (types) =>
    types.length === 1 || types.length === 2
      ? {
          args: types.length === 1 ? [T('text')] : [T('text'), T('bool')],
          result: T('text'),
          impl: ([name, missingOk], ex) => {
            try {
              return ex.runtime.setting(str(name));
            } catch (err) {
              if (missingOk === true) return null;
              throw err;
            }
          },
        }
      : undefined,
  pg_get_serial_sequence: (types) =>
    types.length === 2
      ? {
          args: [T('text'), T('text')],
          result: T('text'),
          impl: ([t, c], ex) => ex.runtime.serialSequence(str(t), str(c)),
        }
      : undefined,
  setval: (types) =>
    types.length === 2 || types.length === 3
      ? {
          args: types.length === 2 ? [T('text'), T('int8')] : [T('text'), T('int8'), T('bool')],
          result: T('int8'),
          impl: ([name, v, called], ex) =>
            ex.runtime.setval(str(name), v as bigint, called === undefined ? true : (called as boolean)),
          volatile: true,
        }
      : undefined,
  lastval: (types) =>
    types.length === 0
      ? { args: [], result: T('int8'), impl: (_a, ex) => ex.runtime.lastval(), volatile: true }
      : undefined,
  ascii: textFn(1, 'int4', ([s]) => str(s).codePointAt(0) ?? 0),
  split_part: textFn(
    3,
    'text',
    ([s, d, n]) => {
      const k = n as number;
      if (k === 0) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'field position must not be zero');
      const parts = str(d) === '' ? [str(s)] : str(s).split(str(d));
      const i = k > 0 ? k - 1 : parts.length + k;
      return parts[i] ?? '';
    },
    ['text', 'text', 'int4'],
  ),
  starts_with: textFn(2, 'bool', ([s, p]) => str(s).startsWith(str(p))),
  concat: (types) => ({
    args: types.map((t) => (isUntyped0(t) ? T('text') : t)),
    result: T('text'),
    strict: false,
    impl: (vs, ex) => vs.map((v, i) => (v === null ? '' : asText(types[i]!, v, ex.runtime.io))).join(''),
  }),
  concat_ws: (types) =>
    types.length < 1
      ? undefined
      : {
          args: types.map((t, i) => (i === 0 || isUntyped0(t) ? T('text') : t)),
          result: T('text'),
          strict: false,
          impl: ([sep, ...vs], ex) =>
            sep === null
              ? null
              : vs
                  .filter((v) => v !== null)
                  .map((v, i) => asText(types[i + 1]!, v, ex.runtime.io))
                  .join(str(sep)),
        },
  abs: mathFn(Math.abs, (x) => (x.startsWith('-') ? x.slice(1) : x), true),
  sqrt: mathFn((x) => {
    if (x < 0) throw new SqlError('2201F', 'cannot take square root of a negative number');
    return Math.sqrt(x);
  }, numericSqrt),
  cbrt: mathFn(cbrt),
  exp: mathFn((x) => {
    const v = Math.exp(x);
    if (!Number.isFinite(v) && Number.isFinite(x))
      throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
    if (v === 0 && Number.isFinite(x))
      throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: underflow');
    return v;
  }, numericExp),
  ln: mathFn(floatLog(Math.log), numericLn),
  log10: mathFn(floatLog(Math.log10), (x) => numericLog('10', x)),
  log: (types) => {
    if (types.length === 1) return mathFn(floatLog(Math.log10), (x) => numericLog('10', x))(types);
    if (types.length !== 2 || !types.every((t) => isNumericType(t.id) || t.id === 'unknown'))
      return undefined;
    return {
      args: [T('numeric'), T('numeric')],
      result: T('numeric'),
      impl: ([b, x]) => numericLog(b as string, x as string),
    };
  },
  sign: (types) => {
    if (types.length !== 1) return undefined;
    const k = numberKind(types[0]!);
    if (k === 'numeric' || isInteger(k))
      return {
        args: [T('numeric')],
        result: T('numeric'),
        impl: ([x]) =>
          x === 'NaN'
            ? 'NaN'
            : x === '0' || /^-?0(\.0+)?$/.test(x as string)
              ? '0'
              : (x as string).startsWith('-')
                ? '-1'
                : '1',
      };
    return { args: [T('float8')], result: T('float8'), impl: ([x]) => Math.sign(x as number) };
  },
  round: roundingFn('round'),
  trunc: roundingFn('trunc'),
  floor: floorCeil('floor'),
  ceil: floorCeil('ceil'),
  ceiling: floorCeil('ceil'),
  mod: (types) => {
    if (types.length !== 2) return undefined;
    const k = [numberKind(types[0]!), numberKind(types[1]!)];
    const id: TypeId =
      k.includes('numeric') || k.includes('float8') || k.includes('float4')
        ? 'numeric'
        : k.includes('int8')
          ? 'int8'
          : k.includes('int4')
            ? 'int4'
            : 'int2';
    return {
      args: [T(id), T(id)],
      result: T(id),
      impl: ([a, b]) => {
        if (b === 0 || b === 0n || (typeof b === 'string' && /^-?0(\.0*)?$/.test(b)))
          throw new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
        if (id === 'numeric') return formatDecimal(modDec(a as string, b as string));
        if (typeof a === 'bigint') return a % (b as bigint);
        const r = (a as number) % (b as number);
        return r === 0 ? 0 : r;
      },
    };
  },
  power: powFn(),
  pow: powFn(),
  pi: (types) => (types.length === 0 ? { args: [], result: T('float8'), impl: () => Math.PI } : undefined),
  random: (types) =>
    types.length === 0
      ? { args: [], result: T('float8'), impl: () => Math.random(), volatile: true }
      : undefined,
  gen_random_uuid: (types) =>
    types.length === 0
      ? { args: [], result: T('uuid'), impl: () => randomUuid(), volatile: true }
      : undefined,
  now: (types) =>
    types.length === 0 ? { args: [], result: T('timestamptz'), impl: (_a, ex) => ex.now } : undefined,
  transaction_timestamp: (types) =>
    types.length === 0 ? { args: [], result: T('timestamptz'), impl: (_a, ex) => ex.now } : undefined,
  statement_timestamp: (types) =>
    types.length === 0 ? { args: [], result: T('timestamptz'), impl: (_a, ex) => ex.now } : undefined,
  // pg_sleep only records the time: the session waits it out without blocking other connections.
  pg_sleep: (types) =>
    types.length === 1
      ? {
          args: [T('float8')],
          result: T('void'),
          impl: ([seconds], ex) => {
            owePause(ex, (seconds as number) * 1000);
            return '';
          },
          volatile: true,
        }
      : undefined,
  clock_timestamp: (types) =>
    types.length === 0
      ? { args: [], result: T('timestamptz'), impl: () => BigInt(Date.now()) * 1000n, volatile: true }
      : undefined,
  version: (types) =>
    types.length === 0
      ? { args: [], result: T('text'), impl: (_a, ex) => ex.runtime.versionString }
      : undefined,
  current_database: (types) =>
    types.length === 0
      ? { args: [], result: T('name'), impl: (_a, ex) => ex.runtime.session.database }
      : undefined,
  current_schema: (types) =>
    types.length === 0 ? { args: [], result: T('name'), impl: () => 'public' } : undefined,
  pg_backend_pid: (types) =>
    types.length === 0
      ? { args: [], result: T('int4'), impl: (_a, ex) => ex.runtime.session.pid }
      : undefined,
  date_part: extractFn(false),
  extract: extractFn(true),
  date_trunc: (types) => {
    if (types.length === 3 && types[1]!.id !== 'timestamp') {
      // date_trunc(unit, timestamptz, zone): truncated in that zone's wall-clock time.
      return {
        args: [T('text'), T('timestamptz'), T('text')],
        result: T('timestamptz'),
        impl: ([unit, v, zone]) => timestamptzTrunc(str(unit), v as bigint, zoneNamed(str(zone)), dateTrunc),
      };
    }
    if (types.length !== 2) return undefined;
    const t =
      types[1]!.id === 'unknown' || types[1]!.id === 'date'
        ? T(types[1]!.id === 'date' ? 'timestamptz' : 'timestamptz')
        : types[1]!;
    if (t.id !== 'timestamp' && t.id !== 'timestamptz') return undefined;
    return {
      args: [T('text'), t],
      result: t,
      impl: ([unit, v], ex) =>
        isInfiniteTimestamp(v as bigint)
          ? v
          : t.id === 'timestamptz'
            ? timestamptzTrunc(str(unit), v as bigint, ex.runtime.io.zone, dateTrunc)
            : dateTrunc(str(unit), v as bigint),
    };
  },
  nextval: (types) =>
    types.length === 1
      ? {
          args: [T('text')],
          result: T('int8'),
          impl: ([name], ex) => ex.runtime.nextval(str(name)),
          volatile: true,
        }
      : undefined,
  currval: (types) =>
    types.length === 1
      ? {
          args: [T('text')],
          result: T('int8'),
          impl: ([name], ex) => ex.runtime.currval(str(name)),
          volatile: true,
        }
      : undefined,
  to_hex: (types) =>
    types.length === 1
      ? {
          args: [T(types[0]!.id === 'int8' ? 'int8' : 'int4')],
          result: T('text'),
          impl: ([n]) => BigInt.asUintN(types[0]!.id === 'int8' ? 64 : 32, BigInt(n as number)).toString(16),
        }
      : undefined,
};
// quote_ident is in both CATALOG_FUNCTIONS and STRING_FUNCTIONS: the latter (PostgreSQL's full keyword list) wins.
Object.assign(
  FUNCTIONS,
  CATALOG_FUNCTIONS,
  ARRAY_FUNCTIONS,
  STRING_FUNCTIONS,
  REGEX_FUNCTIONS,
  JSON_FUNCTIONS,
  DATETIME_FUNCTIONS,
  MATH_FUNCTIONS,
  TO_CHAR_FUNCTIONS,
  JSON_BUILD_FUNCTIONS,
  JSONB_EDIT_FUNCTIONS,
);

/** functionNames lists the scalar functions shale has, sorted (pg_proc). */
export function functionNames(): string[] {
  return Object.keys(FUNCTIONS).sort();
}
FUNCTIONS.timezone = timezoneDef;

FUNCTIONS.set_config = (types) =>
  types.length === 3
    ? {
        args: [T('text'), T('text'), T('bool')],
        result: T('text'),
        volatile: true,
        impl: ([name, value, local], ex) =>
          ex.runtime.setSetting(name as string, value as string, local as boolean),
      }
    : undefined;

FUNCTIONS.pg_typeof = (types) =>
  types.length === 1
    ? { args: [types[0]!], result: T('regtype'), strict: false, impl: () => TYPE_INFO[types[0]!.id].oid }
    : undefined;

/** mapChars maps each character, keeping it when the mapping would change its length (ß → SS). */
function mapChars(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += [...m].length === 1 ? m : c;
  }
  return out;
}

function encodeBytes(b: Uint8Array, format: string): string {
  switch (format.toLowerCase()) {
    case 'hex':
      return Buffer.from(b).toString('hex');
    case 'base64':
      return (
        Buffer.from(b)
          .toString('base64')
          .match(/.{1,76}/g) ?? ['']
      ).join('\n');
    case 'escape': {
      let out = '';
      for (const x of b)
        out +=
          x === 0x5c
            ? '\\\\'
            : x < 0x20 || x > 0x7e
              ? '\\' + x.toString(8).padStart(3, '0')
              : String.fromCharCode(x);
      return out;
    }
    default:
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unrecognized encoding: "${format}"`);
  }
}

function decodeBytes(s: string, format: string): Uint8Array {
  switch (format.toLowerCase()) {
    case 'hex':
      if (!/^([0-9a-fA-F]{2}|\s)*$/.test(s))
        throw new SqlError(
          SqlState.INVALID_PARAMETER_VALUE,
          /[^0-9a-fA-F\s]/.test(s)
            ? `invalid hexadecimal digit: "${/[^0-9a-fA-F\s]/.exec(s)![0]}"`
            : 'invalid hexadecimal data: odd number of digits',
        );
      return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
    case 'base64':
      return Uint8Array.from(Buffer.from(s, 'base64'));
    case 'escape':
      return castValue(s, T('text'), T('bytea'), true, DEFAULT_IO) as Uint8Array;
    default:
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unrecognized encoding: "${format}"`);
  }
}

function isUntyped0(t: SqlType): boolean {
  return t.id === 'unknown';
}

function asText(t: SqlType, v: Value, io: IoSettings): string {
  if (v === null) return '';
  if (isStringType(t.id)) return str(v);
  if (t.id === 'bool') return v ? 't' : 'f';
  return formatValue(t, v, io);
}

function modDec(a: string, b: string): { int: bigint; scale: number } {
  const x = toDecimal(a);
  const y = toDecimal(b);
  const s = Math.max(x.scale, y.scale);
  return { int: rescale(x, s).int % rescale(y, s).int, scale: s };
}

function powFn(): FunctionDef {
  return (types) => {
    if (types.length !== 2) return undefined;
    const numeric =
      types.some((t) => t.id === 'numeric') && !types.some((t) => t.id === 'float4' || t.id === 'float8');
    const t = T(numeric ? 'numeric' : 'float8');
    return {
      args: [t, t],
      result: t,
      impl: numeric ? ([a, b]) => numericPower(a as string, b as string) : ([a, b]) => floatPower(a, b),
    };
  };
}

function floatLog(f: (x: number) => number): (x: number) => number {
  return (x) => {
    if (x === 0) throw new SqlError('2201E', 'cannot take logarithm of zero');
    if (x < 0) throw new SqlError('2201E', 'cannot take logarithm of a negative number');
    return f(x);
  };
}

function substring(s: string, from: number, count: number | undefined): string {
  const c = chars(s);
  if (count !== undefined && count < 0) throw new SqlError('22011', 'negative substring length not allowed');
  const start = from - 1;
  const end = count === undefined ? c.length : start + count;
  return c.slice(Math.max(0, start), Math.max(0, end)).join('');
}

function position(s: string, sub: string): number {
  const i = s.indexOf(sub);
  return i < 0 ? 0 : chars(s.slice(0, i)).length + 1;
}

function dateTrunc(unit: string, us: bigint): bigint {
  const u = unit.toLowerCase();
  if (!DATE_TRUNC_UNITS.includes(u))
    throw new SqlError(
      SqlState.INVALID_PARAMETER_VALUE,
      `unit "${unit}" not recognized for type timestamp with time zone`,
    );
  let days = Number(us / MICROS_PER_DAY);
  let rest = us % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1;
  }
  const [y, m] = civilFromDays(days);
  const at = (d: number, r: bigint): bigint => BigInt(d) * MICROS_PER_DAY + r;
  switch (u) {
    case 'microseconds':
      return us;
    case 'milliseconds':
      return at(days, rest - (rest % 1000n));
    case 'second':
      return at(days, rest - (rest % 1_000_000n));
    case 'minute':
      return at(days, rest - (rest % 60_000_000n));
    case 'hour':
      return at(days, rest - (rest % 3_600_000_000n));
    case 'day':
      return at(days, 0n);
    case 'week':
      return at(days - ((((days + 3) % 7) + 7) % 7), 0n);
    case 'month':
      return at(daysFromCivil(y, m, 1), 0n);
    case 'quarter':
      return at(daysFromCivil(y, Math.floor((m - 1) / 3) * 3 + 1, 1), 0n);
    case 'year':
      return at(daysFromCivil(y, 1, 1), 0n);
    case 'decade':
      return at(daysFromCivil(Math.floor(y / 10) * 10, 1, 1), 0n);
    case 'century':
      return at(daysFromCivil(Math.floor((y - 1) / 100) * 100 + 1, 1, 1), 0n);
    default:
      return at(daysFromCivil(Math.floor((y - 1) / 1000) * 1000 + 1, 1, 1), 0n);
  }
}

/** NOT_YET_SUPPORTED: PostgreSQL functions shale does not have yet (0A000 rather than 42883). */
const NOT_YET_SUPPORTED = new Set(
  (
    'regexp_substr regexp_instr ' +
    'string_to_array string_to_table array_to_string array_agg unnest array_length array_upper array_lower ' +
    'cardinality array_append array_prepend array_cat array_position array_remove generate_subscripts ' +
    'jsonb_set ' +
    'jsonb_insert jsonb_path_query jsonb_path_exists jsonb_path_match ' +
    'jsonb_pretty json_strip_nulls jsonb_strip_nulls json_populate_record ' +
    'jsonb_populate_record make_interval make_timestamptz ' +
    'make_time date_bin similar_to_escape sind cosd tand ' +
    'corr ' +
    'covar_pop covar_samp regr_slope'
  ).split(' '),
);

/** compileFunction resolves a scalar function call by name and argument types. */
export function compileFunction(
  an: Analyzer,
  name: string,
  args: Compiled[],
  loc: number,
  argExprs?: readonly Expr[],
): Compiled {
  void argExprs;
  const def = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  const types = args.map((a) => (isUntyped(a) ? T('unknown') : a.type));
  const r = def?.(types);
  if (def === undefined && NOT_YET_SUPPORTED.has(name)) throw notSupported(`function ${name}`, loc + 1);
  if (def === undefined || r === undefined) {
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `function ${name}(${types.map((t) => TYPE_INFO[t.id].pgName).join(', ')}) does not exist`,
      {
        position: loc + 1,
        hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      },
    );
  }
  const cs = args.map((a, i) => {
    const want = r.args[i]!;
    if (want.id === 'unknown') return a;
    try {
      return coerce(an, a, want, 'implicit', loc);
    } catch (err) {
      if (err instanceof SqlError && err.code === SqlState.DATATYPE_MISMATCH)
        throw new SqlError(
          SqlState.UNDEFINED_FUNCTION,
          `function ${name}(${types.map((t) => TYPE_INFO[t.id].pgName).join(', ')}) does not exist`,
          {
            position: loc + 1,
            hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
          },
        );
      throw err;
    }
  });
  if (name === 'pg_sleep') an.sleeps = true;
  const fs = cs.map((c) => c.eval);
  const impl = r.impl;
  const strict = r.strict !== false;
  const n = fs.length;
  return {
    type: r.result,
    eval: (row, ex) => {
      const vs: Value[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = fs[i]!(row, ex);
        if (v === null && strict) return null;
        vs[i] = v;
      }
      return impl(vs, ex);
    },
    correlated: cs.some((c) => c.correlated),
    volatile: r.volatile === true || cs.some((c) => c.volatile),
  };
}
