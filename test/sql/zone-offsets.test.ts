/**
 * Time zones below SQL: offsets at and around DST changes (named-zone.ts caches them per UTC day and finds
 * each change by bisection, so the tests sit on both sides of changes), how wall-clock times that a change
 * skips or repeats resolve (PostgreSQL 15's choice, checked by hand against it: '2024-03-10 02:30' in
 * America/New_York is 03:30-04, '2024-11-03 01:30' is 01:30-05), how SET TIME ZONE reads names, and
 * timestamptz text round trips in any zone.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SqlError } from '../../src/sql/errors.js';
import {
  formatOffset,
  instantOf,
  localOf,
  offsetOf,
  UTC,
  type TimeZone,
} from '../../src/sql/types/time-zone.js';
import { namedZone } from '../../src/sql/types/named-zone.js';
import { sessionZone, zoneNamed } from '../../src/sql/types/zone-names.js';
import { formatTimestamp, parseTimestamp, parseTimestamptz } from '../../src/sql/types/datetime.js';
import { formatIntervalStyled } from '../../src/sql/types/interval-styles.js';
import { decodeInterval, encodeInterval, parseInterval } from '../../src/sql/types/interval.js';

const SEED = Number(process.env.SEED ?? 16_2077);

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const local = (text: string): bigint => parseTimestamp(text);
const H = 3600;

const ZONES = [
  'America/New_York',
  'Europe/Oslo',
  'Europe/London',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'America/Sao_Paulo',
  'Pacific/Apia',
  'Africa/Casablanca',
  'Europe/Moscow',
];

/** intlOffset: the offset straight from Intl, without named-zone.ts's cache (the model). */
const modelFormats = new Map<string, Intl.DateTimeFormat>();

function intlOffset(zone: string, ms: number): number {
  let f = modelFormats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    modelFormats.set(zone, f);
  }
  const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(name)!;
  if (m[1] === undefined) return 0;
  const secs = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -secs : secs;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SqlError) return err.code;
    throw err;
  }
  return undefined;
}

test('offsets change at the exact second of a DST change, both ways', () => {
  const ny = namedZone('America/New_York', 'America/New_York');
  assert.equal(offsetOf(ny, us('2024-03-10T06:59:59Z')), -5 * H);
  assert.equal(offsetOf(ny, us('2024-03-10T07:00:00Z')), -4 * H);
  assert.equal(offsetOf(ny, us('2024-11-03T05:59:59.999999Z') + 999n), -4 * H);
  assert.equal(offsetOf(ny, us('2024-11-03T06:00:00Z')), -5 * H);
  const oslo = namedZone('Europe/Oslo', 'Europe/Oslo');
  assert.equal(offsetOf(oslo, us('2024-03-31T00:59:59Z')), 1 * H);
  assert.equal(offsetOf(oslo, us('2024-03-31T01:00:00Z')), 2 * H);
  // Lord Howe moves by half an hour.
  const lh = namedZone('Australia/Lord_Howe', 'Australia/Lord_Howe');
  assert.equal(offsetOf(lh, us('2024-04-06T14:59:59Z')), 11 * H);
  assert.equal(offsetOf(lh, us('2024-04-06T15:00:00Z')), 10.5 * H);
  // A microsecond before the change is before it (milliseconds are floored, not rounded).
  assert.equal(offsetOf(ny, us('2024-03-10T07:00:00Z') - 1n), -5 * H);
});

test('a skipped wall-clock time reads with the offset from before the change', () => {
  const ny = namedZone('America/New_York', 'America/New_York');
  assert.equal(instantOf(ny, local('2024-03-10 02:30')), us('2024-03-10T07:30:00Z')); // 03:30-04
  const oslo = namedZone('Europe/Oslo', 'Europe/Oslo');
  assert.equal(instantOf(oslo, local('2024-03-31 02:30')), us('2024-03-31T01:30:00Z')); // 03:30+02
});

test('a repeated wall-clock time reads with the offset from after the change', () => {
  const ny = namedZone('America/New_York', 'America/New_York');
  assert.equal(instantOf(ny, local('2024-11-03 01:30')), us('2024-11-03T06:30:00Z')); // 01:30-05
  const oslo = namedZone('Europe/Oslo', 'Europe/Oslo');
  assert.equal(instantOf(oslo, local('2024-10-27 02:30')), us('2024-10-27T01:30:00Z')); // 02:30+01
  const lh = namedZone('Australia/Lord_Howe', 'Australia/Lord_Howe');
  assert.equal(instantOf(lh, local('2024-04-07 01:45')), us('2024-04-06T15:15:00Z')); // 01:45+10:30
  // Just outside the repeated hour there is one reading.
  assert.equal(instantOf(ny, local('2024-11-03 00:59:59')), us('2024-11-03T04:59:59Z'));
  assert.equal(instantOf(ny, local('2024-11-03 02:00')), us('2024-11-03T07:00:00Z'));
});

test('named zones before 1970 are 0A000 (Node and PostgreSQL may keep different history)', () => {
  const oslo = namedZone('Europe/Oslo', 'Europe/Oslo');
  assert.equal(
    code(() => offsetOf(oslo, us('1969-06-01T00:00:00Z'))),
    '0A000',
  );
  assert.equal(offsetOf(UTC, us('1900-06-01T00:00:00Z')), 0);
});

test('SET TIME ZONE reads zones as PostgreSQL 15 does', () => {
  const read = (v: string): [string, number | undefined] => {
    const z = sessionZone(v);
    return [z.name, z.fixed ?? offsetOf(z, us('2024-06-01T00:00:00Z'))];
  };
  assert.deepEqual(read('+05:30'), ['+05:30', -5.5 * H]); // POSIX: hours west
  assert.deepEqual(read('UTC+3'), ['UTC+3', -3 * H]);
  assert.deepEqual(read('xyz-3:30'), ['XYZ-3:30', 3.5 * H]);
  assert.deepEqual(read('-8'), ['<-08>+08', -8 * H]); // a number: hours east
  assert.deepEqual(read('-05'), ['<-05>+05', -5 * H]);
  assert.deepEqual(read('5.5'), ['<+05:30>-05:30', 5.5 * H]);
  assert.deepEqual(read('<+05:30>-05:30'), ['<+05:30>-05:30', 5.5 * H]);
  assert.deepEqual(read("INTERVAL '-08:00'"), ['<-08>+08', -8 * H]);
  assert.deepEqual(read('europe/oslo'), ['Europe/Oslo', 2 * H]);
  // Names Intl does not list in PostgreSQL's spelling, written in lower case.
  for (const name of [
    'Etc/UTC',
    'US/Eastern',
    'Asia/Kathmandu',
    'America/Port-au-Prince',
    'EST5EDT',
    'Etc/GMT+5',
  ])
    assert.equal(sessionZone(name.toLowerCase()).name, name);
  assert.deepEqual(read('Etc/GMT+5'), ['Etc/GMT+5', -5 * H]);
  assert.deepEqual(read('UTC'), ['UTC', 0]);
  assert.deepEqual(read('GMT'), ['GMT', 0]);
  assert.equal(sessionZone('Etc/UTC').fixed, 0);
  for (const bad of ['Nowhere/Land', 'PST', 'IST', '', ' UTC', 'Z', '200', '-0530', "INTERVAL '1 day'"])
    assert.equal(
      code(() => sessionZone(bad)),
      '22023',
      bad,
    );
  assert.equal(
    code(() => sessionZone('<+05:30>-05:30:15')),
    '22023',
  );
  // The name SHOW prints reads back as the same zone.
  for (const v of ['+05:30', '-8', '5.5', 'xyz-3:30', 'us/eastern', 'Asia/Kolkata'])
    assert.equal(sessionZone(sessionZone(v).name).name, sessionZone(v).name, v);
});

test('AT TIME ZONE names: tz database, POSIX, and 0A000 for abbreviations shale lacks', () => {
  assert.equal(zoneNamed('+05:30').fixed, -5.5 * H);
  assert.equal(zoneNamed('UTC').fixed, 0);
  assert.equal(
    code(() => zoneNamed('CET')),
    '0A000',
  );
  assert.equal(
    code(() => zoneNamed('Nowhere/Land')),
    '22023',
  );
});

test('formatOffset writes minutes and seconds only when there are some', () => {
  assert.equal(formatOffset(0), '+00');
  assert.equal(formatOffset(-5 * H), '-05');
  assert.equal(formatOffset(-5.5 * H), '-05:30');
  assert.equal(formatOffset(19 * 60 + 32), '+00:19:32');
});

test('every change from 2019 to 2026 falls on the same second as in Intl', () => {
  const DAY = 86_400_000;
  let changes = 0;
  for (const name of ZONES) {
    const zone = namedZone(name, name);
    for (let day = Date.UTC(2019, 0, 1) / DAY; day < Date.UTC(2027, 0, 1) / DAY; day++) {
      let lo = day * DAY;
      let hi = lo + DAY;
      const before = intlOffset(name, lo);
      if (intlOffset(name, hi) === before) continue;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (intlOffset(name, mid) === before) lo = mid;
        else hi = mid;
      }
      changes++;
      assert.equal(zone.offsetAt(hi - 1), before, `${name} before ${new Date(hi).toISOString()}`);
      assert.equal(zone.offsetAt(hi), intlOffset(name, hi), `${name} at ${new Date(hi).toISOString()}`);
    }
  }
  assert.ok(changes > 50, `${changes} changes`);
});

// 1971-01-01 .. 2037-12-31, in milliseconds.
const instantMs = fc
  .integer({ min: 31_536_000, max: 2_145_830_400 })
  .chain((s) => fc.integer({ min: 0, max: 999 }).map((ms) => s * 1000 + ms));

test(`cached offsets agree with Intl at random instants (seed ${SEED})`, () => {
  const zones = new Map(ZONES.map((z) => [z, namedZone(z, z)]));
  fc.assert(
    fc.property(instantMs, fc.constantFrom(...ZONES), (ms, name) => {
      assert.equal(
        zones.get(name)!.offsetAt(ms),
        intlOffset(name, ms),
        `${name} ${new Date(ms).toISOString()}`,
      );
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test(`timestamptz text read back in its zone is the same instant (seed ${SEED})`, () => {
  const zones: TimeZone[] = [
    ...ZONES.map((z) => sessionZone(z)),
    sessionZone('+05:30'),
    sessionZone('-8'),
    UTC,
  ];
  fc.assert(
    fc.property(instantMs, fc.integer({ min: 0, max: 999 }), fc.constantFrom(...zones), (ms, micro, zone) => {
      const t = BigInt(ms) * 1000n + BigInt(micro);
      const text = formatTimestamp(t, zone);
      assert.equal(parseTimestamptz(text, UTC), t, text);
      assert.equal(parseTimestamptz(text, zone), t, text);
      // Without its offset the text is wall-clock time; it names t unless a change repeats that time,
      // where the later reading (after the change) wins.
      const wall = localOf(zone, t);
      const back = instantOf(zone, wall);
      if (back !== t) {
        assert.ok(back > t, `${zone.name} ${text}`);
        assert.equal(localOf(zone, back), wall);
      }
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test(`intervals written as iso_8601 and postgres_verbose read back unchanged (seed ${SEED})`, () => {
  const interval = fc
    .tuple(
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.integer({ min: -100_000, max: 100_000 }),
      fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
    )
    .map(([months, days, micros]) => encodeInterval({ months, days, micros }));
  fc.assert(
    fc.property(interval, fc.constantFrom('iso_8601' as const, 'postgres_verbose' as const), (v, style) => {
      const text = formatIntervalStyled(v, style);
      assert.deepEqual(decodeInterval(parseInterval(text)), decodeInterval(v), text);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});
