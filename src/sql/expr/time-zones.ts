/**
 * AT TIME ZONE (PostgreSQL's timezone(zone, value)) for named time zones, through the tz database that
 * Node's Intl carries, and for interval offsets. timestamptz AT TIME ZONE z is the wall-clock time in z;
 * timestamp AT TIME ZONE z is the instant that wall-clock time in z names. A wall-clock time that a DST
 * change skips or repeats resolves as PostgreSQL's DetermineTimeZoneOffset does: the offset from before a
 * spring-forward change, the one from after a fall-back change.
 *
 * Zone names are accepted as Area/Location (and UTC/GMT); PostgreSQL reads other names through its
 * abbreviation table first (CET is a fixed +01 there, not Central European time with DST) and offsets
 * such as '+05:30' the POSIX way round, so those are 0A000 rather than risk another reading; so are named
 * zones before 1970, where Node's tz data may lack history that PostgreSQL's has.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { isInfiniteTimestamp } from '../types/datetime.js';
import { decodeInterval } from '../types/interval.js';
import { sqlType, type SqlType, type TypeId } from '../types/sql-type.js';
import type { FunctionDef } from './functions.js';

const T = (id: TypeId): SqlType => sqlType(id);

const UTC_NAMES = new Set(['utc', 'gmt', 'z', 'zulu', 'etc/utc', 'etc/gmt', 'universal', 'etc/universal']);

/** ZoneOffset: seconds east of UTC at an instant (UTC milliseconds). */
type ZoneOffset = (utcMs: number) => number;

/** EPOCH_MARGIN_MS: a day after 1970-01-01, so that no offset of a time near it reaches before it. */
const EPOCH_MARGIN_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function namedZone(name: string): ZoneOffset {
  let f = formatters.get(name);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${name}" not recognized`);
    }
    formatters.set(name, f);
  }
  const fmt = f;
  return (utcMs) => {
    // Before 1970 the tz database keeps some zones' history apart (backzone) and Node's copy may not:
    // Europe/Amsterdam in 1900 was +00:19:32 in PostgreSQL's and +00 in Node's.
    if (utcMs < EPOCH_MARGIN_MS) throw notSupported('AT TIME ZONE with a named zone before 1970');
    const wholeMs = Math.floor(utcMs / 1000) * 1000;
    const parts = fmt.formatToParts(new Date(wholeMs));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
    if (parts.find((p) => p.type === 'era')?.value !== 'AD') throw notSupported('AT TIME ZONE before year 1');
    const local = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    // Date.UTC reads years 0..99 as 1900..1999.
    const fixed = get('year') < 100 ? new Date(local).setUTCFullYear(get('year')) : local;
    return Math.round((fixed - wholeMs) / 1000);
  };
}

/** zoneOf reads AT TIME ZONE's zone argument (text or interval). */
function zoneOf(t: SqlType, v: string): ZoneOffset {
  if (t.id === 'interval') {
    const i = decodeInterval(v);
    if (i.months !== 0 || i.days !== 0)
      throw new SqlError(
        SqlState.INVALID_PARAMETER_VALUE,
        `interval time zone "${v}" must not include months or days`,
      );
    const secs = Number(i.micros) / 1e6;
    return () => secs;
  }
  const name = v.trim();
  if (UTC_NAMES.has(name.toLowerCase())) return () => 0;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/.test(name))
    throw notSupported(`time zone "${name}" (only Area/Location names, UTC and interval offsets)`);
  return namedZone(name);
}

const MICROS_PER_MS = 1000n;

/** toLocal: the wall-clock time (timestamp) of an instant (timestamptz) in a zone. */
function toLocal(utc: bigint, zone: ZoneOffset): bigint {
  if (isInfiniteTimestamp(utc)) return utc;
  return utc + BigInt(zone(Number(utc / MICROS_PER_MS))) * 1_000_000n;
}

/** toInstant: the instant (timestamptz) a wall-clock time (timestamp) names in a zone. */
function toInstant(local: bigint, zone: ZoneOffset): bigint {
  if (isInfiniteTimestamp(local)) return local;
  const localMs = Number(local / MICROS_PER_MS);
  const guess = localMs - zone(localMs) * 1000;
  const before = zone(guess - 12 * 3_600_000);
  const after = zone(guess + 12 * 3_600_000);
  const fits = (off: number): boolean => zone(localMs - off * 1000) === off;
  const offset =
    fits(before) && !fits(after)
      ? before
      : fits(after) && !fits(before)
        ? after
        : before <= after
          ? before
          : after;
  return local - BigInt(offset) * 1_000_000n;
}

/** timezoneDef: timezone(zone, timestamp) and timezone(zone, timestamptz), i.e. AT TIME ZONE. */
export const timezoneDef: FunctionDef = (types) => {
  if (types.length !== 2) return undefined;
  const zt = types[0]!.id === 'unknown' ? T('text') : types[0]!;
  if (zt.id !== 'text' && zt.id !== 'varchar' && zt.id !== 'interval') return undefined;
  const vt = types[1]!.id === 'unknown' || types[1]!.id === 'date' ? T('timestamptz') : types[1]!;
  if (vt.id === 'timestamptz')
    return {
      args: [zt, vt],
      result: T('timestamp'),
      impl: ([z, v]) => toLocal(v as bigint, zoneOf(zt, z as string)),
    };
  if (vt.id === 'timestamp')
    return {
      args: [zt, vt],
      result: T('timestamptz'),
      impl: ([z, v]) => toInstant(v as bigint, zoneOf(zt, z as string)),
    };
  return undefined;
};
