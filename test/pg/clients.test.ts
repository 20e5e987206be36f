/**
 * The client matrix, first part: node-postgres (simple and extended protocol, named statements, errors and
 * the aborted-transaction state), postgres.js (prepared statements, fetch_types on and off, sql.begin) and
 * psql against `serve()`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import pg from 'pg';
import postgres from 'postgres';
import { startServer, type TestServer } from '../support/sql-server.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

function client(): pg.Client {
  return new pg.Client({ host: server.host, port: server.port, user: 'tester', database: 'shale' });
}

test('pg: simple and extended queries, named statements, RETURNING', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query(
      'create table accounts (id serial primary key, owner text not null, balance int8 default 0)',
    );
    const ins = await c.query(
      "insert into accounts (owner) values ('ann'), ('bob') returning id, owner, balance",
    );
    assert.deepEqual(ins.rows, [
      { id: 1, owner: 'ann', balance: '0' },
      { id: 2, owner: 'bob', balance: '0' },
    ]);
    assert.equal(ins.command, 'INSERT');
    assert.equal(ins.rowCount, 2);
    const upd = await c.query('update accounts set balance = balance + $1 where id = $2', [250, 2]);
    assert.equal(upd.rowCount, 1);
    for (let i = 0; i < 3; i++) {
      const r = await c.query({
        name: 'by-id',
        text: 'select owner, balance from accounts where id = $1',
        values: [2],
      });
      assert.deepEqual(r.rows, [{ owner: 'bob', balance: '250' }]);
    }
    const sel = await c.query('select id from accounts where balance >= $1 order by id desc', [0]);
    assert.deepEqual(
      sel.rows.map((r) => r.id),
      [2, 1],
    );
  } finally {
    await c.end();
  }
});

test('pg: errors carry SQLSTATEs; a failed transaction answers 25P02 until ROLLBACK', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table uniq (k int primary key)');
    await c.query('insert into uniq values (1)');
    await assert.rejects(c.query('insert into uniq values (1)'), { code: '23505' });
    await assert.rejects(c.query('select * from no_such_table'), { code: '42P01' });
    await assert.rejects(c.query('selec 1'), { code: '42601' });
    await assert.rejects(c.query('select 1/0'), { code: '22012' });
    await c.query('begin');
    await c.query('insert into uniq values (2)');
    await assert.rejects(c.query('insert into uniq values (1)'), { code: '23505' });
    await assert.rejects(c.query('select 1'), { code: '25P02' });
    await c.query('rollback');
    const r = await c.query('select k from uniq order by k');
    assert.deepEqual(r.rows, [{ k: 1 }], 'the failed transaction left nothing behind');
  } finally {
    await c.end();
  }
});

test('pg: savepoints undo what came after them, also after an error', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table sp (k int primary key)');
    await c.query('begin');
    await c.query('insert into sp values (1)');
    await c.query('savepoint a');
    await c.query('insert into sp values (2)');
    await assert.rejects(c.query('insert into sp values (1)'), { code: '23505' });
    await assert.rejects(c.query('select 1'), { code: '25P02' });
    await c.query('rollback to savepoint a');
    await c.query('insert into sp values (3)');
    await c.query('savepoint b');
    await c.query('insert into sp values (4)');
    await c.query('release savepoint a');
    await assert.rejects(c.query('rollback to b'), { code: '3B001' });
    await c.query('rollback');
    await c.query('begin');
    await c.query('insert into sp values (1)');
    await c.query('savepoint a');
    await c.query('insert into sp values (2)');
    await c.query('rollback to a');
    await c.query('insert into sp values (3)');
    await c.query('commit');
    assert.deepEqual(
      (await c.query('select k from sp order by k')).rows.map((r) => r.k),
      [1, 3],
    );
    await assert.rejects(c.query('savepoint x'), { code: '25P01' });
  } finally {
    await c.end();
  }
});

test('pg: VACUUM compacts a table and keeps its rows; not inside a transaction block', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table vac (id int primary key, v text)');
    await c.query("insert into vac select g, 'v' || g from generate_series(1, 500) g");
    await c.query('delete from vac where id % 2 = 0');
    assert.equal((await c.query('vacuum vac')).command, 'VACUUM');
    assert.equal((await c.query('vacuum')).command, 'VACUUM');
    const r = await c.query('select count(*)::int as n, min(id) as lo, max(id) as hi from vac');
    assert.deepEqual(r.rows, [{ n: 250, lo: 1, hi: 499 }]);
    await c.query('begin');
    await assert.rejects(c.query('vacuum vac'), { code: '25001' });
    await c.query('rollback');
  } finally {
    await c.end();
  }
});

test('pg: a statement that fails midway changes nothing', async () => {
  const c = client();
  await c.connect();
  try {
    await c.query('create table atomic (k int primary key, v text not null)');
    await assert.rejects(c.query("insert into atomic values (1, 'a'), (2, null)"), { code: '23502' });
    assert.equal((await c.query('select count(*) from atomic')).rows[0].count, '0');
  } finally {
    await c.end();
  }
});

test("pg: no connection sees another one's uncommitted rows", async () => {
  const a = client();
  const b = client();
  await a.connect();
  await b.connect();
  try {
    await a.query('create table iso (k int primary key)');
    await a.query('begin');
    await a.query('insert into iso values (1)');
    assert.equal((await b.query('select count(*) from iso')).rows[0].count, '0');
    await a.query('commit');
    assert.equal((await b.query('select count(*) from iso')).rows[0].count, '1');
  } finally {
    await a.end();
    await b.end();
  }
});

for (const fetchTypes of [true, false]) {
  test(`postgres.js (fetch_types ${fetchTypes}): prepared statements, types, sql.begin`, async () => {
    const sql = postgres({
      host: server.host,
      port: server.port,
      user: 'tester',
      database: 'shale',
      fetch_types: fetchTypes,
      onnotice: () => undefined,
    });
    try {
      const t = `pj_${fetchTypes ? 'a' : 'b'}`;
      await sql.unsafe(
        `create table ${t} (k text primary key, v bytea, n numeric(10,2), flag boolean, day date, js jsonb, u uuid, g uuid default gen_random_uuid())`,
      );
      const u = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11';
      await sql`insert into ${sql(t)} ${sql({ k: 'x', v: Buffer.from([1, 2, 3]), n: '12.5', flag: true, day: '2024-03-05', js: { b: 1, a: [1, 2] }, u })}`;
      for (let i = 0; i < 2; i++) {
        const [row] = await sql`select * from ${sql(t)} where k = ${'x'}`;
        assert.deepEqual(row!.v, Buffer.from([1, 2, 3]));
        assert.equal(row!.u, u.toLowerCase());
        assert.match(
          row!.g as string,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        const [byUuid] = await sql`select k from ${sql(t)} where u = ${u}`;
        assert.equal(byUuid!.k, 'x');
        assert.equal(row!.n, '12.50');
        assert.equal(row!.flag, true);
        assert.deepEqual(row!.js, { a: [1, 2], b: 1 });
      }
      await sql.begin(async (tx) => {
        await tx`insert into ${sql(t)} (k) values (${'y'})`;
      });
      await assert.rejects(
        sql.begin(async (tx) => {
          await tx`insert into ${sql(t)} (k) values (${'z'})`;
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const keys = await sql`select k from ${sql(t)} order by k`;
      assert.deepEqual(
        keys.map((r) => r.k),
        ['x', 'y'],
      );
    } finally {
      await sql.end();
    }
  });
}

const psql = spawnSync('psql', ['--version']).status === 0;
test(
  'psql: a script runs and prints as PostgreSQL prints',
  { skip: psql ? false : 'psql is not installed' },
  async () => {
    const script =
      "create table p (id int primary key, name text);\ninsert into p values (1, 'one'), (2, null);\nselect * from p order by id;\n";
    // Not spawnSync: the server runs in this process and must keep serving while psql runs.
    const r = await runPsql(
      [
        '-X',
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        'tester',
        '-d',
        'shale',
        '-v',
        'ON_ERROR_STOP=1',
      ],
      script,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      'CREATE TABLE\nINSERT 0 2\n id | name \n----+------\n  1 | one\n  2 | \n(2 rows)\n\n',
    );
  },
);

function runPsql(
  args: string[],
  input: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', args);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
    p.stdin.end(input);
  });
}
