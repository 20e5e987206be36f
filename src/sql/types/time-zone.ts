/**
 * Time zones: how an instant (timestamptz, microseconds since 1970 UTC) maps to a wall-clock time
 * (timestamp) and back. The session's TimeZone and AT TIME ZONE both read zones through this interface;
 * named-zone.ts implements it from the tz database, zone-names.ts reads the names PostgreSQL accepts.
 */

/** TimeZone is a rule giving the offset from UTC at every instant. */
export interface TimeZone {
  /** name: the zone as SHOW TimeZone prints it. */
  readonly name: string;
  /** fixed: the offset (seconds east of UTC) of a zone that has only one, else undefined. */
  readonly fixed: number | undefined;
  /** offsetAt: seconds east of UTC at an instant (milliseconds since 1970 UTC). */
  offsetAt(utcMs: number): number;
}

/** fixedZone is a zone with one offset (seconds east of UTC). */
export function fixedZone(name: string, secondsEast: number): TimeZone {
  return { name, fixed: secondsEast, offsetAt: () => secondsEast };
}

/** UTC is the default session zone (every conversion through it is the identity). */
export const UTC: TimeZone = fixedZone('UTC', 0);

const US_PER_MS = 1000n;
// timestamptz's -infinity and infinity (datetime.ts's TS_NEG_INFINITY, TS_POS_INFINITY), which no zone moves.
const isInfiniteTimestamp = (us: bigint): boolean => us === -(2n ** 63n) || us === 2n ** 63n - 1n;
const US_PER_S = 1_000_000n;

/** offsetOf: the zone's offset (seconds east) at an instant given in microseconds. */
export function offsetOf(zone: TimeZone, utcUs: bigint): number {
  if (zone.fixed !== undefined) return zone.fixed;
  // Floor to the millisecond: an instant just before a change must not round onto it.
  const ms = utcUs / US_PER_MS - (utcUs % US_PER_MS < 0n ? 1n : 0n);
  return zone.offsetAt(Number(ms));
}

/** localOf: the wall-clock time (timestamp) of an instant (timestamptz) in a zone. */
export function localOf(zone: TimeZone, utcUs: bigint): bigint {
  if (zone.fixed === 0 || isInfiniteTimestamp(utcUs)) return utcUs;
  return utcUs + BigInt(offsetOf(zone, utcUs)) * US_PER_S;
}

/** PROBE_MS: how far either side of a wall-clock time to look for the offsets before and after a change. */
const PROBE_MS = 12 * 3_600_000;

/**
 * instantOf: the instant (timestamptz) a wall-clock time (timestamp) names in a zone. A time a change
 * skips or repeats resolves as PostgreSQL's DetermineTimeZoneOffset does: of the two readings (the
 * offsets before and after the change) the later instant, which is the smaller offset: before a
 * spring-forward change, after a fall-back one.
 */
export function instantOf(zone: TimeZone, localUs: bigint): bigint {
  if (zone.fixed !== undefined)
    return zone.fixed === 0 || isInfiniteTimestamp(localUs)
      ? localUs
      : localUs - BigInt(zone.fixed) * US_PER_S;
  if (isInfiniteTimestamp(localUs)) return localUs;
  const localMs = Number(localUs / US_PER_MS);
  const guess = localMs - zone.offsetAt(localMs) * 1000;
  const before = zone.offsetAt(guess - PROBE_MS);
  const after = zone.offsetAt(guess + PROBE_MS);
  const fits = (off: number): boolean => zone.offsetAt(localMs - off * 1000) === off;
  const fb = fits(before);
  const fa = fits(after);
  const offset = fb && !fa ? before : fa && !fb ? after : Math.min(before, after);
  return localUs - BigInt(offset) * US_PER_S;
}

/**
 * formatOffset writes an offset as timestamptz output ends: +HH, +HH:MM or +HH:MM:SS (sign always,
 * minutes and seconds only when not zero).
 */
export function formatOffset(secondsEast: number): string {
  const a = Math.abs(secondsEast);
  const h = Math.floor(a / 3600);
  const m = Math.floor(a / 60) % 60;
  const s = a % 60;
  let out = (secondsEast < 0 ? '-' : '+') + (h < 10 ? '0' : '') + h;
  if (m !== 0 || s !== 0) out += ':' + (m < 10 ? '0' : '') + m;
  if (s !== 0) out += ':' + (s < 10 ? '0' : '') + s;
  return out;
}
