/**
 * Named time zones (Europe/Oslo) through the tz database that Node's Intl carries. Intl is slow (a
 * formatToParts call per offset), so each zone keeps what it learnt per UTC day: the offset, or the
 * instant of the one change that day and the offsets either side of it.
 */
import { notSupported } from '../errors.js';
import type { TimeZone } from './time-zone.js';

/** EPOCH_MARGIN_MS: a day after 1970-01-01, so that no offset of a time near it reaches before it. */
const EPOCH_MARGIN_MS = 86_400_000;
/** MAX_MS: the last instant a JavaScript Date holds (year 275760). */
const MAX_MS = 8.64e15;
const DAY_MS = 86_400_000;
/** MAX_DAYS_CACHED: a zone forgets its days beyond this many (about 270 years of distinct days). */
const MAX_DAYS_CACHED = 100_000;

/** Day is what a zone knows of one UTC day: before `change` (ms) the offset is `before`, then `after`. */
interface Day {
  readonly change: number;
  readonly before: number;
  readonly after: number;
}

/** intlOffset reads a zone's offset (seconds east) at a whole second from Intl's wall-clock fields. */
function intlOffset(fmt: Intl.DateTimeFormat, ms: number): number {
  // Before 1970 the tz database keeps some zones' history apart (backzone) and Node's copy may not:
  // Europe/Amsterdam in 1900 was +00:19:32 in PostgreSQL's and +00 in Node's.
  if (ms < EPOCH_MARGIN_MS) throw notSupported('a named time zone before 1970');
  if (ms > MAX_MS) throw notSupported('a named time zone after year 275759');
  const parts = fmt.formatToParts(new Date(ms));
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
    }
  }
  return Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - ms) / 1000);
}

/** formatterFor makes Intl's formatter for a zone (throws RangeError for a name Intl does not know). */
export function formatterFor(name: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/** namedZone is the zone `id` (a name Intl knows), shown as `name`. */
export function namedZone(name: string, id: string): TimeZone {
  const fmt = formatterFor(id);
  const days = new Map<number, Day>();
  const learn = (day: number): Day => {
    const start = day * DAY_MS;
    const end = start + DAY_MS - 1000;
    const before = intlOffset(fmt, start);
    const after = intlOffset(fmt, end);
    let change = Infinity;
    if (before !== after) {
      // The first whole second with the later offset (changes fall on whole seconds).
      let lo = start;
      let hi = end;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (intlOffset(fmt, mid) === before) lo = mid;
        else hi = mid;
      }
      change = hi;
    }
    if (days.size >= MAX_DAYS_CACHED) days.clear();
    const d = { change, before, after };
    days.set(day, d);
    return d;
  };
  return {
    name,
    fixed: undefined,
    offsetAt(utcMs) {
      const day = Math.floor(utcMs / DAY_MS);
      const d = days.get(day) ?? learn(day);
      return utcMs < d.change ? d.before : d.after;
    },
  };
}
