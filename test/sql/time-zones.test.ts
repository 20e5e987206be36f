/**
 * The session's TimeZone, checked against PostgreSQL 15 under `npm run slt:check` at random instants and
 * wall-clock times; and AT TIME ZONE with named zones: a wall-clock time read back names the instant it came from (except in
 * the hour a fall-back change repeats, where the later reading wins), and, under `npm run slt:check`,
 * both directions agree with PostgreSQL 15 at random instants in zones with DST changes, odd offsets and
 * rule changes since 1970 (Node's tz data against PostgreSQL's).
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { ORACLE_SKIP, withPostgres, withShale } from '../support/sql-clients.js';

const SEED = Number(process.env.SEED ?? 16_2041);

const ZONES = [
  'America/New_York',
  'America/Sao_Paulo',
  'Europe/Berlin',
  'Europe/London',
  'Europe/Moscow',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Apia',
  'Africa/Casablanca',
];

// 1971-01-01 .. 2037-12-31, in seconds.
const instant = fc.integer({ min: 31_536_000, max: 2_145_830_400 });

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('.000Z', '+00');
}

async function asText(client: pg.Client, sql: string, params: unknown[]): Promise<string[]> {
  const res = await client.query({ text: sql, values: params, rowMode: 'array' });
  return (res.rows[0] as unknown[]).map(String);
}

const BOTH_WAYS =
  'SELECT ($1::timestamptz AT TIME ZONE $2)::text, (($1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2)::text, ' +
  '($1::timestamptz::timestamp AT TIME ZONE $2)::text';

test(`a wall-clock time names the instant it came from (seed ${SEED})`, () =>
  withShale(async (client) => {
    await fc.assert(
      fc.asyncProperty(instant, fc.constantFrom(...ZONES), async (t, zone) => {
        const [, back] = await asText(client, BOTH_WAYS, [iso(t), zone]);
        const [later] = await asText(client, "SELECT ($1::timestamptz + interval '3 hours')::text", [iso(t)]);
        const [earlier] = await asText(client, "SELECT ($1::timestamptz - interval '3 hours')::text", [
          iso(t),
        ]);
        // Only a repeated hour reads back as another instant, and then within the change.
        if (back !== iso(t)) assert.ok(back! > earlier! && back! < later!, `${iso(t)} ${zone} -> ${back}`);
      }),
      { seed: SEED, numRuns: 300 },
    );
  }));

test('AT TIME ZONE agrees with PostgreSQL 15', { skip: ORACLE_SKIP }, () =>
  withShale((shale) =>
    withPostgres(async (postgres) => {
      await fc.assert(
        fc.asyncProperty(instant, fc.constantFrom(...ZONES), async (t, zone) => {
          const args = [iso(t), zone];
          assert.deepEqual(await asText(shale, BOTH_WAYS, args), await asText(postgres, BOTH_WAYS, args));
        }),
        { seed: SEED, numRuns: 500 },
      );
    }),
  ),
);

// The session's TimeZone: the same instants and wall-clock times (some in skipped or repeated hours) read
// and printed, cast, truncated and moved by a month and a day, as PostgreSQL 15 does, in each zone.
const SESSION_ZONES = [...ZONES, 'Europe/Oslo', 'UTC', '+05:30', '-8', 'UTC+3', "INTERVAL '-03:30'"];

const IN_SESSION =
  'SELECT $1::timestamptz::text, $1::timestamptz::timestamp::text, $1::timestamptz::date::text, ' +
  "date_trunc('day', $1::timestamptz)::text, date_trunc('hour', $1::timestamptz)::text, " +
  "($1::timestamptz + interval '1 month 1 day')::text, extract(timezone from $1::timestamptz)::text, " +
  "to_char($1::timestamptz, 'YYYY-MM-DD HH24:MI:SS OF'), $2::timestamptz::text, $2::timestamp::timestamptz::text";

/** CHANGES: wall-clock times that a DST change skips or repeats in some of the zones. */
const CHANGES = [
  '2024-03-10 02:30', // America/New_York, skipped
  '2024-11-03 01:30', // America/New_York, repeated
  '2024-03-31 02:30', // Europe, skipped
  '2024-10-27 02:30', // Europe, repeated
  '2024-10-27 01:30', // Europe/London, repeated
  '2024-04-07 01:45', // Australia/Lord_Howe, repeated half hour
  '2024-10-06 02:15', // Australia/Lord_Howe, skipped half hour
  '2018-11-04 00:30', // America/Sao_Paulo, skipped midnight
];

/** wallClock: a local time near a whole hour (where DST changes fall), as text without an offset. */
function wallClock(seconds: number, jitter: number): string {
  const s = Math.floor(seconds / 3600) * 3600 + jitter;
  return new Date(s * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
}

test('the session time zone agrees with PostgreSQL 15', { skip: ORACLE_SKIP }, () =>
  withShale((shale) =>
    withPostgres(async (postgres) => {
      await fc.assert(
        fc.asyncProperty(
          instant,
          fc.integer({ min: -5400, max: 5400 }),
          fc.constantFrom(...SESSION_ZONES),
          fc.option(fc.constantFrom(...CHANGES), { freq: 2 }),
          async (t, jitter, zone, change) => {
            const set = `SET TIME ZONE ${zone.startsWith('INTERVAL') ? zone : `'${zone}'`}`;
            await shale.query(set);
            await postgres.query(set);
            const args = [iso(t), change ?? wallClock(t, jitter)];
            assert.deepEqual(
              await asText(shale, IN_SESSION, args),
              await asText(postgres, IN_SESSION, args),
              `${zone} ${args.join(' / ')}`,
            );
          },
        ),
        { seed: SEED, numRuns: 500 },
      );
    }),
  ),
);
