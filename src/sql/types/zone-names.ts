/**
 * The time zone names PostgreSQL 15 accepts, read as it reads them. SET TIME ZONE (check_timezone) takes
 * a number of hours east ('-8', 5.5), INTERVAL '+05:30', a tz database name ('Europe/Oslo', found
 * case-insensitively), or a POSIX zone ('UTC+3', '+05:30'), whose offsets count hours WEST of UTC: so
 * '+05:30' is five and a half hours behind UTC while 5.5 is ahead. AT TIME ZONE takes the last two.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { decodeInterval, parseInterval } from './interval.js';
import { formatterFor, namedZone } from './named-zone.js';
import { fixedZone, UTC, type TimeZone } from './time-zone.js';

/** ICU_ONLY: names Intl accepts that are not tz database zones (ICU's old three-letter ids). */
const ICU_ONLY = new Set(
  'ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST PLT PNT PRT PST SST VST'.split(
    ' ',
  ),
);

/** MAX_POSIX_HOURS: the largest hour a POSIX offset may have (the tz code's HOURSPERDAY * DAYSPERWEEK - 1). */
const MAX_POSIX_HOURS = 167;

let spellings: Map<string, string> | undefined;

/**
 * spelling: the tz database's spelling of a name (PostgreSQL shows the file name it found): Intl's for
 * the names it lists; for others (links such as US/Eastern, and names ICU lists under an older spelling,
 * Asia/Kathmandu) the name as written, or capitalised by word when written all in lower case.
 */
function spelling(name: string): string {
  spellings ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  const listed = spellings.get(name.toLowerCase());
  if (listed !== undefined) return listed;
  if (name !== name.toLowerCase()) return name;
  if (/^[a-z]{3}\d[a-z]{3}$/.test(name)) return name.toUpperCase(); // EST5EDT
  return name.replace(/[a-z]+/g, (w, at: number) =>
    UPPER_WORDS.has(w)
      ? w.toUpperCase()
      : at > 0 && name[at - 1] === '-' && /^(au|de|es)$/.test(w)
        ? w // Port-au-Prince
        : w[0]!.toUpperCase() + w.slice(1),
  );
}

/** UPPER_WORDS: words the tz database spells in capitals (Etc/UTC, US/Eastern, NZ-CHAT, W-SU). */
const UPPER_WORDS = new Set(
  'utc gmt uct us est mst hst cet eet met wet gb nz prc roc rok chat su w'.split(' '),
);

const zones = new Map<string, TimeZone | null>();
const MAX_ZONES_CACHED = 1000;

/** tzdbZone: a tz database zone by name, or undefined (cached: making Intl's formatter is costly). */
function tzdbZone(name: string): TimeZone | undefined {
  const key = name.toLowerCase();
  let z = zones.get(key);
  if (z === undefined) {
    z = null;
    if (!ICU_ONLY.has(name.toUpperCase()) && !/^\s|\s$/.test(name)) {
      try {
        const id = formatterFor(name).resolvedOptions().timeZone;
        const shown = spelling(name);
        z = id === 'UTC' || id === 'Etc/UTC' ? fixedZone(shown, 0) : namedZone(shown, name);
      } catch {
        // Not a name Intl knows.
      }
    }
    // Names come from clients: forget them all rather than grow without bound.
    if (zones.size >= MAX_ZONES_CACHED) zones.clear();
    zones.set(key, z);
  }
  return z ?? undefined;
}

/**
 * posixZone reads a POSIX zone without daylight-saving rules: an optional name (letters, or anything in
 * <>), then [+-]hh[:mm[:ss]] hours west of UTC. Returns undefined when the text is not one; throws 0A000
 * for one with a daylight-saving part ('EST5EDT,M3.2.0,M11.1.0' style, unless it is a tz database name).
 */
function posixZone(text: string): { secondsEast: number; seconds: boolean } | undefined {
  const m = /^(<[^>]*>|[A-Za-z]*)([+-]?)(\d{1,3})(?::(\d{1,2})(?::(\d{1,2}))?)?(.*)$/.exec(text);
  if (m === null) return undefined;
  if (m[6] !== '') {
    if (/^(<[^>]*>|[A-Za-z]{3,})/.test(m[6]!))
      throw notSupported(`time zone "${text}" (POSIX daylight-saving rules)`);
    return undefined;
  }
  const h = Number(m[3]);
  const mi = Number(m[4] ?? 0);
  const s = Number(m[5] ?? 0);
  if (h > MAX_POSIX_HOURS || mi > 59 || s > 59) return undefined;
  const west = h * 3600 + mi * 60 + s;
  return { secondsEast: m[2] === '-' ? west : -west || 0, seconds: s !== 0 };
}

/** tzset is PostgreSQL's pg_tzset: a tz database name or a POSIX zone, or undefined. */
function tzset(text: string): TimeZone | undefined {
  if (text.toUpperCase() === 'GMT') return fixedZone('GMT', 0);
  const z = tzdbZone(text);
  if (z !== undefined) return z;
  const p = posixZone(text);
  if (p === undefined) return undefined;
  if (p.seconds)
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${text}" appears to use leap seconds`, {
      detail: 'PostgreSQL does not support leap seconds.',
    });
  return fixedZone(text.toUpperCase(), p.secondsEast);
}

/** offsetZone is pg_tzset_offset: a zone `secondsEast` ahead of UTC, named as POSIX writes it. */
function offsetZone(secondsEast: number, value: string): TimeZone {
  const a = Math.abs(secondsEast);
  if (Math.floor(a / 3600) > MAX_POSIX_HOURS)
    throw invalidZone(value, 'UTC timezone offset is out of range.');
  const two = (n: number): string => String(n).padStart(2, '0');
  let hms = two(Math.floor(a / 3600));
  if (a % 3600 !== 0) hms += ':' + two(Math.floor(a / 60) % 60);
  if (a % 60 !== 0) hms += ':' + two(a % 60);
  // POSIX counts west: <+05:30>-05:30 is 5.5 hours east.
  const name = secondsEast < 0 ? `<-${hms}>+${hms}` : `<+${hms}>-${hms}`;
  return fixedZone(name, secondsEast);
}

function invalidZone(value: string, detail?: string): SqlError {
  return new SqlError(
    SqlState.INVALID_PARAMETER_VALUE,
    `invalid value for parameter "TimeZone": "${value}"`,
    detail === undefined ? {} : { detail },
  );
}

const NUMBER_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** sessionZone reads a value of the TimeZone setting (check_timezone); 22023 when it names no zone. */
export function sessionZone(value: string): TimeZone {
  if (value === 'UTC') return UTC;
  const iv = /^interval\s*'([^']*)'$/i.exec(value);
  if (iv !== null) {
    const i = decodeInterval(parseInterval(iv[1]!));
    if (i.months !== 0) throw invalidZone(value, 'Cannot specify months in time zone interval.');
    if (i.days !== 0) throw invalidZone(value, 'Cannot specify days in time zone interval.');
    return offsetZone(Number(i.micros / 1_000_000n), value);
  }
  if (NUMBER_RE.test(value)) return offsetZone(Math.trunc(Number(value) * 3600) || 0, value);
  const z = tzset(value);
  if (z === undefined) throw invalidZone(value);
  return z;
}

/**
 * zoneNamed reads AT TIME ZONE's text argument. PostgreSQL looks the text up in its abbreviation table
 * first (CET is a fixed +01 there, not Central European time with DST), which shale does not have: such
 * names, other than UTC's, are 0A000 rather than risk another reading.
 */
export function zoneNamed(text: string): TimeZone {
  if (/^[A-Za-z]+$/.test(text) && !/^(utc|gmt|z|zulu|universal|uct)$/i.test(text))
    throw notSupported(`time zone "${text}" (time zone abbreviations)`);
  if (/^z$/i.test(text)) return UTC;
  const z = tzset(text);
  if (z === undefined)
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${text}" not recognized`);
  return z;
}

const GMT_NAMES = /^(etc\/)?(gmt|gmt0|gmt[+-]0|greenwich)$/i;

/**
 * zoneAbbreviation: the abbreviation to_char's TZ prints for a zone at an instant: a fixed zone's POSIX
 * name (<+05:30>-05:30 is "+05:30", UTC+3 "UTC"), UTC or GMT, or the tz database's (EDT) when Intl has
 * it; undefined when Intl only knows it as an offset (GMT+2 for CEST, whose name shale cannot tell).
 */
export function zoneAbbreviation(zone: TimeZone, utcMs: number): string | undefined {
  if (zone.fixed !== undefined) {
    const posix = /^(<([^>]*)>|([A-Za-z]*))[+-]?\d/.exec(zone.name);
    if (posix !== null) return posix[2] ?? posix[3];
    return GMT_NAMES.test(zone.name) ? 'GMT' : 'UTC';
  }
  zone.offsetAt(utcMs); // the same range checks as the offset
  const short = new Intl.DateTimeFormat('en-US', { timeZone: zone.name, timeZoneName: 'short' })
    .formatToParts(new Date(utcMs))
    .find((p) => p.type === 'timeZoneName')?.value;
  return short !== undefined && /^[A-Z]{3,5}$/.test(short) && short !== 'GMT' ? short : undefined;
}
