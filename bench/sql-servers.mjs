/**
 * The servers the SQL benchmarks (sql.mjs, sql-p99.mjs) run side by side: `shale serve` from dist/ in a child
 * process, and PostgreSQL 15 (Debian's binaries, as the postgres OS user) on a fresh data directory, both
 * with fsync on and synchronous_commit on unless told otherwise; the point-SELECT table both fill; and the
 * percentile they report. SHALE_DIST=<dir> serves another build of shale (a copy of dist/ inside the
 * repository) for A/B runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`no server on ${port}`);
}

/**
 * startShale serves a fresh data directory on `port`. `serveArgs` go to `shale serve` (e.g. --metrics-port),
 * `nodeArgs` to node (e.g. --cpu-prof --cpu-prof-dir=prof: the profile is written when the server stops);
 * `stdout`: where the server's standard output goes (a file descriptor; default nowhere).
 */
export async function startShale(port, { serveArgs = [], nodeArgs = [], stdout = 'ignore' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sql-shale-'));
  const child = spawn(
    process.execPath,
    [...nodeArgs, process.env.SHALE_DIST ? join(process.env.SHALE_DIST, 'cli/shale.js') : join(ROOT, 'dist/cli/shale.js'), 'serve', `--data-dir=${dir}`, `--port=${port}`, ...serveArgs],
    { stdio: ['ignore', stdout, 'inherit'] },
  );
  await waitForPort(port);
  return {
    name: 'shale',
    port,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** startPostgres starts PostgreSQL 15 on `port` (undefined when it is not installed); `settings` are -c pairs. */
export async function startPostgres(port, settings = {}) {
  if (!existsSync(join(PG_BIN, 'postgres'))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-sql-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asPg = (cmd, a) => spawnSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...a], { encoding: 'utf8' });
  const init = asPg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8']);
  if (init.status !== 0) throw new Error(init.stderr);
  const all = { listen_addresses: '127.0.0.1', fsync: 'on', synchronous_commit: 'on', max_connections: '100', ...settings };
  const c = Object.entries(all).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const child = spawn('runuser', ['-u', 'postgres', '--', join(PG_BIN, 'postgres'), '-D', data, '-p', String(port), '-k', dir, ...c], {
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    name: 'postgresql',
    port,
    stop: async () => {
      // runuser does not pass a signal on to postgres: pg_ctl stops it (fast: clients disconnected).
      const exited = new Promise((r) => child.on('exit', r));
      asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** client: a node-postgres client of either server (not yet connected). */
export function client(port) {
  return new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
}

/** createKv (re)creates bench_kv, the table point SELECTs read: `rows` rows (id, name, balance), id 0 up. */
export async function createKv(c, rows) {
  await c.query('drop table if exists bench_kv');
  await c.query('create table bench_kv (id int primary key, name text not null, balance int8 not null)');
  for (let i = 0; i < rows; i += 1000) {
    const values = [];
    for (let j = i; j < Math.min(rows, i + 1000); j++) values.push(`(${j}, 'name-${j}', ${j * 10})`);
    await c.query(`insert into bench_kv values ${values.join(',')}`);
  }
}

/** percentile: the p-quantile (0..1) of ascending `sorted`. */
export function percentile(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
