/**
 * DDL and row writes of the same table in overlapping transactions. Table locks make DDL wait for the
 * transactions that wrote the table (and them for it), as in PostgreSQL; a READ COMMITTED transaction reads
 * the table after its lock, so it commits. A REPEATABLE READ transaction whose snapshot is older than the
 * other kind of change still fails its commit with 40001 instead of leaving rows in an old layout or
 * without entries in a new index (Catalog.beginCommit).
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

test('DROP COLUMN waits for the open transaction that wrote a row, then rewrites that row too', async () => {
  const a = await client();
  const b = await client();
  try {
    await a.query('CREATE TABLE race1 (id int PRIMARY KEY, x int, y text)');
    await a.query("INSERT INTO race1 VALUES (1, 1, 'a')");
    await a.query('BEGIN');
    await a.query("INSERT INTO race1 VALUES (2, 2, 'b')");
    let altered = false;
    const alter = b.query('ALTER TABLE race1 DROP COLUMN x').then(() => (altered = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(altered, false, 'ALTER TABLE waits for the writer');
    await a.query('COMMIT');
    await alter;
    assert.deepEqual((await b.query('SELECT * FROM race1 ORDER BY id')).rows, [
      { id: 1, y: 'a' },
      { id: 2, y: 'b' },
    ]);
  } finally {
    await a.end();
    await b.end();
  }
});

test('an index built under READ COMMITTED after a committed insert holds it; under REPEATABLE READ from an older snapshot it cannot commit', async () => {
  const a = await client();
  const b = await client();
  try {
    await a.query('CREATE TABLE race2 (id int PRIMARY KEY, y text)');
    await b.query('BEGIN');
    await b.query('SELECT 1');
    await a.query("INSERT INTO race2 VALUES (3, 'c')");
    await b.query('CREATE INDEX race2_y ON race2 (y)');
    await b.query('COMMIT');
    assert.deepEqual((await b.query("SELECT id FROM race2 WHERE y = 'c'")).rows, [{ id: 3 }]);

    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await b.query('SELECT 1');
    await a.query("INSERT INTO race2 VALUES (4, 'd')");
    await b.query('CREATE INDEX ON race2 (id, y)');
    await commitFails(b);
    // Unrelated tables do not conflict.
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await b.query('SELECT 1');
    await a.query("INSERT INTO race1 VALUES (5, 'e')");
    await b.query('CREATE INDEX ON race2 (id, y)');
    await b.query('COMMIT');
  } finally {
    await a.end();
    await b.end();
  }
});
