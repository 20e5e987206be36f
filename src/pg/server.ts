/**
 * serve() runs a PostgreSQL wire-protocol server on a shale database: psql, node-postgres, postgres.js and
 * pgbench connect to it as to PostgreSQL 15. Trust authentication on loopback; with a password, SCRAM-SHA-256
 * (required to listen on any other address). close() stops accepting, lets running statements finish
 * (bounded), rolls back open transactions and closes the database it opened.
 */
import { createServer, type Server } from 'node:net';
import { randomInt } from 'node:crypto';
import { DB } from '../db/db.js';
import { SqlEngine } from '../sql/engine.js';
import { Connection, type ConnectionHost } from './connection.js';
import { scramAuthenticator, type Authenticator } from './auth.js';
import { InvalidArgumentError } from '../util/errors.js';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { ServerMetrics } from './server-metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from '../db/prometheus-text.js';

export interface ServeOptions {
  /** dataDir: the database directory (created if missing; default ./shale-data). Ignored when db is given. */
  dataDir?: string;
  /** db: serve an already open database (left open by close()). */
  db?: DB;
  /**
   * blockCacheSize: bytes of uncompressed table blocks the database it opens keeps in memory (default 128
   * MiB, PostgreSQL's default shared_buffers; the engine's own default of 8 MiB misses on most point reads
   * of a table of a million rows). Ignored when db is given.
   */
  blockCacheSize?: number;
  host?: string;
  /** port: 0 picks a free port (default 5432). */
  port?: number;
  /** password: enables SCRAM-SHA-256 authentication for every user. */
  password?: string;
  maxConnections?: number;
  /** statementTimeout: milliseconds a statement may run (0: no limit). */
  statementTimeout?: number;
  /** maxMessageSize: the largest protocol message accepted, in bytes (default 64 MiB). */
  maxMessageSize?: number;
  /**
   * maxTransactionSize: the most one transaction's writes may take in memory until it commits, in bytes
   * (default 1 GiB); past it a statement fails with 54000 and the transaction is aborted.
   */
  maxTransactionSize?: number;
  /** authenticationTimeout: ms a client has to finish the startup and authentication (default 60000). */
  authenticationTimeout?: number;
  /** shutdownTimeout: how long close() waits for running statements, in ms (default 5000). */
  shutdownTimeout?: number;
  log?: (message: string) => void;
  /** metricsPort: also serve Prometheus text at http://host:metricsPort/metrics (0 picks a free port). */
  metricsPort?: number;
}

export interface PgServer {
  readonly host: string;
  readonly port: number;
  /** metricsPort: the port of the /metrics endpoint, when one was asked for. */
  readonly metricsPort?: number;
  /** metrics: the server's and the engine's metrics as Prometheus text. */
  metricsText(): string;
  close(): Promise<void>;
}

/** DEFAULT_BLOCK_CACHE_SIZE: serve's block cache, as PostgreSQL's default shared_buffers. */
const DEFAULT_BLOCK_CACHE_SIZE = 128 * 1024 * 1024;

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export async function serve(options: ServeOptions = {}): Promise<PgServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.password === undefined)
    throw new InvalidArgumentError(
      `refusing to listen on ${host} without a password (trust is only allowed on loopback)`,
    );
  const db =
    options.db ??
    (await DB.open(options.dataDir ?? './shale-data', {
      blockCacheSize: options.blockCacheSize ?? DEFAULT_BLOCK_CACHE_SIZE,
    }));
  const ownsDb = options.db === undefined;
  let engine: SqlEngine;
  try {
    engine = await SqlEngine.open(db);
    if (options.maxTransactionSize !== undefined) engine.maxTransactionBytes = options.maxTransactionSize;
  } catch (err) {
    if (ownsDb) await db.close();
    throw err;
  }
  const connections = new Map<number, Connection>();
  const metrics = new ServerMetrics();
  const maxConnections = options.maxConnections ?? 100;
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const authenticator: (() => Authenticator) | undefined =
    options.password === undefined ? undefined : scramAuthenticator(options.password);
  const connectionHost: ConnectionHost = {
    engine,
    maxMessageSize: options.maxMessageSize ?? 64 * 1024 * 1024,
    statementTimeout: options.statementTimeout ?? 0,
    authenticationTimeout: options.authenticationTimeout ?? 60_000,
    authenticator,
    metrics,
    register(c) {
      if (connections.size >= maxConnections) {
        metrics.connectionsRefused++;
        return undefined;
      }
      metrics.connectionsOpen++;
      metrics.connectionsTotal++;
      let pid: number;
      do pid = randomInt(1000, 2 ** 31 - 1);
      while (connections.has(pid));
      connections.set(pid, c);
      return { pid, secret: randomInt(0, 2 ** 31 - 1) };
    },
    unregister(c) {
      if (connections.get(c.pid) === c) {
        connections.delete(c.pid);
        metrics.connectionsOpen--;
      }
    },
    cancel(pid, secret) {
      const c = connections.get(pid);
      if (c !== undefined && c.secret === secret) c.cancel();
    },
    log,
  };
  const sockets = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const c = new Connection(socket, connectionHost);
    sockets.add(c);
    socket.on('close', () => sockets.delete(c));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 5432, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (ownsDb) await db.close();
    throw err;
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : (options.port ?? 5432);
  const metricsText = (): string => metrics.text(db.metrics());
  let http: HttpServer | undefined;
  let metricsPort: number | undefined;
  if (options.metricsPort !== undefined) {
    http = createHttpServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
        return;
      }
      try {
        res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(metricsText());
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err) + '\n');
      }
    });
    const h = http;
    try {
      await new Promise<void>((resolve, reject) => {
        h.once('error', reject);
        h.listen(options.metricsPort, host, () => resolve());
      });
    } catch (err) {
      server.close();
      if (ownsDb) await db.close();
      throw err;
    }
    const a = h.address();
    metricsPort = typeof a === 'object' && a !== null ? a.port : options.metricsPort;
  }
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    ...(metricsPort === undefined ? {} : { metricsPort }),
    metricsText,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        const timeout = options.shutdownTimeout ?? 5000;
        await Promise.race([
          Promise.all([...sockets].map((c) => c.busy)),
          new Promise((r) => setTimeout(r, timeout).unref()),
        ]);
        for (const c of sockets) c.terminate();
        await stopped;
        if (http !== undefined) await new Promise<void>((resolve) => http!.close(() => resolve()));
        engine.sequences.flush();
        if (ownsDb) await db.close();
      })();
      return closing;
    },
  };
}
