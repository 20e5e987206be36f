/**
 * Test helpers for the SQL server: a server on an ephemeral loopback port over a fresh temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type PgServer, type ServeOptions } from '../../src/pg/server.js';

export interface TestServer extends PgServer {
  readonly dataDir: string;
  /** stop closes the server and removes its directory. */
  stop(): Promise<void>;
}

export async function startServer(
  options: Omit<ServeOptions, 'port' | 'dataDir'> = {},
  dataDir?: string,
): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'shale-sql-'));
  const server = await serve({ log: () => undefined, ...options, dataDir: dir, port: 0 });
  return {
    host: server.host,
    port: server.port,
    dataDir: dir,
    ...(server.metricsPort === undefined ? {} : { metricsPort: server.metricsPort }),
    metricsText: () => server.metricsText(),
    close: () => server.close(),
    stop: async () => {
      await server.close();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
