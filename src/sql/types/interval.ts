/**
 * The interval type: months, days and microseconds kept apart, as PostgreSQL keeps them (a month is not a
 * fixed number of days, a day not always 24 hours). A value lives in JavaScript as the text
 * "<months> <days> <micros>"; input accepts PostgreSQL's verbose forms ('1 day 02:00', '2 years 3 mons',
 * '1.5 hours', '@ 1 day ago') and ISO 8601 ('P1Y2M3DT4H'); output is the default 'postgres' IntervalStyle.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { civilFromDays, daysFromCivil, isInfiniteTimestamp, MICROS_PER_DAY } from './datetime.js';

/** Interval is an interval's three fields. */
export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

const US_PER_SECOND = 1_000_000n;
const US_PER_HOUR = 3_600_000_000n;
const DAYS_PER_MONTH = 30;

/** encodeInterval makes an interval's JavaScript value. */
export function encodeInterval(i: Interval): string {
  return `${i.months} ${i.days} ${i.micros}`;
}

/** decodeInterval reads an interval's JavaScript value. */
export function decodeInterval(v: string): Interval {
  const [m, d, us] = v.split(' ');
  return { months: Number(m), days: Number(d), micros: BigInt(us!) };
}

function badInterval(text: string): SqlError {
  return new SqlError(SqlState.INVALID_DATETIME_FORMAT, `invalid input syntax for type interval: "${text}"`);
}

function outOfRange(): SqlError {
  return new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'interval out of range');
}

/** UNITS: unit words → [months, days, microseconds] per unit. */
const UNITS: Record<string, readonly [number, number, number]> = {};
function unit(names: string, months: number, days: number, micros: number): void {
  for (const n of names.split(' ')) UNITS[n] = [months, days, micros];
}
unit('microsecond microseconds us usec usecs useconds', 0, 0, 1);
unit('millisecond milliseconds ms msec msecs mseconds', 0, 0, 1000);
unit('second seconds s sec secs', 0, 0, 1e6);
unit('minute minutes m min mins', 0, 0, 60e6);
unit('hour hours h hr hrs', 0, 0, 3600e6);
unit('day days d', 0, 1, 0);
unit('week weeks w', 0, 7, 0);
unit('month months mon mons', 1, 0, 0);
unit('year years y yr yrs', 12, 0, 0);
unit('decade decades', 120, 0, 0);
unit('century centuries c', 1200, 0, 0);
unit('millennium millennia millenniums', 12000, 0, 0);

/** Accumulator of fields, with fractions cascading down as PostgreSQL's AdjustFractDays/Seconds do. */
class Fields {
  months = 0;
  days = 0;
  micros = 0n;
  add(value: number, [m, d, us]: readonly [number, number, number], text: string): void {
    if (!Number.isFinite(value)) throw badInterval(text);
    if (m !== 0) {
      const whole = Math.trunc(value);
      this.months += whole * m;
      // A fractional month is 30 days (and those days' fractions become time).
      const fracMonths = (value - whole) * m;
      const wholeMonths = Math.trunc(fracMonths);
      this.months += wholeMonths;
      this.addDays((fracMonths - wholeMonths) * DAYS_PER_MONTH);
    } else if (d !== 0) this.addDays(value * d);
    else this.micros += BigInt(Math.round(value * us));
  }
  addDays(v: number): void {
    const whole = Math.trunc(v);
    this.days += whole;
    this.micros += BigInt(Math.round((v - whole) * 86400e6));
  }
}

/** parseInterval reads interval input text. */
export function parseInterval(text: string): string {
  const s = text.trim().toLowerCase();
  if (s === '') throw badInterval(text);
  if (s.startsWith('p')) return encodeInterval(parseIso(s, text));
  const f = new Fields();
  let ago = false;
  const tokens = s
    .replace(/^@\s*/, '')
    .split(/\s+/)
    .filter((x) => x !== '');
  let sawAny = false;
  for (let i = 0; i < tokens.length; i++) {
    let tok = tokens[i]!;
    if (tok === 'ago' && i === tokens.length - 1 && sawAny) {
      ago = true;
      continue;
    }
    // A time of day: [+-]HH:MM[:SS[.ffffff]] (MM:SS.ff when it has a fraction and two fields).
    const tm = /^([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$/.exec(tok) ?? /^([+-]?)(\d+):(\d+\.\d*)$/.exec(tok);
    if (tm !== null) {
      const neg = tm[1] === '-' ? -1n : 1n;
      let us: bigint;
      if (tm[4] === undefined && tm[3]!.includes('.')) {
        us = BigInt(tm[2]!) * 60_000_000n + secondsToMicros(tm[3]!);
      } else {
        const h = BigInt(tm[2]!);
        const m = BigInt(tm[3]!);
        if (m > 59n) throw fieldOverflow(text);
        const sec = tm[4] === undefined ? 0n : secondsToMicros(tm[4]);
        if (sec >= 60n * US_PER_SECOND) throw fieldOverflow(text);
        us = h * US_PER_HOUR + m * 60_000_000n + sec;
      }
      f.micros += neg * us;
      sawAny = true;
      continue;
    }
    // A number, with its unit attached ('10d') or in the next token; a bare number is seconds.
    const nm = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)([a-z]*)$/.exec(tok);
    if (nm === null) throw badInterval(text);
    const value = Number(nm[1]);
    let unitName = nm[2]!;
    if (unitName === '' && i + 1 < tokens.length && Object.hasOwn(UNITS, tokens[i + 1]!)) {
      unitName = tokens[++i]!;
    }
    if (unitName === '') {
      tok = nm[1]!;
      f.add(value, UNITS.second!, text);
    } else {
      const u = UNITS[unitName];
      if (u === undefined) throw badInterval(text);
      f.add(value, u, text);
    }
    sawAny = true;
  }
  if (!sawAny) throw badInterval(text);
  const r = { months: f.months, days: f.days, micros: f.micros };
  check(r);
  return encodeInterval(ago ? negate(r) : r);
}

function fieldOverflow(text: string): SqlError {
  return new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `interval field value out of range: "${text}"`);
}

function secondsToMicros(s: string): bigint {
  const [w, frac = ''] = s.split('.');
  const digits = (frac + '0000000').slice(0, 7);
  // Round to microseconds (half away from zero), as PostgreSQL rounds input fractions.
  let us = BigInt(w!) * US_PER_SECOND + BigInt(digits.slice(0, 6));
  if (Number(digits[6]) >= 5) us += 1n;
  return us;
}

function parseIso(s: string, text: string): Interval {
  const m =
    /^p(?:([-\d.]+)y)?(?:([-\d.]+)m)?(?:([-\d.]+)w)?(?:([-\d.]+)d)?(?:t(?:([-\d.]+)h)?(?:([-\d.]+)m)?(?:([-\d.]+)s)?)?$/.exec(
      s,
    );
  if (m === null || s === 'p' || s.endsWith('t')) throw badInterval(text);
  const f = new Fields();
  const parts: [string | undefined, string][] = [
    [m[1], 'year'],
    [m[2], 'month'],
    [m[3], 'week'],
    [m[4], 'day'],
    [m[5], 'hour'],
    [m[6], 'minute'],
    [m[7], 'second'],
  ];
  for (const [v, u] of parts) if (v !== undefined) f.add(Number(v), UNITS[u]!, text);
  return { months: f.months, days: f.days, micros: f.micros };
}

function check(i: Interval): void {
  if (
    !Number.isSafeInteger(i.months) ||
    Math.abs(i.months) > 2147483647 ||
    Math.abs(i.days) > 2147483647 ||
    i.micros > 9223372036854775807n ||
    i.micros < -9223372036854775808n
  )
    throw outOfRange();
}

function negate(i: Interval): Interval {
  return { months: -i.months || 0, days: -i.days || 0, micros: -i.micros };
}

/** formatInterval writes an interval in the 'postgres' IntervalStyle. */
export function formatInterval(v: string): string {
  const { months, days, micros } = decodeInterval(v);
  const year = Math.trunc(months / 12);
  const mon = months % 12;
  let out = '';
  let isZero = true;
  let isBefore = false;
  const part = (value: number, units: string): void => {
    if (value === 0) return;
    out += `${isZero ? '' : ' '}${isBefore && value > 0 ? '+' : ''}${value} ${units}${value !== 1 ? 's' : ''}`;
    isBefore = value < 0;
    isZero = false;
  };
  part(year, 'year');
  part(mon, 'mon');
  part(days, 'day');
  if (isZero || micros !== 0n) {
    const neg = micros < 0n;
    const a = neg ? -micros : micros;
    const hour = a / US_PER_HOUR;
    const min = (a % US_PER_HOUR) / 60_000_000n;
    const sec = (a % 60_000_000n) / US_PER_SECOND;
    const frac = a % US_PER_SECOND;
    const two = (n: bigint): string => n.toString().padStart(2, '0');
    out += `${isZero ? '' : ' '}${neg ? '-' : isBefore ? '+' : ''}${two(hour)}:${two(min)}:${two(sec)}`;
    if (frac !== 0n) out += '.' + frac.toString().padStart(6, '0').replace(/0+$/, '');
  }
  return out;
}

/** intervalSpan: the interval as microseconds with 30-day months and 24-hour days (comparison key). */
export function intervalSpan(i: Interval): bigint {
  return (BigInt(i.months) * 30n + BigInt(i.days)) * MICROS_PER_DAY + i.micros;
}

/** compareInterval orders intervals as interval_cmp does. */
export function compareInterval(a: string, b: string): number {
  const x = intervalSpan(decodeInterval(a));
  const y = intervalSpan(decodeInterval(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** addIntervals is interval + interval (sign -1: minus). */
export function addIntervals(a: string, b: string, sign: 1 | -1): string {
  const x = decodeInterval(a);
  const y = decodeInterval(b);
  const r = {
    months: x.months + sign * y.months,
    days: x.days + sign * y.days,
    micros: x.micros + BigInt(sign) * y.micros,
  };
  check(r);
  return encodeInterval(r);
}

/** negateInterval is unary minus. */
export function negateInterval(a: string): string {
  return encodeInterval(negate(decodeInterval(a)));
}

/** scaleInterval is interval * factor (interval_mul: fractional months cascade to days, days to time). */
export function scaleInterval(a: string, factor: number): string {
  const x = decodeInterval(a);
  if (Number.isNaN(factor)) throw outOfRange();
  const monthsF = x.months * factor;
  const daysF = x.days * factor;
  if (!Number.isFinite(monthsF) || Math.abs(monthsF) > 2147483647 || Math.abs(daysF) > 2147483647)
    throw outOfRange();
  const months = Math.trunc(monthsF);
  let monthRem = monthsF - months;
  monthRem = monthRem * DAYS_PER_MONTH;
  const days = Math.trunc(daysF);
  let dayRem = daysF - days;
  const extraDays = Math.trunc(monthRem);
  dayRem += monthRem - extraDays;
  const micros = BigInt(Math.round(Number(x.micros) * factor + dayRem * 86400e6));
  const r = { months, days: days + extraDays, micros };
  check(r);
  return encodeInterval(r);
}

/** justifyHours moves whole 24-hour units of time into days (justify_hours; also timestamp - timestamp). */
export function justifyHours(i: Interval): Interval {
  let days = i.days + Number(i.micros / MICROS_PER_DAY);
  let micros = i.micros % MICROS_PER_DAY;
  if (days > 0 && micros < 0n) {
    micros += MICROS_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= MICROS_PER_DAY;
    days++;
  }
  return { months: i.months, days, micros };
}

/** justifyDays moves whole 30-day units into months (justify_days). */
export function justifyDays(i: Interval): Interval {
  let months = i.months + Math.trunc(i.days / DAYS_PER_MONTH);
  let days = i.days % DAYS_PER_MONTH;
  if (months > 0 && days < 0) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && days > 0) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  return { months, days: days || 0, micros: i.micros };
}

/** justifyInterval is justify_interval: both, with one sign throughout. */
export function justifyInterval(i: Interval): Interval {
  let months = i.months;
  let days = i.days + Number(i.micros / MICROS_PER_DAY);
  let micros = i.micros % MICROS_PER_DAY;
  months += Math.trunc(days / DAYS_PER_MONTH);
  days %= DAYS_PER_MONTH;
  if (months > 0 && (days < 0 || (days === 0 && micros < 0n))) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && (days > 0 || (days === 0 && micros > 0n))) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  if (days > 0 && micros < 0n) {
    micros += MICROS_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= MICROS_PER_DAY;
    days++;
  }
  return { months, days: days || 0, micros };
}

function splitTimestamp(us: bigint): { days: number; time: bigint } {
  let days = us / MICROS_PER_DAY;
  let time = us % MICROS_PER_DAY;
  if (time < 0n) {
    time += MICROS_PER_DAY;
    days -= 1n;
  }
  return { days: Number(days), time };
}

function daysInMonth(y: number, m: number): number {
  return daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
}

/** timestampPlusInterval is timestamp + interval: months (clamping the day), then days, then time. */
export function timestampPlusInterval(ts: bigint, iv: string, sign: 1 | -1): bigint {
  if (isInfiniteTimestamp(ts)) return ts;
  const i = decodeInterval(iv);
  let us = ts;
  if (i.months !== 0) {
    const { days, time } = splitTimestamp(us);
    const [y, m, d] = civilFromDays(days);
    const total = y * 12 + (m - 1) + sign * i.months;
    const ny = Math.floor(total / 12);
    const nm = total - ny * 12 + 1;
    const nd = Math.min(d, daysInMonth(ny, nm));
    us = BigInt(daysFromCivil(ny, nm, nd)) * MICROS_PER_DAY + time;
  }
  if (i.days !== 0) us += BigInt(sign * i.days) * MICROS_PER_DAY;
  us += BigInt(sign) * i.micros;
  return us;
}

/** timestampDiff is timestamp - timestamp: an interval of days and time (justify_hours of the difference). */
export function timestampDiff(a: bigint, b: bigint): string {
  if (isInfiniteTimestamp(a) || isInfiniteTimestamp(b))
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'cannot subtract infinite timestamps');
  return encodeInterval(justifyHours({ months: 0, days: 0, micros: a - b }));
}

/** age is age(a, b): the difference in years, months, days and time, borrowing field by field. */
export function age(a: bigint, b: bigint): string {
  if (isInfiniteTimestamp(a) || isInfiniteTimestamp(b)) throw notSupported('age of infinite timestamps');
  const neg = a < b;
  const [hi, lo] = neg ? [b, a] : [a, b];
  const x = splitTimestamp(hi);
  const y = splitTimestamp(lo);
  const [y1, m1, d1] = civilFromDays(x.days);
  const [y2, m2, d2] = civilFromDays(y.days);
  let time = x.time - y.time;
  let day = d1 - d2;
  let mon = m1 - m2;
  let year = y1 - y2;
  if (time < 0n) {
    time += MICROS_PER_DAY;
    day--;
  }
  if (day < 0) {
    // Borrow the days of the month before hi's month (PostgreSQL uses the earlier timestamp's month).
    day += daysInMonth(y2, m2);
    mon--;
  }
  if (mon < 0) {
    mon += 12;
    year--;
  }
  const r = { months: year * 12 + mon, days: day, micros: time };
  return encodeInterval(neg ? negate(r) : r);
}

/** intervalPart is extract/date_part on an interval; undefined for a field it does not have. */
export function intervalPart(
  field: string,
  v: string,
): { value: number; micros?: bigint; scale?: number } | undefined {
  const i = decodeInterval(v);
  switch (field) {
    case 'millennium':
    case 'millennia':
      return { value: Math.trunc(i.months / 12000) };
    case 'century':
    case 'centuries':
      return { value: Math.trunc(i.months / 1200) };
    case 'decade':
    case 'decades':
      return { value: Math.trunc(i.months / 120) };
    case 'year':
    case 'years':
      return { value: Math.trunc(i.months / 12) };
    case 'quarter':
      return { value: Math.trunc((i.months % 12) / 3) + 1 };
    case 'month':
    case 'months':
      return { value: i.months % 12 };
    case 'day':
    case 'days':
      return { value: i.days };
    case 'hour':
    case 'hours':
      return { value: Number(i.micros / US_PER_HOUR) };
    case 'minute':
    case 'minutes':
      return { value: Number((i.micros % US_PER_HOUR) / 60_000_000n) };
    case 'second':
    case 'seconds':
      return { value: 0, micros: i.micros % 60_000_000n };
    case 'millisecond':
    case 'milliseconds':
      return { value: 0, micros: i.micros % 60_000_000n, scale: 3 };
    case 'microsecond':
    case 'microseconds':
      return { value: Number((i.micros % 60_000_000n) * 1n) };
    case 'epoch': {
      // 365.25-day years and 30-day months, as interval_part does.
      const years = Math.trunc(i.months / 12);
      const secs = BigInt(years) * 31557600n + BigInt((i.months % 12) * 30 + i.days) * 86400n;
      return { value: 0, micros: secs * US_PER_SECOND + i.micros };
    }
    default:
      return undefined;
  }
}
