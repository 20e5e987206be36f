/**
 * Calendar arithmetic on timestamptz, which PostgreSQL does in wall-clock time of a zone (the session's
 * unless given): adding a month or a day keeps the time of day across a DST change (so a day may be 23
 * or 25 hours), while the interval's time part is added to the instant.
 */
import { encodeInterval, decodeInterval, timestampPlusInterval, age } from './interval.js';
import { instantOf, localOf, offsetOf, type TimeZone } from './time-zone.js';

const INFINITE = (us: bigint): boolean => us === -(2n ** 63n) || us === 2n ** 63n - 1n;

/**
 * timestamptzPlusInterval is timestamptz_pl_interval (sign -1: minus): the months in wall-clock time,
 * resolved to an instant; then the days, likewise; then the time.
 */
export function timestamptzPlusInterval(us: bigint, iv: string, sign: 1 | -1, zone: TimeZone): bigint {
  if (INFINITE(us)) return us;
  const i = decodeInterval(iv);
  if (zone.fixed !== undefined) return timestampPlusInterval(us, iv, sign);
  let t = us;
  if (i.months !== 0)
    t = instantOf(
      zone,
      timestampPlusInterval(localOf(zone, t), encodeInterval({ ...i, days: 0, micros: 0n }), sign),
    );
  if (i.days !== 0)
    t = instantOf(
      zone,
      timestampPlusInterval(localOf(zone, t), encodeInterval({ ...i, months: 0, micros: 0n }), sign),
    );
  return t + BigInt(sign) * i.micros;
}

/** timestamptzAge is age(timestamptz, timestamptz): the field differences of the two wall-clock times. */
export function timestamptzAge(a: bigint, b: bigint, zone: TimeZone): string {
  return age(localOf(zone, a), localOf(zone, b));
}

/** DAY_OR_LONGER: date_trunc units that start at midnight, whose offset is looked up again. */
const DAY_OR_LONGER = new Set(['day', 'week', 'month', 'quarter', 'year', 'decade', 'century', 'millennium']);

/**
 * timestamptzTrunc is date_trunc on a timestamptz: `trunc` (the timestamp version) applied to the
 * wall-clock time. As timestamptz_trunc_internal, a unit of a day or more finds the offset of the new
 * time (midnight may be on the other side of a change); a smaller unit keeps the original offset.
 */
export function timestamptzTrunc(
  unit: string,
  us: bigint,
  zone: TimeZone,
  trunc: (unit: string, local: bigint) => bigint,
): bigint {
  if (INFINITE(us)) return us;
  const offset = offsetOf(zone, us);
  const local = trunc(unit, us + BigInt(offset) * 1_000_000n);
  return DAY_OR_LONGER.has(unit.toLowerCase()) ? instantOf(zone, local) : local - BigInt(offset) * 1_000_000n;
}
