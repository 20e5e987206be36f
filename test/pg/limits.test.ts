/**
 * The server's limits and interrupts: the maximum message size (FATAL, that connection closed), the
 * maximum number of connections (53300), the statement timeout (server option and SET statement_timeout)
 * and CancelRequest (57014) stopping long statements, and the connection serving on normally afterwards;
 * the authentication timeout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startServer, type TestServer } from '../support/sql-server.js';
import { connect, type Socket } from 'node:net';
import { sendCancelRequest, startupMessage, WireClient, type WireMessage } from '../support/wire-client.js';

let server: TestServer;
before(async () => {
  server = await startServer({ maxMessageSize: 64 * 1024, maxConnections: 6 });
  const c = client(server);
  await c.connect();
  const values = Array.from({ length: 200 }, (_, i) => `(${i})`).join(',');
  await c.query('create table big (k int primary key)');
  await c.query(`insert into big values ${values}`);
  await c.end();
});
after(async () => {
  await server.stop();
});

function client(s: TestServer, extra: Partial<pg.ClientConfig> = {}): pg.Client {
  return new pg.Client({ host: s.host, port: s.port, user: 'tester', database: 'shale', ...extra });
}

/** A cross join of 200^3 rows: seconds of work, stopped long before by the timeouts in these tests. */
const LONG_AGGREGATE = 'select count(*) from big a, big b, big c';
const LONG_RESULT = 'select a.k, b.k, c.k from big a, big b, big c';

async function until(c: WireClient, type: string): Promise<WireMessage[]> {
  const got: WireMessage[] = [];
  for (;;) {
    const m = await c.receive(20_000);
    got.push(m);
    if (m.Type === type) return got;
  }
}

test('a message over the size limit: FATAL 54000, that connection closed, others untouched', async () => {
  const other = client(server);
  await other.connect();
  const c = await WireClient.connect(server.host, server.port, { user: 'tester' });
  try {
    c.send('Query', { String: `select '${'x'.repeat(70 * 1024)}'` });
    const m = await c.receive(5000);
    assert.equal(m.Type, 'ErrorResponse');
    assert.equal(m.Severity, 'FATAL');
    assert.equal(m.Code, '54000');
    assert.match(m.Message as string, /exceeds the limit of 65536 bytes/);
    assert.ok(await c.closedWithin(5000), 'the connection is closed');
    assert.deepEqual((await other.query('select 1 as one')).rows, [{ one: 1 }]);
    // A message just under the limit is fine.
    const r = await other.query(`select length('${'y'.repeat(60 * 1024)}') as n`);
    assert.equal(r.rows[0].n, 60 * 1024);
  } finally {
    await other.end();
  }
});

test('more connections than allowed: 53300, and a slot frees when a client leaves', async () => {
  const s = await startServer({ maxConnections: 2 });
  const a = client(s);
  const b = client(s);
  try {
    await a.connect();
    await b.connect();
    const c = client(s);
    await assert.rejects(c.connect(), { code: '53300', message: 'sorry, too many clients already' });
    await a.end();
    const d = client(s);
    await d.connect();
    assert.deepEqual((await d.query('select 2 as two')).rows, [{ two: 2 }]);
    await d.end();
    assert.deepEqual((await b.query('select 3 as three')).rows, [{ three: 3 }]);
  } finally {
    await b.end();
    await s.stop();
  }
});

test('the server statement timeout stops a long statement with 57014; the connection goes on', async () => {
  const s = await startServer({ statementTimeout: 300 });
  const c = client(s);
  await c.connect();
  try {
    await c.query('create table big (k int primary key)');
    await c.query(`insert into big values ${Array.from({ length: 200 }, (_, i) => `(${i})`).join(',')}`);
    for (const q of [LONG_AGGREGATE, LONG_RESULT]) {
      const t0 = Date.now();
      await assert.rejects(c.query(q), {
        code: '57014',
        message: 'canceling statement due to statement timeout',
      });
      assert.ok(Date.now() - t0 < 5000, `stopped after ${Date.now() - t0} ms`);
    }
    // In a transaction: the timeout aborts it (25P02 until ROLLBACK), as any error.
    await c.query('begin');
    await assert.rejects(c.query(LONG_AGGREGATE), { code: '57014' });
    await assert.rejects(c.query('select 1'), { code: '25P02' });
    await c.query('rollback');
    assert.deepEqual((await c.query('select count(*)::int as n from big')).rows, [{ n: 200 }]);
  } finally {
    await c.end();
    await s.stop();
  }
});

test('SET statement_timeout limits this session only; 0 turns it off', async () => {
  const c = client(server);
  const other = client(server);
  await c.connect();
  await other.connect();
  try {
    await c.query("set statement_timeout = '200ms'");
    const t0 = Date.now();
    await assert.rejects(c.query(LONG_AGGREGATE), { code: '57014' });
    assert.ok(Date.now() - t0 < 5000);
    // The extended protocol too.
    await assert.rejects(c.query({ text: `${LONG_RESULT} where a.k >= $1`, values: [0] }), { code: '57014' });
    await c.query('set statement_timeout = 0');
    assert.deepEqual((await c.query('select count(*)::int as n from big a, big b')).rows, [{ n: 40000 }]);
    assert.deepEqual((await other.query('show statement_timeout')).rows, [{ statement_timeout: '0' }]);
  } finally {
    await c.end();
    await other.end();
  }
});

test('CancelRequest stops a long statement with 57014; wrong keys and idle cancels do nothing', async () => {
  const c = await WireClient.connect(server.host, server.port, { user: 'tester' });
  try {
    // Cancelling an idle connection, or with the wrong secret: nothing happens.
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret);
    c.send('Query', { String: LONG_RESULT });
    await c.receive(5000); // RowDescription: it is running
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret ^ 1);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret);
    const got = await until(c, 'ReadyForQuery');
    const err = got.find((m) => m.Type === 'ErrorResponse');
    assert.ok(got.filter((m) => m.Type === 'DataRow').length > 0, 'rows were flowing');
    assert.equal(err?.Code, '57014');
    assert.equal(err?.Message, 'canceling statement due to user request');
    // Uncancelled, the 8M-row join streams far longer; the bound leaves room for a loaded CI machine.
    assert.ok(Date.now() - t0 < 20_000, `cancelled after ${Date.now() - t0} ms`);
    assert.deepEqual(got.at(-1), { Type: 'ReadyForQuery', TxStatus: 'I' });
    // The connection goes on, and the cancel does not hit the next statement.
    c.send('Query', { String: 'select count(*) from big' });
    const next = await until(c, 'ReadyForQuery');
    assert.deepEqual(
      next.map((m) => m.Type),
      ['RowDescription', 'DataRow', 'CommandComplete', 'ReadyForQuery'],
    );
  } finally {
    c.end();
  }
});

test('a statement waiting for a lock: CancelRequest and statement_timeout end the wait with 57014', async () => {
  const holder = client(server);
  await holder.connect();
  const c = await WireClient.connect(server.host, server.port, { user: 'tester' });
  try {
    await holder.query('create table locked (k int primary key, v int)');
    await holder.query('insert into locked values (1, 1)');
    await holder.query('begin');
    await holder.query('update locked set v = 2 where k = 1');
    // A row lock wait (lock_timeout is unlimited), cancelled.
    c.send('Query', { String: 'update locked set v = 3 where k = 1' });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret);
    let got = await until(c, 'ReadyForQuery');
    let err = got.find((m) => m.Type === 'ErrorResponse');
    assert.equal(err?.Code, '57014');
    assert.equal(err?.Message, 'canceling statement due to user request');
    assert.ok(Date.now() - t0 < 10_000, `cancelled after ${Date.now() - t0} ms`);
    // A table lock wait (behind TRUNCATE's ACCESS EXCLUSIVE), ended by the statement timeout.
    await holder.query('truncate locked');
    c.send('Query', { String: "set statement_timeout = '300ms'" });
    await until(c, 'ReadyForQuery');
    const t1 = Date.now();
    c.send('Query', { String: 'select * from locked' });
    got = await until(c, 'ReadyForQuery');
    err = got.find((m) => m.Type === 'ErrorResponse');
    assert.equal(err?.Code, '57014');
    assert.equal(err?.Message, 'canceling statement due to statement timeout');
    assert.ok(Date.now() - t1 < 10_000, `timed out after ${Date.now() - t1} ms`);
    // The holder's transaction went on (rolled back here); the waiter's statements changed nothing.
    await holder.query('rollback');
    c.send('Query', { String: 'reset statement_timeout' });
    await until(c, 'ReadyForQuery');
    c.send('Query', { String: 'select v from locked' });
    got = await until(c, 'ReadyForQuery');
    assert.deepEqual(
      got.filter((m) => m.Type === 'DataRow').map((m) => m.Values),
      [[{ text: '1' }]],
    );
  } finally {
    c.end();
    await holder.query('drop table if exists locked').catch(() => undefined);
    await holder.end();
  }
});

test('CancelRequest through the extended protocol (a portal running in an explicit transaction)', async () => {
  const c = await WireClient.connect(server.host, server.port, { user: 'tester' });
  try {
    c.send('Query', { String: 'begin' });
    await until(c, 'ReadyForQuery');
    c.send('Parse', { Query: LONG_RESULT });
    c.send('Bind');
    c.send('Execute');
    c.send('Sync');
    await until(c, 'DataRow');
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret);
    const got = await until(c, 'ReadyForQuery');
    assert.equal(got.find((m) => m.Type === 'ErrorResponse')?.Code, '57014');
    assert.deepEqual(got.at(-1), { Type: 'ReadyForQuery', TxStatus: 'E' });
    c.send('Query', { String: 'rollback' });
    assert.deepEqual((await until(c, 'ReadyForQuery')).at(-1), { Type: 'ReadyForQuery', TxStatus: 'I' });
  } finally {
    c.end();
  }
});

test('a client that never finishes logging in is disconnected after the authentication timeout', async () => {
  const s = await startServer({ authenticationTimeout: 300, password: 'pw' });
  try {
    const silent = connect(s.port, s.host);
    const half = connect(s.port, s.host);
    half.on('connect', () => half.write(startupMessage({ user: 'u' }))); // then never answers SCRAM
    const closed = (sock: Socket): Promise<number> =>
      new Promise((resolve) => {
        const t0 = Date.now();
        sock.on('error', () => undefined);
        sock.resume(); // read, so that the end of the stream is seen
        sock.on('close', () => resolve(Date.now() - t0));
      });
    const [a, b] = await Promise.all([closed(silent), closed(half)]);
    assert.ok(a < 10_000 && b < 10_000, `closed after ${a} and ${b} ms`);
    // Logging in in time is unaffected.
    const c = client(s, { password: 'pw' });
    await c.connect();
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual((await c.query('select 1 as one')).rows, [{ one: 1 }]);
    await c.end();
  } finally {
    await s.stop();
  }
});

test('pg_sleep holds up no other connection, and CancelRequest stops it with 57014', async () => {
  const c = await WireClient.connect(server.host, server.port, { user: 'tester' });
  const other = client(server);
  await other.connect();
  try {
    const t0 = Date.now();
    c.send('Query', { String: 'select pg_sleep(30)' });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual((await other.query('select count(*)::int as n from big')).rows, [{ n: 200 }]);
    assert.ok(Date.now() - t0 < 5000, 'another connection ran while the first slept');
    await sendCancelRequest(server.host, server.port, c.key.pid, c.key.secret);
    const got = await until(c, 'ReadyForQuery');
    assert.equal(got.find((m) => m.Type === 'ErrorResponse')?.Code, '57014');
    assert.ok(Date.now() - t0 < 20_000, 'the 30 s sleep was cancelled');
  } finally {
    c.end();
    await other.end();
  }
});

test('a transaction over the size limit (a large COPY): ERROR 54000, nothing written, the connection serves on', async () => {
  const small = await startServer({ maxTransactionSize: 64 * 1024 });
  const c = await WireClient.connect(small.host, small.port, { user: 'tester' });
  try {
    c.send('Query', { String: 'create table t (k int primary key, v text)' });
    await until(c, 'ReadyForQuery');
    c.send('Query', { String: 'copy t from stdin' });
    await until(c, 'CopyInResponse');
    // ~100 KiB of rows: past the 64 KiB limit.
    for (let i = 0; i < 1000; i += 100) {
      const rows = Array.from({ length: 100 }, (_, j) => `${i + j}\t${'v'.repeat(90)}\n`).join('');
      c.send('CopyData', { Data: rows });
    }
    c.send('CopyDone', {});
    const got = await until(c, 'ReadyForQuery');
    const err = got.find((m) => m.Type === 'ErrorResponse');
    assert.ok(err !== undefined, `an error: ${JSON.stringify(got)}`);
    assert.equal(err.Severity, 'ERROR');
    assert.equal(err.Code, '54000');
    c.send('Query', { String: 'select count(*) from t' });
    const rows = (await until(c, 'ReadyForQuery')).filter((m) => m.Type === 'DataRow');
    assert.deepEqual(rows[0]?.Values, [{ text: '0' }]);
  } finally {
    c.end();
    await small.stop();
  }
});
