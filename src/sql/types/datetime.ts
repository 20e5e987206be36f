/**
 * date, timestamp and timestamptz in ISO form (DateStyle ISO, MDY): dates are days since 1970-01-01,
 * timestamps microseconds since 1970-01-01 00:00:00 (timestamptz: UTC, shown in the session's time zone).
 */
import { SqlError, SqlState } from '../errors.js';
import { formatOffset, instantOf, offsetOf, type TimeZone } from './time-zone.js';
import { zoneNamed } from './zone-names.js';

const US_PER_DAY = 86_400_000_000n;

/** daysFromCivil: days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** civilFromDays: the inverse of daysFromCivil. */
export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const DATETIME_RE =
  /^\s*(\d{4,})-(\d{1,2})-(\d{1,2})(?:(?:[T ]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|UTC|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z][\w+-]*(?:\/[\w+-]+)+)?\s*(BC)?\s*$/i;

interface Parts {
  days: number;
  micros: bigint;
  offsetMinutes: number;
  /** zone: a zone named in the text (Europe/Oslo), whose offset at that time applies. */
  zone: string | undefined;
  /** zoneWritten: the text gave a zone or offset (else timestamptz input takes the session's zone). */
  zoneWritten: boolean;
  hasTime: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthNumber(word: string): number | undefined {
  const w = word.toLowerCase().replace(/\.$/, '');
  const full = [
    'january',
    'february',
    'march',
    'april',
    'may',
    'june',
    'july',
    'august',
    'september',
    'october',
    'november',
    'december',
  ];
  const i = w.length === 3 ? MONTHS.indexOf(w) : full.indexOf(w === 'sept' ? 'september' : w);
  return i < 0 ? undefined : i + 1;
}

/**
 * isoDate rewrites the other date spellings PostgreSQL accepts (DateStyle ISO, MDY) into YYYY-MM-DD:
 * 20240102, Jan 2, 2024 / January 2 2024 / 2 Jan 2024, 1/2/2024 and 1-2-2024 (month first), 2024/01/02;
 * and moves a BC written before the time to the end.
 */
function isoDate(text: string): string {
  let s = text.trim();
  const bc = /^(\S+(?:\s+\S+)??)\s+BC\s+(\d.*)$/i.exec(s);
  if (bc !== null) s = `${bc[1]} ${bc[2]} BC`;
  let m = /^(\d{4})(\d{2})(\d{2})(?=$|[T\s])/.exec(s);
  if (m !== null) return `${m[1]}-${m[2]}-${m[3]}${s.slice(m[0].length)}`;
  m = /^([A-Za-z]+\.?)\s*[-\s]\s*(\d{1,2}),?\s*[-\s]\s*(\d{1,})(?=$|\s)/.exec(s);
  if (m !== null && monthNumber(m[1]!) !== undefined)
    return `${m[3]!.padStart(4, '0')}-${monthNumber(m[1]!)}-${m[2]}${s.slice(m[0].length)}`;
  m = /^(\d{1,2})\s*[-\s]\s*([A-Za-z]+\.?),?\s*[-\s]\s*(\d{1,})(?=$|\s)/.exec(s);
  if (m !== null && monthNumber(m[2]!) !== undefined)
    return `${m[3]!.padStart(4, '0')}-${monthNumber(m[2]!)}-${m[1]}${s.slice(m[0].length)}`;
  m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?=$|\s)/.exec(s);
  if (m !== null) return `${m[3]}-${m[1]}-${m[2]}${s.slice(m[0].length)}`;
  m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?=$|\s)/.exec(s);
  if (m !== null) return `${m[1]}-${m[2]}-${m[3]}${s.slice(m[0].length)}`;
  return s;
}

function parseParts(text: string, typeName: string): Parts {
  const lower = text.trim().toLowerCase();
  if (lower === 'epoch')
    return { days: 0, micros: 0n, offsetMinutes: 0, zone: undefined, zoneWritten: true, hasTime: true };
  const m = DATETIME_RE.exec(isoDate(text));
  if (m === null)
    throw new SqlError(
      SqlState.INVALID_DATETIME_FORMAT,
      `invalid input syntax for type ${typeName}: "${text}"`,
    );
  let y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (m[9] !== undefined) y = 1 - y;
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const monthDays = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > monthDays[mo - 1]! || h > 24 || mi > 59 || s > 60)
    throw new SqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
  const fracText = (m[7] ?? '').padEnd(7, '0');
  // Round to microseconds as PostgreSQL does (half up on the seventh digit).
  let frac = BigInt(fracText.slice(0, 6));
  if (Number(fracText[6]) >= 5) frac += 1n;
  let offsetMinutes = 0;
  const zone = m[8];
  const named = zone !== undefined && zone.includes('/');
  if (zone !== undefined && !named && !/^(z|utc)$/i.test(zone)) {
    const zm = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone)!;
    offsetMinutes = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * 60 + Number(zm[3] ?? 0));
  }
  const micros = BigInt(h * 3600 + mi * 60 + s) * 1_000_000n + frac;
  return {
    days: daysFromCivil(y, mo, d),
    micros,
    offsetMinutes,
    zone: named ? zone : undefined,
    zoneWritten: zone !== undefined,
    hasTime: m[4] !== undefined || zone !== undefined,
  };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** DATE_NEG_INFINITY, DATE_POS_INFINITY: the dates -infinity and infinity (PostgreSQL's int32 extremes). */
export const DATE_NEG_INFINITY = -2147483648;
export const DATE_POS_INFINITY = 2147483647;
/** TS_NEG_INFINITY, TS_POS_INFINITY: the timestamps -infinity and infinity (int64 extremes). */
export const TS_NEG_INFINITY = -(2n ** 63n);
export const TS_POS_INFINITY = 2n ** 63n - 1n;

/** isInfiniteDate / isInfiniteTimestamp: the special values. */
export function isInfiniteDate(d: number): boolean {
  return d === DATE_NEG_INFINITY || d === DATE_POS_INFINITY;
}
export function isInfiniteTimestamp(us: bigint): boolean {
  return us === TS_NEG_INFINITY || us === TS_POS_INFINITY;
}

/** infinitySign: 1 for 'infinity', -1 for '-infinity', 0 otherwise. */
function infinitySign(text: string): number {
  const t = text.trim().toLowerCase();
  return t === 'infinity' || t === '+infinity' ? 1 : t === '-infinity' ? -1 : 0;
}

/** parseDate reads date input (a time part, if any, is dropped as PostgreSQL does). */
export function parseDate(text: string): number {
  const inf = infinitySign(text);
  if (inf !== 0) return inf > 0 ? DATE_POS_INFINITY : DATE_NEG_INFINITY;
  return parseParts(text, 'date').days;
}

/** parseTimestamp reads timestamp input; a zone, if written, is ignored (timestamp without time zone). */
export function parseTimestamp(text: string): bigint {
  const inf = infinitySign(text);
  if (inf !== 0) return inf > 0 ? TS_POS_INFINITY : TS_NEG_INFINITY;
  const p = parseParts(text, 'timestamp without time zone');
  return BigInt(p.days) * US_PER_DAY + p.micros;
}

/** parseTimestamptz reads timestamptz input; a time without a zone is wall-clock time in `zone`. */
export function parseTimestamptz(text: string, zone: TimeZone): bigint {
  const inf = infinitySign(text);
  if (inf !== 0) return inf > 0 ? TS_POS_INFINITY : TS_NEG_INFINITY;
  const p = parseParts(text, 'timestamp with time zone');
  const local = BigInt(p.days) * US_PER_DAY + p.micros;
  if (p.zone !== undefined) return instantOf(zoneNamed(p.zone), local);
  if (!p.zoneWritten) return instantOf(zone, local);
  return local - BigInt(p.offsetMinutes) * 60_000_000n;
}

/** formatDate writes YYYY-MM-DD (with " BC" before year 1). */
export function formatDate(days: number): string {
  if (isInfiniteDate(days)) return days > 0 ? 'infinity' : '-infinity';
  const [y, m, d] = civilFromDays(days);
  return `${yearText(y)}-${pad2(m)}-${pad2(d)}${y <= 0 ? ' BC' : ''}`;
}

/**
 * formatTimestamp writes YYYY-MM-DD HH:MM:SS[.ffffff] (trailing zeros of the fraction dropped); with a
 * zone (timestamptz), the wall-clock time there and its offset (+00, -05:30).
 */
export function formatTimestamp(us: bigint, zone?: TimeZone): string {
  if (isInfiniteTimestamp(us)) return us > 0n ? 'infinity' : '-infinity';
  let offset = '';
  if (zone !== undefined) {
    // UTC, the default, costs nothing more than it did before time zones.
    const secs = zone.fixed === 0 ? 0 : offsetOf(zone, us);
    if (secs === 0) offset = '+00';
    else {
      offset = formatOffset(secs);
      us += BigInt(secs) * 1_000_000n;
    }
  }
  let days = us / US_PER_DAY;
  let rest = us % US_PER_DAY;
  if (rest < 0n) {
    rest += US_PER_DAY;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const secs = Number(rest / 1_000_000n);
  const frac = Number(rest % 1_000_000n);
  const time = `${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}`;
  const f = frac === 0 ? '' : '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  return `${yearText(y)}-${pad2(mo)}-${pad2(d)} ${time}${f}${offset}${y <= 0 ? ' BC' : ''}`;
}

function yearText(y: number): string {
  return String(y <= 0 ? 1 - y : y).padStart(4, '0');
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** roundTimestamp applies a timestamp(p) typmod: rounds to p fractional digits, half away from zero. */
export function roundTimestamp(us: bigint, typmod: number): bigint {
  if (typmod < 0 || typmod >= 6 || isInfiniteTimestamp(us)) return us;
  const scale = 10n ** BigInt(6 - typmod);
  const half = scale / 2n;
  return us >= 0n ? ((us + half) / scale) * scale : -(((-us + half) / scale) * scale);
}

/** US_PER_DAY_BIG: microseconds in a day. */
export const MICROS_PER_DAY = US_PER_DAY;
