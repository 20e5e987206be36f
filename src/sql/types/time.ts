/**
 * The time type (time without time zone): microseconds since midnight, 0 ..= 24:00:00, as a JavaScript
 * number. Input takes HH:MM[:SS[.ffffff]] with an optional AM/PM, or the time part of a date and time;
 * output is HH:MM:SS[.ffffff].
 */
import { SqlError, SqlState } from '../errors.js';

/** MICROS_PER_DAY_NUMBER: microseconds in a day, as a number (times are numbers). */
export const MICROS_PER_DAY_NUMBER = 86_400_000_000;

/** parseTime reads time input text. */
export function parseTime(text: string): number {
  const s = text.trim().toLowerCase();
  if (s === 'allballs') return 0;
  const m =
    /^(?:\d{4,}-\d{1,2}-\d{1,2}(?:\s+|t))?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?\s*(am|pm)?\s*(?:z|utc|[+-]\d{1,2}(?::?\d{2})?)?$/.exec(
      s,
    );
  if (m === null)
    throw new SqlError(SqlState.INVALID_DATETIME_FORMAT, `invalid input syntax for type time: "${text}"`);
  let h = Number(m[1]);
  const mi = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  if (m[5] !== undefined) {
    if (h < 1 || h > 12) throw range(text);
    h = (h % 12) + (m[5] === 'pm' ? 12 : 0);
  }
  const frac = (m[4] ?? '').padEnd(7, '0');
  let us = Number(frac.slice(0, 6));
  if (Number(frac[6]) >= 5) us += 1;
  if (h > 24 || mi > 59 || sec > 60) throw range(text);
  const v = (h * 3600 + mi * 60 + sec) * 1e6 + us;
  if (v > MICROS_PER_DAY_NUMBER) throw range(text);
  return v;
}

function range(text: string): SqlError {
  return new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
}

/** formatTime writes HH:MM:SS[.ffffff]. */
export function formatTime(us: number): string {
  const secs = Math.floor(us / 1e6);
  const frac = us % 1e6;
  const two = (n: number): string => String(n).padStart(2, '0');
  const t = `${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}`;
  return frac === 0 ? t : `${t}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

/** roundTime applies a time(p) typmod (half away from zero). */
export function roundTime(us: number, typmod: number): number {
  if (typmod < 0 || typmod >= 6) return us;
  const scale = 10 ** (6 - typmod);
  return Math.floor((us + scale / 2) / scale) * scale;
}
