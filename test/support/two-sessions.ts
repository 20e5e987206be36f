/**
 * Sessions that interleave statements over the wire, as transcripts: each step is a statement of one
 * session (a, b or c), or `wait` for that session's blocked statement; a statement not answered within
 * BLOCK_MS is `blocked`. The same steps run against shale and a real PostgreSQL 15 give the same transcript
 * when the two lock alike (test/pg/for-update-join.test.ts, test/pg/table-locks.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startServer, type TestServer } from './sql-server.js';
import { postgresUnavailable, startPostgres, type Postgres } from './pg15.js';

/** BLOCK_MS: a statement not done after this long is waiting for a lock. */
export const BLOCK_MS = 500;

export type Who = 'a' | 'b' | 'c';

/** A step: a statement of a session, or `wait` for its blocked statement. */
export type Step = readonly [Who, string];

export interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
  /** transcript: one line per step, as PostgreSQL 15 answers. */
  readonly transcript: readonly string[];
}

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

/** play runs `setup` in session a, then the scenario's steps; returns the transcript. */
export async function play(target: Target, setup: readonly string[], s: Scenario): Promise<string[]> {
  const clients = new Map<Who, pg.Client>();
  const session = async (who: Who): Promise<pg.Client> => {
    let c = clients.get(who);
    if (c === undefined) {
      c = new pg.Client(target);
      clients.set(who, c);
      await c.connect();
    }
    return c;
  };
  const out: string[] = [];
  const pending: Partial<Record<Who, Promise<string>>> = {};
  try {
    const a = await session('a');
    for (const q of setup) await a.query(q);
    for (const [who, sql] of s.steps) {
      if (sql === 'wait') {
        out.push(`${who} ${await pending[who]!}`);
        delete pending[who];
        continue;
      }
      const c = await session(who);
      const result = c.query({ text: sql, rowMode: 'array' }).then(
        (r) =>
          r.command === 'SELECT'
            ? JSON.stringify(r.rows)
            : `${r.command}${r.rowCount === null ? '' : ` ${r.rowCount}`}`.replace(
                /^(BEGIN|COMMIT|ROLLBACK) 0$/,
                '$1',
              ),
        (err: { code?: string }) => `error ${err.code}`,
      );
      const done = await Promise.race([
        result,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), BLOCK_MS)),
      ]);
      if (done === undefined) {
        pending[who] = result;
        out.push(`${who} blocked`);
      } else out.push(`${who} ${done}`);
    }
    return out;
  } finally {
    for (const c of clients.values()) await c.end();
  }
}

/**
 * testScenarios registers a test per scenario: its transcript on a shale server (as `user`), and on a real
 * PostgreSQL 15 too when one can be started (a difference there means the transcript is wrong).
 */
export function testScenarios(scenarios: readonly Scenario[], setup: readonly string[], user: string): void {
  let shale: TestServer;
  let postgres: Postgres | undefined;
  before(async () => {
    shale = await startServer();
    if (postgresUnavailable() === undefined) postgres = await startPostgres();
  });
  after(async () => {
    await shale.stop();
    await postgres?.stop();
  });
  for (const s of scenarios)
    test(s.name, async () => {
      const got = await play({ host: shale.host, port: shale.port, user, database: 'shale' }, setup, s);
      assert.deepEqual(got, s.transcript, 'shale');
      if (postgres !== undefined) {
        const pgGot = await play(
          { host: postgres.host, port: postgres.port, user: 'postgres', database: 'postgres' },
          setup,
          s,
        );
        assert.deepEqual(pgGot, s.transcript, 'PostgreSQL 15 (the transcript is wrong)');
      }
    });
}
