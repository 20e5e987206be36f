/**
 * Arithmetic with dates, timestamps and intervals, with PostgreSQL's operator set: timestamp ± interval,
 * date ± interval (a timestamp), timestamp - timestamp (an interval), interval ± interval, interval × and ÷
 * a number; plus the interval and date functions age, justify_*, make_date, make_interval, to_timestamp.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import {
  daysFromCivil,
  civilFromDays,
  isInfiniteDate,
  isInfiniteTimestamp,
  MICROS_PER_DAY,
} from '../types/datetime.js';
import {
  addIntervals,
  age,
  decodeInterval,
  encodeInterval,
  justifyDays,
  justifyHours,
  justifyInterval,
  negateInterval,
  scaleInterval,
  timestampDiff,
  timestampPlusInterval,
} from '../types/interval.js';
import { isNumericType, sqlType, type SqlType, type TypeId, type Value } from '../types/sql-type.js';
import { coerce } from './coerce.js';
import { strictBinary } from './compile.js';
import type { Analyzer, Compiled } from './context.js';
import type { FunctionDef } from './functions.js';
import { toTimestampWithFormat } from './to-char.js';
import { timestamptzAge, timestamptzPlusInterval } from '../types/zoned-arith.js';
import { instantOf, localOf } from '../types/time-zone.js';

const INTERVAL = sqlType('interval');
const T = (id: TypeId): SqlType => sqlType(id);

function isTs(id: TypeId): boolean {
  return id === 'timestamp' || id === 'timestamptz';
}

function checkTimestamp(us: bigint): bigint {
  if (isInfiniteTimestamp(us)) return us;
  // PostgreSQL's range: 4714-11-24 BC .. 294276 AD.
  if (us < -211813488000000000n || us >= 9223371331200000000n)
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'timestamp out of range');
  return us;
}

/** compileDatetimeArith compiles l op r when an interval or timestamp is involved; undefined otherwise. */
export function compileDatetimeArith(
  an: Analyzer,
  op: string,
  l: Compiled,
  r: Compiled,
  loc: number,
): Compiled | undefined {
  const a = l.type.id;
  const b = r.type.id;
  if (op === '+' || op === '-') {
    const sign = op === '+' ? 1 : -1;
    if (op === '+' && ((a === 'date' && b === 'time') || (a === 'time' && b === 'date'))) {
      const [d, t] = a === 'date' ? [l, r] : [r, l];
      return strictBinary(T('timestamp'), d, t, (x, y) => {
        if (isInfiniteDate(x as number)) throw notSupported('adding a time to an infinite date');
        return checkTimestamp(BigInt(x as number) * MICROS_PER_DAY + BigInt(y as number));
      });
    }
    if (a === 'time' && b === 'interval')
      return strictBinary(l.type, l, r, (x, y) => {
        const us = (x as number) + sign * Number(decodeInterval(y as string).micros % MICROS_PER_DAY);
        return ((us % 86_400_000_000) + 86_400_000_000) % 86_400_000_000;
      });
    if (a === 'interval' && b === 'time' && op === '+')
      return strictBinary(r.type, l, r, (x, y) => {
        const us = (y as number) + Number(decodeInterval(x as string).micros % MICROS_PER_DAY);
        return ((us % 86_400_000_000) + 86_400_000_000) % 86_400_000_000;
      });
    if (a === 'time' && b === 'time' && op === '-')
      return strictBinary(INTERVAL, l, r, (x, y) =>
        encodeInterval({ months: 0, days: 0, micros: BigInt((x as number) - (y as number)) }),
      );
    if ((isTs(a) || a === 'date') && b === 'interval') {
      const left = a === 'date' ? coerce(an, l, T('timestamp'), 'implicit', loc) : l;
      if (left.type.id === 'timestamptz')
        return strictBinary(left.type, left, r, (x, y, ex) =>
          checkTimestamp(timestamptzPlusInterval(x as bigint, y as string, sign, ex.runtime.io.zone)),
        );
      return strictBinary(left.type, left, r, (x, y) =>
        checkTimestamp(timestampPlusInterval(x as bigint, y as string, sign)),
      );
    }
    if (a === 'interval' && (isTs(b) || b === 'date') && op === '+') {
      const right = b === 'date' ? coerce(an, r, T('timestamp'), 'implicit', loc) : r;
      if (right.type.id === 'timestamptz')
        return strictBinary(right.type, l, right, (x, y, ex) =>
          checkTimestamp(timestamptzPlusInterval(y as bigint, x as string, 1, ex.runtime.io.zone)),
        );
      return strictBinary(right.type, l, right, (x, y) =>
        checkTimestamp(timestampPlusInterval(y as bigint, x as string, 1)),
      );
    }
    if (a === 'interval' && b === 'interval')
      return strictBinary(INTERVAL, l, r, (x, y) => addIntervals(x as string, y as string, sign));
    if (op === '-' && isTs(a) && (isTs(b) || b === 'date')) {
      const t = a === 'timestamptz' || b === 'timestamptz' ? T('timestamptz') : T('timestamp');
      const x = coerce(an, l, t, 'implicit', loc);
      const y = coerce(an, r, t, 'implicit', loc);
      return strictBinary(INTERVAL, x, y, (p, q) => timestampDiff(p as bigint, q as bigint));
    }
    if (op === '-' && a === 'date' && isTs(b)) {
      const x = coerce(an, l, r.type, 'implicit', loc);
      return strictBinary(INTERVAL, x, r, (p, q) => timestampDiff(p as bigint, q as bigint));
    }
    return undefined;
  }
  if (op === '*' || op === '/') {
    if (a === 'interval' && isNumericType(b)) {
      const y = coerce(an, r, T('float8'), 'implicit', loc);
      return strictBinary(INTERVAL, l, y, (p, q) => {
        if (op === '/' && q === 0) throw new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
        return scaleInterval(p as string, op === '*' ? (q as number) : 1 / (q as number));
      });
    }
    if (op === '*' && b === 'interval' && isNumericType(a)) {
      const x = coerce(an, l, T('float8'), 'implicit', loc);
      return strictBinary(INTERVAL, x, r, (p, q) => scaleInterval(q as string, p as number));
    }
  }
  return undefined;
}

/** negateIntervalValue is unary minus on an interval. */
export function negateIntervalValue(v: Value): Value {
  return v === null ? null : negateInterval(v as string);
}

/** makeTimestamp is make_timestamp: a date as make_date, and a time of day (24:00:00 allowed, as PostgreSQL). */
function makeTimestamp(y: number, mo: number, d: number, h: number, mi: number, sec: number): bigint {
  const days = makeDate(y, mo, d);
  const us = Math.round(sec * 1e6);
  const total = (h * 60 + mi) * 60 * 1e6 + us;
  if (h < 0 || mi < 0 || mi > 59 || !(sec >= 0) || us > 60e6 || total > 86_400e6)
    throw new SqlError(
      SqlState.DATETIME_FIELD_OVERFLOW,
      `time field value out of range: ${h}:${pad(mi)}:${pad(Math.trunc(sec))}`,
    );
  return BigInt(days) * MICROS_PER_DAY + BigInt(total);
}

function makeDate(y: number, m: number, d: number): number {
  const year = y < 0 ? y + 1 : y;
  if (y === 0)
    throw new SqlError(
      SqlState.DATETIME_FIELD_OVERFLOW,
      `date field value out of range: ${y}-${pad(m)}-${pad(d)}`,
    );
  const days = daysFromCivil(year, m, d);
  const [cy, cm, cd] = civilFromDays(days);
  if (cy !== year || cm !== m || cd !== d)
    throw new SqlError(
      SqlState.DATETIME_FIELD_OVERFLOW,
      `date field value out of range: ${y}-${pad(m)}-${pad(d)}`,
    );
  return days;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

const tsArg = (t: SqlType | undefined): SqlType =>
  t === undefined || t.id === 'unknown' || t.id === 'date' ? T('timestamp') : t;

/** DATETIME_FUNCTIONS: registered into functions.ts's table. */
export const DATETIME_FUNCTIONS: Record<string, FunctionDef> = {
  age: (types) => {
    if (types.length === 2) {
      const t = types.some((x) => x.id === 'timestamptz') ? T('timestamptz') : tsArg(types[0]);
      if (!isTs(t.id) || !types.every((x) => isTs(x.id) || x.id === 'date' || x.id === 'unknown'))
        return undefined;
      if (t.id === 'timestamptz')
        return {
          args: [t, t],
          result: INTERVAL,
          impl: ([x, y], ex) => timestamptzAge(x as bigint, y as bigint, ex.runtime.io.zone),
        };
      return { args: [t, t], result: INTERVAL, impl: ([x, y]) => age(x as bigint, y as bigint) };
    }
    if (types.length === 1) {
      const t = tsArg(types[0]);
      if (!isTs(t.id)) return undefined;
      return {
        args: [t],
        result: INTERVAL,
        impl: ([x], ex) => {
          // Against midnight of today, in the session's zone.
          const zone = ex.runtime.io.zone;
          const midnight = (localOf(zone, ex.now) / MICROS_PER_DAY) * MICROS_PER_DAY;
          if (t.id === 'timestamptz') return timestamptzAge(instantOf(zone, midnight), x as bigint, zone);
          return age(midnight, x as bigint);
        },
      };
    }
    return undefined;
  },
  justify_days: (types) =>
    types.length === 1
      ? {
          args: [INTERVAL],
          result: INTERVAL,
          impl: ([v]) => encodeInterval(justifyDays(decodeInterval(v as string))),
        }
      : undefined,
  justify_hours: (types) =>
    types.length === 1
      ? {
          args: [INTERVAL],
          result: INTERVAL,
          impl: ([v]) => encodeInterval(justifyHours(decodeInterval(v as string))),
        }
      : undefined,
  justify_interval: (types) =>
    types.length === 1
      ? {
          args: [INTERVAL],
          result: INTERVAL,
          impl: ([v]) => encodeInterval(justifyInterval(decodeInterval(v as string))),
        }
      : undefined,
  make_date: (types) =>
    types.length === 3
      ? {
          args: [T('int4'), T('int4'), T('int4')],
          result: T('date'),
          impl: ([y, m, d]) => makeDate(y as number, m as number, d as number),
        }
      : undefined,
  make_timestamp: (types) =>
    types.length === 6
      ? {
          args: [T('int4'), T('int4'), T('int4'), T('int4'), T('int4'), T('float8')],
          result: T('timestamp'),
          impl: ([y, mo, d, h, mi, sec]) =>
            makeTimestamp(y as number, mo as number, d as number, h as number, mi as number, sec as number),
        }
      : undefined,
  to_timestamp: (types) =>
    types.length === 2
      ? toTimestampWithFormat(types)
      : types.length === 1 && (isNumericType(types[0]!.id) || types[0]!.id === 'unknown')
        ? {
            args: [T('float8')],
            result: T('timestamptz'),
            impl: ([s]) => {
              const x = s as number;
              if (!Number.isFinite(x)) throw notSupported('infinite timestamps');
              return checkTimestamp(BigInt(Math.round(x * 1e6)));
            },
          }
        : undefined,
};
