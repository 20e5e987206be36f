/**
 * --metrics-port: Prometheus text at /metrics with the server's counters (connections, statements by
 * command, errors by SQLSTATE class, transactions, statement latency) and the engine's metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import pg from 'pg';
import { startServer } from '../support/sql-server.js';

function fetchText(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    }).on('error', reject);
  });
}

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  assert.ok(line !== undefined, `${name} is exposed`);
  return Number(line.slice(name.length + 1));
}

test('the metrics endpoint counts statements, errors, transactions and connections', async () => {
  const server = await startServer({ metricsPort: 0 });
  const c = new pg.Client({ host: server.host, port: server.port, user: 'm', database: 'shale' });
  try {
    await c.connect();
    await c.query('create table m (k int primary key)');
    for (let i = 0; i < 5; i++) await c.query('insert into m values ($1)', [i]);
    for (let i = 0; i < 3; i++) await c.query('select * from m where k = $1', [i]);
    await assert.rejects(c.query('select 1/0'), { code: '22012' });
    await assert.rejects(c.query('select * from nope'), { code: '42P01' });
    await c.query('begin');
    await c.query('commit');
    const r = await fetchText(server.metricsPort!, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(r.body, 'shale_sql_statements_total{command="INSERT"}'), 5);
    assert.equal(sample(r.body, 'shale_sql_statements_total{command="SELECT"}'), 3);
    assert.equal(sample(r.body, 'shale_sql_errors_total{class="22"}'), 1);
    assert.equal(sample(r.body, 'shale_sql_errors_total{class="42"}'), 1);
    assert.equal(sample(r.body, 'shale_sql_transactions_committed_total'), 1);
    assert.equal(sample(r.body, 'shale_sql_connections'), 1);
    assert.ok(sample(r.body, 'shale_sql_statement_seconds_count') >= 10);
    assert.match(r.body, /^# TYPE shale_\w+ counter$/m, 'the engine metrics follow');
    assert.equal((await fetchText(server.metricsPort!, '/other')).status, 404);
  } finally {
    await c.end();
    await server.stop();
  }
});

test("serve's block cache is 128 MiB unless blockCacheSize says otherwise", async () => {
  for (const [options, bytes] of [
    [{}, 128 * 1024 * 1024],
    [{ blockCacheSize: 1 << 20 }, 1 << 20],
  ] as const) {
    const server = await startServer(options);
    try {
      assert.equal(sample(server.metricsText(), 'shale_block_cache_capacity_bytes'), bytes);
    } finally {
      await server.stop();
    }
  }
});
