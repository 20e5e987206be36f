/**
 * pgbench, unchanged, against serve(): `pgbench -i -s 1`, then the built-in TPC-B script in each -M mode,
 * select-only (-S), simple-update (-N), and TPC-B at 64 clients on 4 threads, a few seconds each. After
 * every run the money is conserved (the change of sum(abalance), sum(tbalance) and sum(bbalance) equals
 * sum(delta) over pgbench_history, which pgbench truncates at the start of each run), history holds one row
 * per transaction pgbench processed, and no transaction failed (READ COMMITTED, as on PostgreSQL).
 * pgbench is spawned asynchronously: the server runs in this process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import pg from 'pg';
import { startServer, type TestServer } from '../support/sql-server.js';

const PGBENCH = process.env.SHALE_PGBENCH ?? 'pgbench';
const missing =
  spawnSync(PGBENCH, ['--version'], { encoding: 'utf8' }).status === 0
    ? undefined
    : `${PGBENCH} not found (apt-get install postgresql-client; .ci/run does)`;

/** SECONDS: how long each run lasts (-T). */
const SECONDS = Number(process.env.SHALE_PGBENCH_SECONDS ?? 2);

let server: TestServer;
let client: pg.Client;
before(async () => {
  if (missing !== undefined) return;
  server = await startServer();
  client = new pg.Client({ host: server.host, port: server.port, user: 'bench', database: 'shale' });
  await client.connect();
});
after(async () => {
  if (missing !== undefined) return;
  await client.end();
  await server.stop();
});

interface Outcome {
  readonly processed: number;
  readonly failed: number;
  readonly output: string;
}

function pgbench(args: string[]): Promise<Outcome> {
  const all = ['-h', server.host, '-p', String(server.port), '-U', 'bench', ...args, 'shale'];
  return new Promise((resolve, reject) => {
    const p = spawn(PGBENCH, all, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGPASSWORD: '' },
    });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`pgbench ${args.join(' ')} exited ${code}:\n${output}`));
      const count = (re: RegExp): number => Number(re.exec(output)?.[1] ?? NaN);
      resolve({
        processed: count(/number of transactions actually processed: (\d+)/),
        failed: count(/number of failed transactions: (\d+)/),
        output,
      });
    });
  });
}

interface Sums {
  readonly a: number;
  readonly t: number;
  readonly b: number;
  readonly delta: number;
  readonly history: number;
}

async function sums(): Promise<Sums> {
  const r = await client.query(`select
      (select coalesce(sum(abalance), 0) from pgbench_accounts)::int8::text as a,
      (select coalesce(sum(tbalance), 0) from pgbench_tellers)::int8::text as t,
      (select coalesce(sum(bbalance), 0) from pgbench_branches)::int8::text as b,
      (select coalesce(sum(delta), 0) from pgbench_history)::int8::text as delta,
      (select count(*) from pgbench_history)::int8::text as history`);
  const row = r.rows[0] as Record<keyof Sums, string>;
  return { a: +row.a, t: +row.t, b: +row.b, delta: +row.delta, history: +row.history };
}

/** last: the sums after the previous run (the tests run in order; summing 100000 accounts takes a while). */
let last: Sums | undefined;

/** Run: the sums around a pgbench run, and what the run added to pgbench_history. */
interface Run {
  readonly before: Sums;
  readonly after: Sums;
  readonly outcome: Outcome;
  /** history, delta: rows the run added to pgbench_history and the sum of their delta. */
  readonly history: number;
  readonly delta: number;
}

/**
 * run runs pgbench and checks what every run must leave: transactions processed, none failed.
 * pgbench vacuums the small tables and truncates pgbench_history before a run, unless `vacuum` is false
 * (-n: the history is then counted from where it was; it keeps the file's runs short).
 */
async function run(args: string[], vacuum = false): Promise<Run> {
  const before = last ?? (await sums());
  const outcome = await pgbench(['-T', String(SECONDS), ...(vacuum ? [] : ['-n']), ...args]);
  const after = await sums();
  last = after;
  assert.ok(outcome.processed > 0, outcome.output);
  assert.equal(outcome.failed, 0, outcome.output);
  const history = vacuum ? after.history : after.history - before.history;
  const delta = vacuum ? after.delta : after.delta - before.delta;
  return { before, after, outcome, history, delta };
}

/** tpcb checks the TPC-B invariant: every transaction moved delta into one account, teller and branch. */
async function tpcb(args: string[], vacuum = false): Promise<void> {
  const { before, after, outcome, history, delta } = await run(args, vacuum);
  assert.equal(history, outcome.processed, 'one history row per transaction');
  assert.equal(after.a - before.a, delta, 'accounts');
  assert.equal(after.t - before.t, delta, 'tellers');
  assert.equal(after.b - before.b, delta, 'branches');
}

test('pgbench -i -s 1: tables, rows and primary keys as on PostgreSQL', { skip: missing }, async () => {
  await pgbench(['-i', '-s', '1', '-q']);
  const r = await client.query(`select
      (select count(*) from pgbench_accounts)::int as accounts,
      (select count(*) from pgbench_tellers)::int as tellers,
      (select count(*) from pgbench_branches)::int as branches,
      (select count(*) from pgbench_history)::int as history`);
  assert.deepEqual(r.rows, [{ accounts: 100000, tellers: 10, branches: 1, history: 0 }]);
  await assert.rejects(client.query('insert into pgbench_branches values (1, 0)'), { code: '23505' });
});

for (const mode of ['simple', 'extended', 'prepared'])
  test(`pgbench TPC-B -M ${mode}, 4 clients: money conserved, none failed`, { skip: missing }, () =>
    // The first run as pgbench runs by default: VACUUM and TRUNCATE of pgbench_history first.
    tpcb(['-M', mode, '-c', '4', '-j', '2'], mode === 'simple'),
  );

test('pgbench -S (select-only), 4 clients: nothing changes, none failed', { skip: missing }, async () => {
  const { before, after, history } = await run(['-S', '-M', 'prepared', '-c', '4', '-j', '2']);
  assert.equal(history, 0);
  assert.deepEqual(after, before);
});

test(
  'pgbench -N (simple update), 4 clients: accounts and history move together',
  { skip: missing },
  async () => {
    const { before, after, outcome, history, delta } = await run([
      '-N',
      '-M',
      'extended',
      '-c',
      '4',
      '-j',
      '2',
    ]);
    assert.equal(history, outcome.processed, 'one history row per transaction');
    assert.equal(after.a - before.a, delta);
    assert.equal(after.t, before.t);
    assert.equal(after.b, before.b);
  },
);

test('pgbench TPC-B at 64 clients on 4 threads: money conserved, none failed', { skip: missing }, () =>
  tpcb(['-M', 'prepared', '-c', '64', '-j', '4']),
);
