/**
 * psql as a test client: runs `psql -X -v ON_ERROR_STOP=0 -f script.sql` against a server and returns
 * what it printed, stdout and stderr interleaved in order (errors appear where they happen), for diffing
 * against the output PostgreSQL 15 produced for the same script (test/sql/psql/*.expected).
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PG_BIN } from './postgres.js';
import { makeTmpDir, removeTmpDir } from './tmp-dir.js';

/** psqlPath returns PostgreSQL 15's psql (the version whose output the expectations hold), if installed. */
export function psqlPath(): string | undefined {
  for (const p of [join(PG_BIN, 'psql')]) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/** PSQL_MISSING is the skip message for tests that need psql. */
export const PSQL_MISSING = `psql 15 not found in ${PG_BIN} (apt-get install postgresql-client-15, or set SHALE_PG_BIN)`;

/** Where psql connects. */
export interface PsqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

/**
 * runPsql runs the script at `scriptPath` with its directory as the working directory, so error lines
 * read `psql:<name>.sql:<line>: ERROR: ...` wherever the file lives. The environment is cleared of PG*
 * variables; LC_ALL=C.UTF-8 fixes how psql measures the width of non-ASCII text. Asynchronous on
 * purpose: the server under test may live in this very process, and a synchronous spawn would block its
 * event loop.
 */
export async function runPsql(scriptPath: string, target: PsqlTarget, timeoutMs = 30_000): Promise<string> {
  const psql = psqlPath();
  if (psql === undefined) throw new Error(PSQL_MISSING);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('PG') && !k.startsWith('LC_')) env[k] = v;
  Object.assign(env, {
    LC_ALL: 'C.UTF-8',
    PGCONNECT_TIMEOUT: '10',
    PAGER: '',
    PSQL_PAGER: '',
    PGAPPNAME: 'psql',
  });
  delete env.PSQLRC;
  const dir = makeTmpDir('shale-psql-');
  const outPath = join(dir, 'out');
  // One file descriptor for stdout and stderr keeps psql's own interleaving of results and errors.
  const fd = openSync(outPath, 'w');
  try {
    const args = ['-X', '-v', 'ON_ERROR_STOP=0', '-h', target.host, '-p', String(target.port)];
    args.push('-U', target.user, '-d', target.database, '-f', basename(scriptPath));
    const child = spawn(psql, args, { cwd: dirname(scriptPath), env, stdio: ['ignore', fd, fd] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const status = await new Promise<string>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(signal ?? String(code)));
    }).finally(() => clearTimeout(timer));
    const out = readFileSync(outPath, 'utf8');
    if (status === 'SIGKILL') throw new Error(`psql did not finish within ${timeoutMs} ms\n${out}`);
    return out;
  } finally {
    closeSync(fd);
    removeTmpDir(dir);
  }
}
