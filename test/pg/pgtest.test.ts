/**
 * Runs the wire-level files in test/pg/pgtest/ (the pgtest format, test/support/pgtest.ts) against shale
 * and, when available, against PostgreSQL 15 (test/support/pg15.ts): the same expected messages from both,
 * except in blocks marked pg_only / shale_only. PGTEST_REWRITE=1 rewrites the expected output from
 * PostgreSQL (from shale when PostgreSQL is not available); PGTEST_FILE=name runs one file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runPgtest } from '../support/pgtest.js';
import { postgresUnavailable, startPostgres, type Postgres } from '../support/pg15.js';
import { startServer } from '../support/sql-server.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/pg/pgtest');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .filter((f) => process.env.PGTEST_FILE === undefined || f.startsWith(process.env.PGTEST_FILE))
  .sort();
const rewrite = process.env.PGTEST_REWRITE === '1';
const noPg = postgresUnavailable();

describe('pgtest files', () => {
  let postgres: Postgres | undefined;
  before(async () => {
    if (noPg === undefined) postgres = await startPostgres();
  });
  after(async () => {
    await postgres?.stop();
  });

  for (const file of files) {
    const path = join(DIR, file);
    const db = 'pgtest_' + file.replace(/\.txt$/, '').replace(/[^a-z0-9_]/gi, '_');

    test(`${file} against PostgreSQL 15`, { skip: noPg ?? false }, async () => {
      const admin = new pg.Client({
        host: postgres!.host,
        port: postgres!.port,
        user: 'postgres',
        database: 'postgres',
      });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${db}`);
        await admin.query(`create database ${db}`);
      } finally {
        await admin.end();
      }
      const text = readFileSync(path, 'utf8');
      const r = await runPgtest(text, 'pg', postgres!.host, postgres!.port, {
        user: 'postgres',
        database: db,
      });
      if (rewrite) writeFileSync(path, r.rewritten);
      else assert.deepEqual(r.failures, [], r.failures.join('\n'));
    });

    test(`${file} against shale`, async () => {
      const server = await startServer();
      try {
        const text = readFileSync(path, 'utf8');
        const r = await runPgtest(
          text,
          'shale',
          server.host,
          server.port,
          { user: 'postgres', database: db },
          { rewriteShared: noPg !== undefined },
        );
        if (rewrite) writeFileSync(path, r.rewritten);
        else assert.deepEqual(r.failures, [], r.failures.join('\n'));
      } finally {
        await server.stop();
      }
    });
  }
});
