/**
 * AT TIME ZONE with named zones: a wall-clock time read back names the instant it came from (except in
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
