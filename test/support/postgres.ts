/**
 * A throwaway PostgreSQL 15 server, the oracle for the SQL tests: initdb in a fresh temporary directory,
 * then `postgres` on loopback on a free port, run as the `postgres` OS user when the tests run as root.
 * Settings: trust authentication, user `postgres`, UTF8, locale C.UTF-8 (text compares bytewise in the
 * default collation "C.UTF-8", like C), TimeZone UTC, DateStyle ISO, MDY. fsync=off, synchronous_commit=off
 * and full_page_writes=off: durability is not what these tests measure, speed is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { removeTmpDir } from './tmp-dir.js';

/** PG_BIN is where Debian's postgresql-15 package puts the server binaries; SHALE_PG_BIN overrides it. */
export const PG_BIN = process.env.SHALE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** PG_SETTINGS are the server settings every oracle instance runs with (stated, not defaults). */
export const PG_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  TimeZone: 'UTC',
  DateStyle: 'ISO, MDY',
  lc_messages: 'C',
  max_connections: '50',
  shared_buffers: '32MB',
  log_min_messages: 'fatal',
};

/** A running oracle server. */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** version is `server_version` as reported by `postgres --version`, e.g. "15.18". */
  readonly version: string;
  /** stop shuts the server down (fast mode) and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** pgBinary returns the path of a PostgreSQL program in PG_BIN. */
export function pgBinary(name: string): string {
  return join(PG_BIN, name);
}

/** postgresAvailable is true iff initdb and postgres from PostgreSQL 15 exist and are executable. */
export function postgresAvailable(): boolean {
  for (const name of ['initdb', 'postgres']) {
    try {
      accessSync(pgBinary(name), constants.X_OK);
    } catch {
      return false;
    }
  }
  return true;
}

/** POSTGRES_MISSING is the skip message for tests that need the oracle. */
export const POSTGRES_MISSING = `PostgreSQL 15 not found in ${PG_BIN} (apt-get install postgresql-15, or set SHALE_PG_BIN)`;

/** freePort asks the kernel for an unused loopback port. Racy by nature; startPostgres retries. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The OS identity to run PostgreSQL as: the `postgres` user when we are root (it refuses root). */
interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0)
    throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  // spawn's uid/gid options drop privileges like `runuser -u postgres --`, and signals reach the server.
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * startPostgres creates a cluster in a fresh temporary directory and starts it on a free loopback port.
 * Resolves once the server accepts connections. Callers must `stop()` it.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'shale-pg-'));
  if (as.uid !== undefined) {
    chownSync(dir, as.uid, as.gid!);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  const init = spawnSync(
    pgBinary('initdb'),
    [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ],
    { encoding: 'utf8', cwd: dir, uid: as.uid, gid: as.gid, env: serverEnv() },
  );
  if (init.status !== 0) {
    removeTmpDir(dir);
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const version =
    (spawnSync(pgBinary('postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '').match(
      /\d+\.\d+/,
    )?.[0] ?? 'unknown';
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const settings = Object.entries({ ...PG_SETTINGS, port: String(port), unix_socket_directories: dir });
    const args = ['-D', data, ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(pgBinary('postgres'), args, {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      uid: as.uid,
      gid: as.gid,
      env: serverEnv(),
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const ready = await waitReady(child, dir, port);
    if (ready) return handle(child, dir, port, version);
    lastError = stderr;
    await killAndWait(child);
  }
  removeTmpDir(dir);
  throw new Error(`PostgreSQL did not start: ${lastError}`);
}

/** serverEnv is the environment for initdb and postgres: no PG* variables from the caller, C messages. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PG') && !k.startsWith('LC_')) env[k] = v;
  env.LANG = 'C.UTF-8';
  env.HOME = tmpdir();
  return env;
}

/** waitReady polls for the postmaster.pid "ready" line; false if the process exits first. */
async function waitReady(child: ChildProcess, dir: string, port: number): Promise<boolean> {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (existsSync(pidFile)) {
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      // Line 4 is the port, line 8 the status ("ready" once it accepts connections).
      if (lines[3]?.trim() === String(port) && lines[7]?.trim() === 'ready') return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGINT is PostgreSQL's "fast shutdown": abort sessions, checkpoint, exit.
    child.kill(signal);
  });
}

function handle(child: ChildProcess, dir: string, port: number, version: string): PostgresServer {
  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    version,
    stop() {
      stopped ??= killAndWait(child).then(() => removeTmpDir(dir));
      return stopped;
    },
  };
}

/** The connection parameters of one database on an oracle server. */
export interface DatabaseParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

const SCRATCH_DATABASE = 'shale_scratch';
const scratchReady = new WeakMap<PostgresServer, Promise<void>>();

/**
 * withFreshDatabase runs `fn` against a database on `server` that holds nothing but an empty `public`
 * schema: one scratch database per server, whose public schema is dropped (CASCADE) and recreated
 * before each use. That is about 20 ms, against about 500 ms for CREATE DATABASE. Uses must not
 * overlap, and the corpus must keep its objects in `public`.
 */
export async function withFreshDatabase<T>(
  server: PostgresServer,
  fn: (params: DatabaseParams) => Promise<T>,
): Promise<T> {
  const connect = async (database: string): Promise<pg.Client> => {
    const c = new pg.Client({ host: server.host, port: server.port, user: 'postgres', database });
    await c.connect();
    return c;
  };
  let ready = scratchReady.get(server);
  if (ready === undefined) {
    ready = (async () => {
      const admin = await connect('postgres');
      try {
        await admin.query(`CREATE DATABASE ${SCRATCH_DATABASE} TEMPLATE template0`);
      } finally {
        await admin.end();
      }
    })();
    scratchReady.set(server, ready);
  }
  await ready;
  const reset = async (): Promise<void> => {
    const c = await connect(SCRATCH_DATABASE);
    try {
      await c.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
    } finally {
      await c.end();
    }
  };
  await reset();
  return fn({ host: server.host, port: server.port, user: 'postgres', database: SCRATCH_DATABASE });
}
