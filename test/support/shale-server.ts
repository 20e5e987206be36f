/**
 * Access to shale's PostgreSQL-wire server for the SQL tests, loaded by a computed path so that this
 * compiles before src/pg/server.ts exists: loadServe() resolves to undefined (and the tests become todo)
 * until it does.
 */
import { readFileSync } from 'node:fs';
import { makeTmpDir, removeTmpDir } from './tmp-dir.js';

/** The subset of src/pg/server.ts's API that the tests use. */
export interface ServeOptions {
  dataDir?: string;
  host?: string;
  port?: number;
  password?: string;
  maxConnections?: number;
  statementTimeout?: number;
  log?: (message: string) => void;
}
export interface PgServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}
export type ServeFn = (options?: ServeOptions) => Promise<PgServer>;

/** SERVER_MODULE is build/src/pg/server.js, seen from build/test/support/. */
const SERVER_MODULE = new URL('../../src/pg/server.js', import.meta.url).href;

/** loadServe imports shale's serve(), or returns the reason it cannot. */
export async function loadServe(): Promise<ServeFn | string> {
  try {
    const mod = (await import(SERVER_MODULE)) as { serve?: unknown };
    if (typeof mod.serve !== 'function') return `${SERVER_MODULE} does not export serve()`;
    return mod.serve as ServeFn;
  } catch (e) {
    return `shale's server is not available: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** A running shale server on a fresh data directory, with the connection parameters tests use. */
export interface FreshShale {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** restart closes the server and serves the same data directory again (host and port may change). */
  restart(): Promise<FreshShale>;
  stop(): Promise<void>;
}

/** SERVER_TIMEOUT_MS bounds serve() and close(), so a hung server fails its test instead of the run. */
const SERVER_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${SERVER_TIMEOUT_MS} ms`)),
      SERVER_TIMEOUT_MS,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** startFreshShale serves a new empty data directory on an ephemeral loopback port. */
export async function startFreshShale(serve: ServeFn): Promise<FreshShale> {
  const dataDir = makeTmpDir('shale-sql-');
  const open = (): Promise<PgServer> =>
    withTimeout(serve({ dataDir, host: '127.0.0.1', port: 0, log: () => undefined }), 'serve()');
  let server: PgServer | undefined;
  try {
    server = await open();
  } catch (e) {
    removeTmpDir(dataDir);
    throw e;
  }
  let stopped: Promise<void> | undefined;
  const handle: { -readonly [K in keyof FreshShale]: FreshShale[K] } = {
    host: server.host,
    port: server.port,
    user: 'postgres',
    database: 'postgres',
    async restart() {
      const old = server;
      server = undefined;
      if (old) await withTimeout(old.close(), 'close()');
      server = await open();
      handle.host = server.host;
      handle.port = server.port;
      return handle;
    },
    stop() {
      const s = server;
      stopped ??= (s ? withTimeout(s.close(), 'close()') : Promise.resolve()).finally(() =>
        removeTmpDir(dataDir),
      );
      return stopped;
    },
  };
  return handle;
}

/**
 * readPending reads a PENDING file: one corpus file name per line, `#` comments. The files it names are
 * not yet expected to pass against shale and run as todo.
 */
export function readPending(path: string): Set<string> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Set();
  }
  return new Set(
    text
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== ''),
  );
}
