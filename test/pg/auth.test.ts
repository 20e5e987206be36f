/**
 * Authentication: SCRAM-SHA-256 with node-postgres, postgres.js and psql (the right password works, a
 * wrong one gets 28P01), and trust refused anywhere but loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import postgres from 'postgres';
import { serve } from '../../src/pg/server.js';
import { startServer, type TestServer } from '../support/sql-server.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const PASSWORD = 'pâss wörd';
let server: TestServer;
before(async () => {
  server = await startServer({ password: PASSWORD });
});
after(async () => {
  await server.stop();
});

function client(password: string): pg.Client {
  return new pg.Client({ host: server.host, port: server.port, user: 'alice', database: 'shale', password });
}

test('pg: SCRAM-SHA-256 with the right password works, a wrong one gets 28P01', async () => {
  const c = client(PASSWORD);
  await c.connect();
  try {
    assert.deepEqual((await c.query('select current_user as u')).rows, [{ u: 'alice' }]);
  } finally {
    await c.end();
  }
  const bad = client('wrong');
  await assert.rejects(bad.connect(), {
    code: '28P01',
    message: 'password authentication failed for user "alice"',
  });
});

test('postgres.js: SCRAM-SHA-256', async () => {
  const sql = postgres({
    host: server.host,
    port: server.port,
    user: 'bob',
    database: 'shale',
    password: PASSWORD,
    fetch_types: false,
  });
  try {
    assert.deepEqual([...(await sql`select ${1}::int + 1 as n`)], [{ n: 2 }]);
  } finally {
    await sql.end();
  }
  const bad = postgres({
    host: server.host,
    port: server.port,
    user: 'bob',
    database: 'shale',
    password: 'nope',
    fetch_types: false,
    max: 1,
  });
  try {
    await assert.rejects(bad`select 1`, { code: '28P01' });
  } finally {
    await bad.end();
  }
});

function psql(password: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Not spawnSync: the server runs in this process.
    const p = spawn(
      'psql',
      [
        '-X',
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        'carol',
        '-d',
        'shale',
        '-tAc',
        'select 40 + 2',
      ],
      {
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const havePsql = spawnSync('psql', ['--version']).status === 0;
test(
  'psql: SCRAM-SHA-256 with the right and a wrong password',
  { skip: havePsql ? false : 'no psql' },
  async () => {
    const ok = await psql(PASSWORD);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, '42\n');
    const bad = await psql('wrong');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /password authentication failed for user "carol"/);
  },
);

test('trust is refused off loopback: serve() and shale serve without a password', async () => {
  const dir = makeTmpDir('shale-auth-');
  try {
    await assert.rejects(
      serve({ dataDir: dir, host: '0.0.0.0', port: 0 }),
      /refusing to listen on 0.0.0.0 without a password/,
    );
    const cli = fileURLToPath(new URL('../../src/cli/shale.js', import.meta.url));
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const p = spawn(process.execPath, [cli, 'serve', `--data-dir=${dir}`, '--host=0.0.0.0', '--port=0'], {
        env: { ...process.env, SHALE_PASSWORD: '' },
      });
      let stderr = '';
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (status) => resolve({ status, stderr }));
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refusing to listen on 0.0.0.0 without a password/);
    // With a password, any address is allowed.
    const s = await serve({ dataDir: dir, host: '0.0.0.0', port: 0, password: 'x', log: () => undefined });
    const c = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'u', database: 'd', password: 'x' });
    await c.connect();
    await c.end();
    await s.close();
  } finally {
    removeTmpDir(dir);
  }
});
