/**
 * The admin statements through pg: COMPACT [table, ...] (shale's own) compacts and returns when done, alone
 * or inside a multi-statement string; ANALYZE is accepted; errors as PostgreSQL reports them for VACUUM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DB } from '../../src/db/db.js';
import { serve, type PgServer } from '../../src/pg/server.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

let dir: string;
let db: DB;
let server: PgServer;
before(async () => {
  dir = makeTmpDir('shale-admin-');
  // A small memtable: the inserts below leave several tables in level 0.
  db = await DB.open(dir, { writeBufferSize: 64 * 1024 });
  server = await serve({ db, port: 0, log: () => undefined });
});
after(async () => {
  await server.close();
  await db.close();
  removeTmpDir(dir);
});

function client(): pg.Client {
  return new pg.Client({ host: server.host, port: server.port, user: 'admin', database: 'shale' });
}

/** dataBytes: the table bytes holding rows and index entries (keys 0x10..., 0x11...; keyspace.ts). */
const dataBytes = (): number => db.approximateSizes([[Uint8Array.of(0x10), Uint8Array.of(0x12)]])[0]!;

test('COMPACT table: deleted rows leave the tables before the command completes', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table big (id int primary key, v text)');
    await c.query('create index big_v on big (v)');
    await c.query(
      "insert into big select g, 'v' || g || repeat('-', g % 97) from generate_series(1, 3000) g",
    );
    await c.query('delete from big where id % 3 <> 0');
    await c.query('checkpoint');
    const bytesBefore = dataBytes();
    const before = db.metrics().compaction;
    const r = await c.query('COMPACT "big"');
    assert.equal(r.command, 'COMPACT');
    const after = db.metrics().compaction;
    assert.ok(after.count > before.count, 'a compaction ran');
    // Two rows in three (and their index entries) were deleted: their versions and deletions are gone.
    assert.ok(dataBytes() < bytesBefore * 0.6, `${dataBytes()} bytes left of ${bytesBefore}`);
    const rows = await c.query('select count(*)::int as n, sum(id)::int as s from big where v > $1', ['v']);
    assert.deepEqual(rows.rows, [{ n: 1000, s: 3 * ((1000 * 1001) / 2) }]);
  } finally {
    await c.end();
  }
});

test('COMPACT in a multi-statement string, with no table (everything) and several tables', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table a (k int primary key); create table "B b" (k int primary key)');
    const results = (await c.query(
      'insert into a values (1); compact; select \'compact; not a statement\' as s; COMPACT a, "B b";',
    )) as unknown as pg.QueryResult[];
    assert.deepEqual(
      results.map((r) => r.command),
      ['INSERT', 'COMPACT', 'SELECT', 'COMPACT'],
    );
    assert.equal(results[2]!.rows[0].s, 'compact; not a statement');
    assert.equal((await c.query('analyze a')).command, 'ANALYZE');
  } finally {
    await c.end();
  }
});

test('COMPACT errors: unknown table 42P01, syntax 42601, inside a transaction block 25001', async () => {
  const c = client();
  await c.connect();
  try {
    await assert.rejects(c.query('compact nope'), {
      code: '42P01',
      message: 'relation "nope" does not exist',
    });
    await assert.rejects(c.query('compact a b'), { code: '42601', position: '11' });
    await c.query('begin');
    await assert.rejects(c.query('compact a'), {
      code: '25001',
      message: 'COMPACT cannot run inside a transaction block',
    });
    await c.query('rollback');
    // The prepared (extended) form too.
    assert.equal((await c.query({ text: 'compact a', values: [] })).command, 'COMPACT');
  } finally {
    await c.end();
  }
});
