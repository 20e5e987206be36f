/**
 * AT TIME ZONE (PostgreSQL's timezone(zone, value)): timestamptz AT TIME ZONE z is the wall-clock time in
 * z; timestamp AT TIME ZONE z is the instant that wall-clock time in z names (types/time-zone.ts, which
 * also says how a time a DST change skips or repeats resolves). The zone is text (types/zone-names.ts:
 * tz database names, POSIX zones such as '+05:30', which count hours west) or an interval (hours east).
 */
import { SqlError, SqlState } from '../errors.js';
import { decodeInterval } from '../types/interval.js';
import { sqlType, type SqlType, type TypeId } from '../types/sql-type.js';
import { fixedZone, instantOf, localOf, type TimeZone } from '../types/time-zone.js';
import { zoneNamed } from '../types/zone-names.js';
import type { FunctionDef } from './functions.js';

const T = (id: TypeId): SqlType => sqlType(id);

/** zoneOf reads AT TIME ZONE's zone argument (text or interval). */
function zoneOf(t: SqlType, v: string): TimeZone {
  if (t.id === 'interval') {
    const i = decodeInterval(v);
    if (i.months !== 0 || i.days !== 0)
      throw new SqlError(
        SqlState.INVALID_PARAMETER_VALUE,
        `interval time zone "${v}" must not include months or days`,
      );
    return fixedZone('', Number(i.micros / 1_000_000n));
  }
  return zoneNamed(v);
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
      impl: ([z, v]) => localOf(zoneOf(zt, z as string), v as bigint),
    };
  if (vt.id === 'timestamp')
    return {
      args: [zt, vt],
      result: T('timestamptz'),
      impl: ([z, v]) => instantOf(zoneOf(zt, z as string), v as bigint),
    };
  return undefined;
};
