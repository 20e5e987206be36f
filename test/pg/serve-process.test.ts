/**
 * `shale serve` as a child process: SIGTERM shuts it down gracefully (the running statement finishes,
 * open transactions roll back, exit code 0, data intact); rows committed through the server survive
 * kill -9 (synchronous_commit on) and rows of transactions not committed do not. Children are spawned
 * asynchronously: this process is the client and must not block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';
import { startServer } from '../support/sql-server.js';
import { WireClient, type WireMessage } from '../support/wire-client.js';

const CLI = fileURLToPath(new URL('../../src/cli/shale.js', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

async function startServe(dir: string): Promise<Child> {
  const proc = spawn(process.execPath, [CLI, 'serve', `--data-dir=${dir}`, '--port=0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHALE_PASSWORD: '' },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    void exited.then(({ code }) => reject(new Error(`shale serve exited (${code}): ${stderr}`)));
  });
  return { proc, port, exited, stderr: () => stderr };
}

function client(port: number): pg.Client {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'tester', database: 'shale' });
  c.on('error', () => undefined); // a server going away is expected here
  return c;
}

test('kill -9: committed rows survive, uncommitted ones do not', async () => {
  const dir = makeTmpDir('shale-kill-');
  try {
    const child = await startServe(dir);
    const c = client(child.port);
    await c.connect();
    await c.query('create table acked (k int primary key, v text not null)');
    const N = 100;
    for (let i = 0; i < N; i++) await c.query('insert into acked values ($1, $2)', [i, `v${i}`]);
    await c.query('begin');
    await c.query("insert into acked values (1000, 'multi'), (1001, 'multi')");
    await c.query('update acked set v = $1 where k < 10', ['updated']);
    await c.query('commit');
    // Not committed: an open transaction, and a statement that failed midway.
    const open = client(child.port);
    await open.connect();
    await open.query('begin');
    await open.query("insert into acked values (2000, 'open'), (2001, 'open')");
    await open.query("update acked set v = 'open' where k = 20");
    await assert.rejects(c.query("insert into acked values (3000, 'x'), (0, 'dup')"), { code: '23505' });

    child.proc.kill('SIGKILL');
    assert.equal((await child.exited).signal, 'SIGKILL');
    await c.end().catch(() => undefined);
    await open.end().catch(() => undefined);

    // Recovery, checked in this process (a child would only add a Node start-up).
    const server = await startServer({}, dir);
    const r = client(server.port);
    await r.connect();
    try {
      const rows = (await r.query('select k, v from acked order by k')).rows as { k: number; v: string }[];
      const expected = [
        ...Array.from({ length: N }, (_, i) => ({ k: i, v: i < 10 ? 'updated' : `v${i}` })),
        { k: 1000, v: 'multi' },
        { k: 1001, v: 'multi' },
      ];
      assert.deepEqual(rows, expected);
    } finally {
      await r.end();
      await server.stop();
    }
  } finally {
    removeTmpDir(dir);
  }
});

test('SIGTERM: the running statement finishes, open transactions roll back, exit 0, data intact', async () => {
  const dir = makeTmpDir('shale-term-');
  try {
    const child = await startServe(dir);
    const setup = client(child.port);
    await setup.connect();
    await setup.query('create table big (k int primary key)');
    await setup.query(`insert into big values ${Array.from({ length: 200 }, (_, i) => `(${i})`).join(',')}`);
    await setup.query('create table kept (k int primary key)');
    await setup.query('insert into kept values (1), (2)');
    // An open transaction, idle when the signal comes.
    await setup.query('begin');
    await setup.query('insert into kept values (3)');
    await setup.query('delete from kept where k = 1');

    // A statement streaming 40,000 rows when the signal comes (it yields between batches, so the signal is seen).
    const w = await WireClient.connect('127.0.0.1', child.port, { user: 'tester' });
    w.send('Query', { String: 'select a.k, b.k, c.k from big a, big b, big c where c.k < 1' });
    const got: WireMessage[] = [];
    while (got.at(-1)?.Type !== 'DataRow') got.push(await w.receive(10_000));
    child.proc.kill('SIGTERM');
    for (;;) {
      const m = await w.receive(20_000).catch(() => undefined);
      if (m === undefined) break;
      got.push(m);
    }
    const types = got.map((m) => m.Type);
    assert.equal(types.filter((t) => t === 'DataRow').length, 40_000);
    const tail = got.slice(-3);
    assert.deepEqual(tail[0], { Type: 'CommandComplete', CommandTag: 'SELECT 40000' });
    assert.deepEqual(tail[1], { Type: 'ReadyForQuery', TxStatus: 'I' });
    assert.equal(tail[2]!.Type, 'ErrorResponse');
    assert.equal(tail[2]!.Code, '57P01'); // then the server ended the connection
    const exit = await child.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, child.stderr());
    await setup.end().catch(() => undefined);

    const server = await startServer({}, dir);
    const r = client(server.port);
    await r.connect();
    try {
      assert.deepEqual((await r.query('select k from kept order by k')).rows, [{ k: 1 }, { k: 2 }]);
      assert.deepEqual((await r.query('select count(*)::int as n from big')).rows, [{ n: 200 }]);
    } finally {
      await r.end();
      await server.stop();
    }
  } finally {
    removeTmpDir(dir);
  }
});
