/**
 * Interval output in each IntervalStyle, as PostgreSQL 15's EncodeInterval writes it: 'postgres'
 * (1 day 02:00:00, interval.ts), 'iso_8601' (P1DT2H), 'sql_standard' (1 2:00:00) and 'postgres_verbose'
 * (@ 1 day 2 hours).
 */
import type { IntervalStyle } from './io-settings.js';
import { decodeInterval, formatInterval } from './interval.js';

/** Fields: an interval split as interval2itm splits it, each field carrying the sign of its part. */
interface Fields {
  year: number;
  mon: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  usec: number;
}

function fieldsOf(v: string): Fields {
  const { months, days, micros } = decodeInterval(v);
  const hours = micros / 3_600_000_000n;
  const rest = Number(micros % 3_600_000_000n);
  return {
    year: Math.trunc(months / 12),
    mon: months % 12 || 0,
    day: days,
    hour: Number(hours),
    min: Math.trunc(rest / 60_000_000) || 0,
    sec: Math.trunc((rest % 60_000_000) / 1_000_000) || 0,
    usec: rest % 1_000_000 || 0,
  };
}

/** seconds is AppendSeconds: |sec| (two digits when `pad`), then |usec| as a fraction without trailing zeros. */
function seconds(sec: number, usec: number, pad: boolean): string {
  const s = String(Math.abs(sec));
  const whole = pad && s.length < 2 ? '0' + s : s;
  return usec === 0 ? whole : whole + '.' + String(Math.abs(usec)).padStart(6, '0').replace(/0+$/, '');
}

function iso8601(f: Fields): string {
  const { year, mon, day, hour, min, sec, usec } = f;
  if (year === 0 && mon === 0 && day === 0 && hour === 0 && min === 0 && sec === 0 && usec === 0)
    return 'PT0S';
  const part = (n: number, unit: string): string => (n === 0 ? '' : `${n}${unit}`);
  let out = 'P' + part(year, 'Y') + part(mon, 'M') + part(day, 'D');
  if (hour !== 0 || min !== 0 || sec !== 0 || usec !== 0) out += 'T';
  out += part(hour, 'H') + part(min, 'M');
  if (sec !== 0 || usec !== 0) out += (sec < 0 || usec < 0 ? '-' : '') + seconds(sec, usec, false) + 'S';
  return out;
}

function sqlStandard(f: Fields): string {
  let { year, mon, day, hour, min, sec, usec } = f;
  const all = [year, mon, day, hour, min, sec, usec];
  const hasNegative = all.some((n) => n < 0);
  const hasPositive = all.some((n) => n > 0);
  const hasYearMonth = year !== 0 || mon !== 0;
  const hasDayTime = day !== 0 || hour !== 0 || min !== 0 || sec !== 0 || usec !== 0;
  const standard = !(hasNegative && hasPositive) && !(hasYearMonth && hasDayTime);
  let out = '';
  // The standard allows one sign, before the whole interval; mixed signs need one per part.
  if (hasNegative && standard) {
    out = '-';
    [year, mon, day, hour, min, sec, usec] = all.map((n) => -n || 0) as typeof all;
  }
  const mm = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  if (!hasNegative && !hasPositive) return '0';
  if (!standard) {
    const ys = year < 0 || mon < 0 ? '-' : '+';
    const ds = day < 0 ? '-' : '+';
    const ts = hour < 0 || min < 0 || sec < 0 || usec < 0 ? '-' : '+';
    return (
      `${ys}${Math.abs(year)}-${Math.abs(mon)} ${ds}${Math.abs(day)} ` +
      `${ts}${Math.abs(hour)}:${mm(min)}:${seconds(sec, usec, true)}`
    );
  }
  if (hasYearMonth) return `${out}${year}-${mon}`;
  const time = `${hour}:${mm(min)}:${seconds(sec, usec, true)}`;
  return day !== 0 ? `${out}${day} ${time}` : out + time;
}

function postgresVerbose(f: Fields): string {
  let out = '@';
  let isZero = true;
  let isBefore = false;
  // The first part's sign decides "ago"; later parts print relative to it.
  const part = (value: number, unit: string): void => {
    if (value === 0) return;
    if (isZero) {
      isBefore = value < 0;
      value = Math.abs(value);
    } else if (isBefore) value = -value;
    out += ` ${value} ${unit}${value === 1 ? '' : 's'}`;
    isZero = false;
  };
  part(f.year, 'year');
  part(f.mon, 'mon');
  part(f.day, 'day');
  part(f.hour, 'hour');
  part(f.min, 'min');
  const { sec, usec } = f;
  if (sec !== 0 || usec !== 0) {
    out += ' ';
    if (sec < 0 || (sec === 0 && usec < 0)) {
      if (isZero) isBefore = true;
      else if (!isBefore) out += '-';
    } else if (isBefore) out += '-';
    out += seconds(sec, usec, false) + ` sec${Math.abs(sec) !== 1 || usec !== 0 ? 's' : ''}`;
    isZero = false;
  }
  if (isZero) out += ' 0';
  if (isBefore) out += ' ago';
  return out;
}

/** formatIntervalStyled writes an interval's text in an IntervalStyle. */
export function formatIntervalStyled(v: string, style: IntervalStyle): string {
  switch (style) {
    case 'postgres':
      return formatInterval(v);
    case 'iso_8601':
      return iso8601(fieldsOf(v));
    case 'sql_standard':
      return sqlStandard(fieldsOf(v));
    case 'postgres_verbose':
      return postgresVerbose(fieldsOf(v));
  }
}
