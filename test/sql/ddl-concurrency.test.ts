/**
 * DDL and row writes of the same table in overlapping transactions: the later commit fails with 40001
 * instead of leaving rows in an old layout or without entries in a new index (Catalog.beginCommit).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startServer, type TestServer } from '../support/sql-server.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'tester', database: 'shale' });
  await c.connect();
  return c;
}

async function commitFails(c: pg.Client): Promise<void> {
  await assert.rejects(c.query('COMMIT'), (e: { code?: string }) => e.code === '40001');
}

test('a row written before a DROP COLUMN committed cannot commit after it', async () => {
  const a = await client();
  const b = await client();
  try {
    await a.query('CREATE TABLE race1 (id int PRIMARY KEY, x int, y text)');
    await a.query("INSERT INTO race1 VALUES (1, 1, 'a')");
    await a.query('BEGIN');
    await a.query("INSERT INTO race1 VALUES (2, 2, 'b')");
    await b.query('ALTER TABLE race1 DROP COLUMN x');
    await commitFails(a);
    assert.deepEqual((await b.query('SELECT * FROM race1 ORDER BY id')).rows, [{ id: 1, y: 'a' }]);
  } finally {
    await a.end();
    await b.end();
  }
});

test('an index built from a snapshot older than a committed insert cannot commit', async () => {
  const a = await client();
  const b = await client();
  try {
    await a.query('CREATE TABLE race2 (id int PRIMARY KEY, y text)');
    await b.query('BEGIN');
    await b.query('SELECT 1');
    await a.query("INSERT INTO race2 VALUES (3, 'c')");
    await b.query('CREATE INDEX ON race2 (y)');
    await commitFails(b);
    await b.query('CREATE INDEX race2_y ON race2 (y)');
    assert.deepEqual((await b.query("SELECT id FROM race2 WHERE y = 'c'")).rows, [{ id: 3 }]);
    // Unrelated tables do not conflict.
    await b.query('BEGIN');
    await b.query('SELECT 1');
    await a.query("INSERT INTO race1 VALUES (5, 'e')");
    await b.query('CREATE INDEX ON race2 (id, y)');
    await b.query('COMMIT');
  } finally {
    await a.end();
    await b.end();
  }
});
