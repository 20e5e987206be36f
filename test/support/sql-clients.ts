/**
 * Clients for property tests that run the same checks against shale and, as the oracle, PostgreSQL 15: a
 * pg client on a fresh in-process server, one on a fresh PostgreSQL database, and whether the oracle runs
 * (`npm run slt:check` sets SHALE_SLT_ORACLE=1; PostgreSQL 15 must be installed).
 */
import pg from 'pg';
import { startServer } from './sql-server.js';
import { postgresAvailable, startPostgres, withFreshDatabase } from './postgres.js';

/** ORACLE_SKIP: false when the PostgreSQL oracle runs, else the reason a node:test skips it. */
export const ORACLE_SKIP: string | false =
  process.env.SHALE_SLT_ORACLE === '1' && postgresAvailable()
    ? false
    : 'set SHALE_SLT_ORACLE=1 with PostgreSQL 15';

/** withShale runs fn with a client of a fresh shale server, then stops it. */
export async function withShale<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const server = await startServer();
  const client = new pg.Client({ host: server.host, port: server.port, user: 'tester', database: 'shale' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
    await server.stop();
  }
}

/** withPostgres runs fn with a client of a fresh database on a throwaway PostgreSQL 15. */
export async function withPostgres<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const server = await startPostgres();
  try {
    return await withFreshDatabase(server, async (params) => {
      const client = new pg.Client(params);
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    });
  } finally {
    await server.stop();
  }
}
