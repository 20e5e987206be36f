/**
 * to_char for dates and timestamps, and its inverses to_date and to_timestamp(text, format), with
 * PostgreSQL's template patterns: YYYY YYY YY Y, MM, MONTH Month month MON Mon mon, DD DDD D ID, DAY Day
 * day DY Dy dy, HH HH12 HH24 MI SS MS US SSSS, AM PM am pm, BC AD, Q, CC, WW IW, J, TZ OF; FM (no padding)
 * and TH/th (ordinal suffix) modifiers; "quoted text"; anything else is copied. to_char of numbers is not
 * implemented (0A000).
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { civilFromDays, daysFromCivil, isInfiniteTimestamp, MICROS_PER_DAY } from '../types/datetime.js';
import { sqlType, type SqlType, type TypeId } from '../types/sql-type.js';
import type { FunctionDef } from './functions.js';
import { formatNumberWith, parseNumberWith } from './to-char-number.js';
import { instantOf, offsetOf, type TimeZone } from '../types/time-zone.js';
import { zoneAbbreviation } from '../types/zone-names.js';

const T = (id: TypeId): SqlType => sqlType(id);

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** PATTERNS: template patterns, longest first where one is a prefix of another. */
const PATTERNS = [
  'HH24',
  'HH12',
  'HH',
  'MI',
  'SSSSS',
  'SSSS',
  'SS',
  'MS',
  'US',
  'A.M.',
  'a.m.',
  'P.M.',
  'p.m.',
  'AM',
  'am',
  'PM',
  'pm',
  'B.C.',
  'b.c.',
  'A.D.',
  'a.d.',
  'BC',
  'bc',
  'AD',
  'ad',
  'YYYY',
  'YYY',
  'YY',
  'Y',
  'MONTH',
  'Month',
  'month',
  'MON',
  'Mon',
  'mon',
  'MM',
  'DAY',
  'Day',
  'day',
  'DY',
  'Dy',
  'dy',
  'DDD',
  'DD',
  'D',
  'IYYY',
  'IYY',
  'IY',
  'ID',
  'IW',
  'I',
  'WW',
  'W',
  'CC',
  'Q',
  'J',
  'TZ',
  'tz',
  'OF',
];

const NUMERIC_PATTERNS = PATTERNS.filter((p) => /^(HH|MI|SS|MS|US|Y|MM|DD|D$|I|WW|W|CC|Q|J)/.test(p));

type Token =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'field'; readonly pattern: string; readonly fm: boolean; readonly th: string };

function tokenize(format: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < format.length) {
    if (format[i] === '"') {
      let j = i + 1;
      let text = '';
      while (j < format.length && format[j] !== '"') {
        if (format[j] === '\\' && j + 1 < format.length) j++;
        text += format[j];
        j++;
      }
      out.push({ kind: 'literal', text });
      i = j + 1;
      continue;
    }
    let fm = false;
    let k = i;
    if (format.startsWith('FM', k) || format.startsWith('fm', k)) {
      fm = true;
      k += 2;
    }
    // Name patterns are case-sensitive (Month, month, MONTH); numeric ones are not (yyyy, mm, hh24).
    const upper = format.slice(k, k + 5).toUpperCase();
    const p =
      PATTERNS.find((x) => format.startsWith(x, k)) ?? NUMERIC_PATTERNS.find((x) => upper.startsWith(x));
    if (p === undefined) {
      if (format[i] === '\\' && i + 1 < format.length) i++;
      out.push({ kind: 'literal', text: format[i]! });
      i++;
      continue;
    }
    k += p.length;
    let th = '';
    if (format.startsWith('TH', k) || format.startsWith('th', k)) {
      th = format.slice(k, k + 2);
      k += 2;
    }
    out.push({ kind: 'field', pattern: p, fm, th });
    i = k;
  }
  return out;
}

function ordinal(n: number, upper: boolean): string {
  const a = Math.abs(n) % 100;
  const s = a >= 11 && a <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][a % 10] ?? 'th');
  return upper ? s.toUpperCase() : s;
}

function caseAs(pattern: string, name: string): string {
  if (pattern === pattern.toUpperCase()) return name.toUpperCase();
  if (pattern === pattern.toLowerCase()) return name.toLowerCase();
  return name;
}

/** formatTimestampWith is to_char(timestamp, format); a timestamptz (zone set) is read in that zone. */
export function formatTimestampWith(utc: bigint, format: string, zone: TimeZone | undefined): string {
  if (isInfiniteTimestamp(utc)) throw notSupported('to_char of an infinite timestamp');
  const offset = zone === undefined ? 0 : offsetOf(zone, utc);
  const us = utc + BigInt(offset) * 1_000_000n;
  const withZone = zone !== undefined;
  const abbreviation = (): string => {
    const a = zoneAbbreviation(zone!, Number(utc / 1000n));
    if (a === undefined) throw notSupported(`to_char TZ in time zone ${zone!.name}`);
    return a;
  };
  let days = us / MICROS_PER_DAY;
  let rest = us % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const dayNum = Number(days);
  const [y, m, d] = civilFromDays(dayNum);
  const secs = Number(rest / 1_000_000n);
  const micros = Number(rest % 1_000_000n);
  const hour = Math.floor(secs / 3600);
  const minute = Math.floor(secs / 60) % 60;
  const second = secs % 60;
  const dow = (((dayNum + 4) % 7) + 7) % 7;
  const doy = dayNum - daysFromCivil(y, 1, 1) + 1;
  const bc = y <= 0;
  const year = bc ? 1 - y : y;
  let out = '';
  for (const t of tokenize(format)) {
    if (t.kind === 'literal') {
      out += t.text;
      continue;
    }
    const num = (v: number, width: number): string => {
      const s = t.fm ? String(v) : String(Math.abs(v)).padStart(width, '0');
      return (v < 0 && !t.fm ? '-' : '') + s + (t.th === '' ? '' : ordinal(v, t.th === 'TH'));
    };
    const name = (n: string, width: number): string =>
      t.fm ? caseAs(t.pattern, n) : caseAs(t.pattern, n).padEnd(width, ' ');
    switch (t.pattern) {
      case 'HH24':
        out += num(hour, 2);
        break;
      case 'HH12':
      case 'HH':
        out += num(hour % 12 === 0 ? 12 : hour % 12, 2);
        break;
      case 'MI':
        out += num(minute, 2);
        break;
      case 'SS':
        out += num(second, 2);
        break;
      case 'SSSS':
      case 'SSSSS':
        out += num(secs, 0);
        break;
      case 'MS':
        out += num(Math.floor(micros / 1000), 3);
        break;
      case 'US':
        out += num(micros, 6);
        break;
      case 'AM':
      case 'PM':
        out += hour < 12 ? 'AM' : 'PM';
        break;
      case 'am':
      case 'pm':
        out += hour < 12 ? 'am' : 'pm';
        break;
      case 'A.M.':
      case 'P.M.':
        out += hour < 12 ? 'A.M.' : 'P.M.';
        break;
      case 'a.m.':
      case 'p.m.':
        out += hour < 12 ? 'a.m.' : 'p.m.';
        break;
      case 'BC':
      case 'AD':
        out += bc ? 'BC' : 'AD';
        break;
      case 'bc':
      case 'ad':
        out += bc ? 'bc' : 'ad';
        break;
      case 'B.C.':
      case 'A.D.':
        out += bc ? 'B.C.' : 'A.D.';
        break;
      case 'b.c.':
      case 'a.d.':
        out += bc ? 'b.c.' : 'a.d.';
        break;
      case 'YYYY':
        out += num(year, 4);
        break;
      case 'YYY':
        out += num(year % 1000, 3);
        break;
      case 'YY':
        out += num(year % 100, 2);
        break;
      case 'Y':
        out += num(year % 10, 1);
        break;
      case 'MONTH':
      case 'Month':
      case 'month':
        out += name(MONTH_NAMES[m - 1]!, 9);
        break;
      case 'MON':
      case 'Mon':
      case 'mon':
        out += caseAs(t.pattern, MONTH_NAMES[m - 1]!.slice(0, 3));
        break;
      case 'MM':
        out += num(m, 2);
        break;
      case 'DAY':
      case 'Day':
      case 'day':
        out += name(DAY_NAMES[dow]!, 9);
        break;
      case 'DY':
      case 'Dy':
      case 'dy':
        out += caseAs(t.pattern, DAY_NAMES[dow]!.slice(0, 3));
        break;
      case 'DDD':
        out += num(doy, 3);
        break;
      case 'DD':
        out += num(d, 2);
        break;
      case 'D':
        out += num(dow + 1, 1);
        break;
      case 'ID':
        out += num(dow === 0 ? 7 : dow, 1);
        break;
      case 'IW': {
        const thursday = isoThursday(dayNum);
        const [ty] = civilFromDays(thursday);
        out += num(Math.floor((thursday - daysFromCivil(ty, 1, 1)) / 7) + 1, 2);
        break;
      }
      case 'IYYY':
      case 'IYY':
      case 'IY':
      case 'I': {
        // The ISO year is the year of the week's Thursday.
        const [iy] = civilFromDays(isoThursday(dayNum));
        const width = t.pattern.length;
        out += num(width === 4 ? iy : iy % 10 ** width, width);
        break;
      }
      case 'WW':
        out += num(Math.floor((doy - 1) / 7) + 1, 2);
        break;
      case 'W':
        out += num(Math.floor((d - 1) / 7) + 1, 1);
        break;
      case 'CC':
        out += num(y > 0 ? Math.floor((y - 1) / 100) + 1 : -(Math.floor(-y / 100) + 1), 2);
        break;
      case 'Q':
        out += num(Math.floor((m - 1) / 3) + 1, 1);
        break;
      case 'J':
        out += num(dayNum + 2440588, 0);
        break;
      case 'TZ':
        out += withZone ? abbreviation() : '';
        break;
      case 'tz':
        out += withZone ? abbreviation().toLowerCase() : '';
        break;
      case 'OF': {
        if (!withZone) break;
        // +hh, or +hh:mm; seconds are not shown.
        const a = Math.abs(offset);
        out += (offset < 0 ? '-' : '+') + (t.fm ? String(Math.floor(a / 3600)) : pad2(Math.floor(a / 3600)));
        if (a % 3600 >= 60) out += ':' + pad2(Math.floor((a % 3600) / 60));
        break;
      }
    }
  }
  return out;
}

/** isoThursday: the Thursday of the ISO week (Monday to Sunday) holding a day. */
function isoThursday(dayNum: number): number {
  return dayNum - ((((dayNum + 3) % 7) + 7) % 7) + 3;
}

function badFormat(text: string): SqlError {
  return new SqlError(SqlState.INVALID_DATETIME_FORMAT, `invalid value "${text}" for the format`);
}

/** parseWith is to_timestamp(text, format) (and to_date): microseconds since 1970 (UTC). */
export function parseWith(input: string, format: string): bigint {
  let i = 0;
  let year: number | undefined;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micros = 0;
  let pm: boolean | undefined;
  let bc = false;
  let doy: number | undefined;
  const tokens = tokenize(format);
  const digits = (max: number): number => {
    while (input[i] === ' ') i++;
    const m = new RegExp(`^[+-]?\\d{1,${max}}`).exec(input.slice(i));
    if (m === null) throw badFormat(input.slice(i));
    i += m[0].length;
    return Number(m[0]);
  };
  const word = (names: readonly string[], len?: number): number => {
    while (input[i] === ' ') i++;
    const rest = input.slice(i).toLowerCase();
    for (let k = 0; k < names.length; k++) {
      const n = (len === undefined ? names[k]! : names[k]!.slice(0, len)).toLowerCase();
      if (rest.startsWith(n)) {
        i += n.length;
        return k;
      }
    }
    throw badFormat(input.slice(i));
  };
  for (let ti = 0; ti < tokens.length; ti++) {
    const t = tokens[ti]!;
    if (t.kind === 'literal') {
      // A separator in the format skips one character of input (PostgreSQL's non-FX mode).
      if (i < input.length && (/\s/.test(t.text) ? /\s/.test(input[i]!) : true)) i += t.text.length;
      continue;
    }
    const next = tokens[ti + 1];
    switch (t.pattern) {
      case 'YYYY':
        year = digits(next === undefined || next.kind === 'literal' ? 9 : 4);
        break;
      case 'YYY':
      case 'YY':
      case 'Y': {
        const v = digits(t.pattern.length);
        year =
          t.pattern === 'YY'
            ? v < 70
              ? 2000 + v
              : 1900 + v
            : t.pattern === 'YYY'
              ? v < 100
                ? 2000 + v
                : 1000 + v
              : 2000 + v;
        break;
      }
      case 'MM':
        month = digits(2);
        break;
      case 'MONTH':
      case 'Month':
      case 'month':
        month = word(MONTH_NAMES) + 1;
        break;
      case 'MON':
      case 'Mon':
      case 'mon':
        month = word(MONTH_NAMES, 3) + 1;
        break;
      case 'DD':
        day = digits(2);
        break;
      case 'DDD':
        doy = digits(3);
        break;
      case 'DAY':
      case 'Day':
      case 'day':
        word(DAY_NAMES);
        break;
      case 'DY':
      case 'Dy':
      case 'dy':
        word(DAY_NAMES, 3);
        break;
      case 'HH24':
        hour = digits(2);
        break;
      case 'HH':
      case 'HH12':
        hour = digits(2);
        if (hour < 1 || hour > 12)
          throw new SqlError(
            SqlState.DATETIME_FIELD_OVERFLOW,
            `hour "${hour}" is invalid for the 12-hour clock`,
            { hint: 'Use the 24-hour clock, or give an hour between 1 and 12.' },
          );
        break;
      case 'MI':
        minute = digits(2);
        break;
      case 'SS':
        second = digits(2);
        break;
      case 'MS':
        micros = digits(3) * 1000;
        break;
      case 'US':
        micros = digits(6);
        break;
      case 'AM':
      case 'PM':
      case 'am':
      case 'pm':
      case 'A.M.':
      case 'P.M.':
      case 'a.m.':
      case 'p.m.':
        pm = word(t.pattern.includes('.') ? ['a.m.', 'p.m.'] : ['am', 'pm']) === 1;
        break;
      case 'BC':
      case 'AD':
      case 'bc':
      case 'ad':
        bc = word(['bc', 'ad']) === 0;
        break;
      default:
        throw notSupported(`the ${t.pattern} pattern in to_date/to_timestamp`);
    }
  }
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
  let y = year ?? 1;
  if (bc) y = 1 - y;
  const range = (what: string): SqlError =>
    new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${input}"`, {
      detail: what,
    });
  let dayNum: number;
  if (doy !== undefined) dayNum = daysFromCivil(y, 1, 1) + doy - 1;
  else {
    if (month < 1 || month > 12) throw range('month');
    dayNum = daysFromCivil(y, month, day);
    const [cy, cm, cd] = civilFromDays(dayNum);
    if (cy !== y || cm !== month || cd !== day) throw range('day');
  }
  if (hour > 24 || minute > 59 || second > 60) throw range('time');
  return (
    BigInt(dayNum) * MICROS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * 1_000_000n + BigInt(micros)
  );
}

/** TO_CHAR_FUNCTIONS: registered into functions.ts's table. */
export const TO_CHAR_FUNCTIONS: Record<string, FunctionDef> = {
  to_char: (types) => {
    if (types.length !== 2) return undefined;
    const t = types[0]!.id === 'unknown' ? T('timestamptz') : types[0]!;
    if (t.id === 'date')
      return {
        args: [T('timestamp'), T('text')],
        result: T('text'),
        impl: ([v, f]) => formatTimestampWith(v as bigint, f as string, undefined),
      };
    if (t.id === 'timestamp' || t.id === 'timestamptz')
      return {
        args: [t, T('text')],
        result: T('text'),
        impl: ([v, f], ex) =>
          formatTimestampWith(
            v as bigint,
            f as string,
            t.id === 'timestamptz' ? ex.runtime.io.zone : undefined,
          ),
      };
    if (t.id === 'numeric' || t.id === 'int2' || t.id === 'int4' || t.id === 'int8')
      return {
        args: [t, T('text')],
        result: T('text'),
        impl: ([v, f]) => {
          if (v === 'NaN') throw notSupported('to_char of NaN');
          return formatNumberWith({ kind: 'exact', value: String(v) }, f as string);
        },
      };
    if (t.id === 'float4' || t.id === 'float8')
      return {
        args: [t, T('text')],
        result: T('text'),
        impl: ([v, f]) => {
          if (!Number.isFinite(v)) throw notSupported('to_char of NaN and infinite floats');
          return formatNumberWith(
            { kind: 'float', value: v as number, digits: t.id === 'float4' ? 6 : 15 },
            f as string,
          );
        },
      };
    if (t.id === 'interval')
      return {
        args: [t, T('text')],
        result: T('text'),
        impl: () => {
          throw notSupported(`to_char(${t.id}, text)`);
        },
      };
    return undefined;
  },
  to_number: (types) =>
    types.length === 2
      ? {
          args: [T('text'), T('text')],
          result: T('numeric'),
          impl: ([s, f]) => parseNumberWith(s as string, f as string),
        }
      : undefined,
  to_date: (types) =>
    types.length === 2
      ? {
          args: [T('text'), T('text')],
          result: T('date'),
          impl: ([s, f]) => {
            const us = parseWith(s as string, f as string);
            return Number(
              (us - (((us % MICROS_PER_DAY) + MICROS_PER_DAY) % MICROS_PER_DAY)) / MICROS_PER_DAY,
            );
          },
        }
      : undefined,
};

/** toTimestampWithFormat: to_timestamp(text, text), merged into to_timestamp's resolution. */
export const toTimestampWithFormat: FunctionDef = (types) =>
  types.length === 2
    ? {
        args: [T('text'), T('text')],
        result: T('timestamptz'),
        // The fields read are wall-clock time in the session's zone (TZ patterns are not read).
        impl: ([s, f], ex) => instantOf(ex.runtime.io.zone, parseWith(s as string, f as string)),
      }
    : undefined;

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}
