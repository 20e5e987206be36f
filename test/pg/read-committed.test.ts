/**
 * READ COMMITTED (PostgreSQL's default) through the server: each statement reads a fresh snapshot; an
 * UPDATE or DELETE that meets a row another open transaction wrote waits for it, then works on the row as
 * committed, rechecking its WHERE (PostgreSQL's EvalPlanQual); deadlocks are 40P01.
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

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'rc', database: 'shale' });
  await c.connect();
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('an UPDATE of a row another transaction holds waits, then sees the committed row', async () => {
  const a = await connect();
  const b = await connect();
  try {
    await a.query('create table counter (id int primary key, n int not null)');
    await a.query('insert into counter values (1, 0)');
    await a.query('begin');
    await a.query('update counter set n = n + 1 where id = 1');
    let done = false;
    const pending = b.query('update counter set n = n + 10 where id = 1').then((r) => {
      done = true;
      return r;
    });
    await sleep(150);
    assert.equal(done, false, 'the second UPDATE waits for the first transaction');
    await a.query('commit');
    const r = await pending;
    assert.equal(r.rowCount, 1);
    assert.equal((await a.query('select n from counter where id = 1')).rows[0].n, 11, 'no update was lost');
  } finally {
    await a.end();
    await b.end();
  }
});

test('concurrent increments in explicit transactions lose nothing and never fail', async () => {
  const clients = await Promise.all([connect(), connect(), connect(), connect()]);
  try {
    await clients[0]!.query('create table hot (id int primary key, n int not null)');
    await clients[0]!.query('insert into hot values (1, 0)');
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < 25; i++) {
          await c.query('begin');
          await c.query('update hot set n = n + 1 where id = 1');
          await c.query('commit');
        }
      }),
    );
    assert.equal((await clients[0]!.query('select n from hot')).rows[0].n, 100);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
});

test('a waiting UPDATE rechecks its WHERE on the committed row (EvalPlanQual)', async () => {
  const a = await connect();
  const b = await connect();
  try {
    await a.query('create table jobs (id int primary key, state text not null)');
    await a.query("insert into jobs values (1, 'new'), (2, 'new')");
    await a.query('begin');
    await a.query("update jobs set state = 'taken' where id = 1");
    const pending = b.query("update jobs set state = 'mine' where state = 'new' returning id");
    await sleep(100);
    await a.query('commit');
    const r = await pending;
    assert.deepEqual(
      r.rows.map((x) => x.id),
      [2],
      'row 1 no longer matched once committed',
    );
    const rows = (await a.query('select id, state from jobs order by id')).rows;
    assert.deepEqual(rows, [
      { id: 1, state: 'taken' },
      { id: 2, state: 'mine' },
    ]);
  } finally {
    await a.end();
    await b.end();
  }
});

test('each statement sees what was committed before it began', async () => {
  const a = await connect();
  const b = await connect();
  try {
    await a.query('create table seen (k int primary key)');
    await b.query('begin');
    assert.equal((await b.query('select count(*)::int as n from seen')).rows[0].n, 0);
    await a.query('insert into seen values (1)');
    assert.equal((await b.query('select count(*)::int as n from seen')).rows[0].n, 1);
    await b.query('commit');
    await b.query('begin isolation level repeatable read');
    assert.equal((await b.query('select count(*)::int as n from seen')).rows[0].n, 1);
    await a.query('insert into seen values (2)');
    assert.equal(
      (await b.query('select count(*)::int as n from seen')).rows[0].n,
      1,
      'repeatable read keeps its snapshot',
    );
    await b.query('commit');
  } finally {
    await a.end();
    await b.end();
  }
});

test('SELECT ... FOR UPDATE waits for the row and returns it as committed', async () => {
  const a = await connect();
  const b = await connect();
  try {
    await a.query('create table seats (id int primary key, holder text)');
    await a.query('insert into seats values (1, null), (2, null)');
    await a.query('begin');
    await a.query("update seats set holder = 'ann' where id = 1");
    await b.query('begin');
    const pending = b.query('select id, holder from seats where id = 1 for update');
    await sleep(100);
    await a.query('commit');
    assert.deepEqual((await pending).rows, [{ id: 1, holder: 'ann' }]);
    // b holds the row now: a's next update waits until b commits.
    let done = false;
    const next = a.query("update seats set holder = 'cy' where id = 1").then(() => (done = true));
    await sleep(100);
    assert.equal(done, false);
    await b.query("update seats set holder = 'bob' where id = 1");
    await b.query('commit');
    await next;
    assert.equal((await a.query('select holder from seats where id = 1')).rows[0].holder, 'cy');
  } finally {
    await a.end();
    await b.end();
  }
});

test('a deadlock between two transactions fails one of them with 40P01', async () => {
  const a = await connect();
  const b = await connect();
  try {
    await a.query('create table dl (id int primary key, v int)');
    await a.query('insert into dl values (1, 0), (2, 0)');
    await a.query('begin');
    await b.query('begin');
    await a.query('update dl set v = 1 where id = 1');
    await b.query('update dl set v = 2 where id = 2');
    const first = a.query('update dl set v = 1 where id = 2');
    await sleep(50);
    const second = b.query('update dl set v = 2 where id = 1');
    const results = await Promise.allSettled([first, second]);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(failed.length, 1, 'exactly one of them is chosen as the victim');
    assert.equal((failed[0]!.reason as { code: string }).code, '40P01');
    await a.query('rollback');
    await b.query('rollback');
  } finally {
    await a.end();
    await b.end();
  }
});
