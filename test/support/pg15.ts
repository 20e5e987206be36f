/**
 * A real PostgreSQL 15 for differential tests: SHALE_PGTEST_ADDR=host:port names a running one (user
 * postgres, trust); otherwise, when Debian's postgresql-15 binaries exist, one is initialised in a
 * temporary directory and started on loopback as the `postgres` OS user (tests run as root; PostgreSQL
 * refuses to run as root). Child processes are spawned asynchronously (a server in this process must keep
 * serving meanwhile).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

export interface Postgres {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, output }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** postgresAvailable: why PostgreSQL 15 cannot be used here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (process.env.SHALE_PGTEST_ADDR !== undefined) return undefined;
  if (!existsSync(join(BIN, 'initdb'))) return 'PostgreSQL 15 is not installed (set SHALE_PGTEST_ADDR)';
  const user = userInfo().username;
  if (user !== 'root' && user !== 'postgres') return 'cannot start PostgreSQL as this user';
  if (user === 'root') {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      return 'no postgres OS user';
    }
  }
  return undefined;
}

/** startPostgres returns a running PostgreSQL 15 (see the file comment). */
export async function startPostgres(): Promise<Postgres> {
  const addr = process.env.SHALE_PGTEST_ADDR;
  if (addr !== undefined) {
    const [host, port] = addr.split(':');
    return { host: host!, port: Number(port), stop: async () => undefined };
  }
  const asRoot = userInfo().username === 'root';
  const dir = mkdtempSync(join(tmpdir(), 'shale-pg15-'));
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const as = (cmd: string, args: string[]): Promise<{ status: number | null; output: string }> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  const data = join(dir, 'data');
  const init = await as(join(BIN, 'initdb'), [
    '-N',
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c TimeZone=UTC`;
  const start = await as(join(BIN, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    opts,
    'start',
  ]);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.output}`);
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      await as(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
