#!/usr/bin/env node
/**
 * The `shale` command for operators. Every subcommand takes `--help` (prints its help and runs
 * nothing); arguments are parsed with node's util.parseArgs. Exit codes: 0 success, 1 failure (or damage
 * found), 2 bad usage (an unknown subcommand or option, a missing argument).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DB } from '../db/db.js';
import { printValueLog, type ValueLogStats } from './value-log-stats.js';
import { fromUtf8 } from '../util/bytes.js';
import { runQa, runQaChild, thisCli } from './qa.js';
import { dumpFile } from '../db/dump.js';
import { formatMetrics } from './format-metrics.js';
import { startProgress } from './progress.js';
import { decodeArg, encodeOut, ENCODINGS, type Encoding } from './encoding.js';
import { serve, type PgServer, type ServeOptions } from '../pg/server.js';
import { SHALE_VERSION } from '../sql/engine.js';
import { NotSqlError, sqlAdmin } from './sql-admin.js';

/** UsageError: the command line is wrong (exit code 2). */
class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly args: string;
  readonly summary: string;
  readonly help?: string;
  readonly options?: Options;
  /** passThrough: hand every argument to the command unparsed (bench forwards to its harness). */
  readonly passThrough?: boolean;
  run(
    positionals: string[],
    values: Record<string, string | boolean | undefined>,
    raw: string[],
  ): Promise<number>;
}

const ENCODING_OPTIONS: Options = {
  'key-encoding': { type: 'string', default: 'utf8' },
  'value-encoding': { type: 'string', default: 'utf8' },
};
const ENCODING_HELP = `  --key-encoding=utf8|hex|base64    how keys are written on the command line and printed (default utf8)
  --value-encoding=utf8|hex|base64  likewise for values`;

const COMMANDS: Record<string, Command> = {
  demo: {
    args: '[dir]',
    summary: 'write, read, reopen and print stats on a database (default ./.shale-demo)',
    run: async ([dir]) => {
      await demo(dir ?? '.shale-demo');
      return 0;
    },
  },
  bench: {
    args: '[flags]',
    summary: 'db_bench workloads against the peers (from a source checkout; see docs/benchmarks.md)',
    help: 'Runs bench/run.mjs with the flags given (e.g. --num=200000 --benchmarks=fillrandom,readrandom).',
    passThrough: true,
    run: async (_p, _v, raw) => {
      // The harness and its peers live in the repository's bench/ folder (not in the npm package).
      const run = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
      if (!existsSync(run)) {
        process.stderr.write(
          'shale bench: bench/run.mjs not found; run it from a clone of the repository (npm run bench)\n',
        );
        return 2;
      }
      return spawnSync(process.execPath, [run, ...raw], { stdio: 'inherit' }).status ?? 1;
    },
  },
  qa: {
    args: '[--dir=<path>]',
    summary: 'durability check on your disk: write, restart, deletes, kill -9 and recover',
    options: { dir: { type: 'string' } },
    run: async (_p, v) => runQa((v.dir as string | undefined) ?? process.cwd(), thisCli(import.meta.url)),
  },
  repair: {
    args: '<dir>',
    summary: 'rebuild a database whose MANIFEST is lost or damaged (damaged tables go to lost/)',
    run: async ([dir]) => {
      const r = await withProgress('repair', 'files', (onProgress) =>
        DB.repair(need(dir, 'dir'), { onProgress }),
      );
      console.log(JSON.stringify(r, null, 2));
      return 0;
    },
  },
  compact: {
    args: '<dir> [table...]',
    summary: 'compact the whole database, or the named tables of the SQL database it holds',
    help: `  table   a table of the SQL database (shale serve's data directory), named as in SQL: unquoted
          names fold to lower case, "Quoted" ones do not; its rows and index entries are compacted`,
    run: async ([dir, ...tables]) => {
      return withDb(dir, async (db) => {
        if (tables.length > 0) console.log(await sqlAdmin(db, 'COMPACT', tables));
        else
          await withProgress('compact', 'steps', (onProgress) =>
            db.compactRange(undefined, undefined, { onProgress }),
          );
        console.log(db.getProperty('leveldb.stats'));
        return 0;
      });
    },
  },
  vacuum: {
    args: '<dir> [table...]',
    summary: 'compact (the whole database, or the named SQL tables) and collect value-log garbage',
    help: `  table   a table of the SQL database, named as in SQL (see shale compact --help)
As SQL's VACUUM: obsolete versions and deletions the engine no longer needs are dropped, then value-log
segments whose live ratio is below the database's gcRatio are rewritten (shale gc sets the ratio).`,
    run: async ([dir, ...tables]) => {
      return withDb(dir, async (db) => {
        if (tables.length > 0) console.log(await sqlAdmin(db, 'VACUUM', tables));
        else {
          await withProgress('compact', 'steps', (onProgress) =>
            db.compactRange(undefined, undefined, { onProgress }),
          );
          console.log(JSON.stringify(await db.collectGarbage()));
        }
        console.log(db.getProperty('leveldb.stats'));
        return 0;
      });
    },
  },
  gc: {
    args: '<dir> [--ratio=0.5]',
    summary: 'collect value-log garbage: rewrite segments whose live ratio is below the ratio',
    options: { ratio: { type: 'string', default: '0.5' } },
    run: async ([dir], v) => {
      const ratio = Number(v.ratio);
      if (!(ratio >= 0 && ratio <= 1)) throw new UsageError('--ratio must be a number in [0, 1]');
      return withDb(dir, async (db) => {
        const r = await db.collectGarbage({ gcRatio: ratio });
        console.log(JSON.stringify(r));
        return 0;
      });
    },
  },
  'migrate-value-log': {
    args: '<dir>',
    summary: 'move every value back from value-log segments into the tables (LevelDB opens it again)',
    run: async ([dir]) => {
      const r = await DB.migrateFromValueLog(need(dir, 'dir'));
      console.log(`value log removed: ${r.segmentsRemoved} segment(s); the database is in LevelDB's format`);
      return 0;
    },
  },
  stats: {
    args: '<dir> [--json]',
    summary:
      'levels (files, bytes), write amplification, last sequence, memory, value log, metrics of the open',
    help: "The metrics (db.metrics(): counters and latencies) are those of this command's own open of the\ndatabase (recovery, table opens); an application reads its own with db.metrics() or db.metricsText().",
    options: { json: { type: 'boolean', default: false } },
    run: async ([dir], v) => {
      return withDb(dir, async (db) => {
        const levels = [];
        for (let level = 0; level < 7; level++) {
          const files = Number(db.getProperty(`leveldb.num-files-at-level${level}`));
          const bytes = Number(db.getProperty(`shale.bytes-at-level${level}`));
          levels.push({ level, files, bytes });
        }
        const valueLog = JSON.parse(db.getProperty('shale.value-log')!) as ValueLogStats;
        const stats = {
          levels,
          writeAmplification: Number(db.getProperty('shale.write-amplification')),
          lastSequence: Number(db.getProperty('shale.last-sequence')),
          approximateMemoryUsage: Number(db.getProperty('leveldb.approximate-memory-usage')),
          metrics: db.metrics(),
          valueLog,
        };
        if (v.json === true) console.log(JSON.stringify(stats, null, 2));
        else {
          process.stdout.write(db.getProperty('leveldb.stats')!);
          console.log(`write amplification: ${stats.writeAmplification}`);
          console.log(`last sequence: ${stats.lastSequence}`);
          console.log(`memory in use: ${stats.approximateMemoryUsage} bytes`);
          printValueLog(valueLog);
          process.stdout.write(formatMetrics(stats.metrics));
        }
        return 0;
      });
    },
  },
  properties: {
    args: '<dir>',
    summary: "print every property (LevelDB's leveldb.* and shale.*)",
    run: async ([dir]) => {
      return withDb(dir, async (db) => {
        for (const name of PROPERTIES) console.log(`${name}:\n${db.getProperty(name) ?? '(none)'}\n`);
        return 0;
      });
    },
  },
  verify: {
    args: '<dir> [--json]',
    summary: 'check every checksum, batch and key order of a closed database; exit 1 on damage',
    options: { json: { type: 'boolean', default: false } },
    run: async ([dir], v) => {
      const r = await withProgress('verify', 'bytes', (onProgress) =>
        DB.verify(need(dir, 'dir'), { createIfMissing: false, onProgress }),
      );
      if (v.json === true) console.log(JSON.stringify(r, null, 2));
      else {
        for (const p of r.problems)
          console.log(
            `${p.tolerated === true ? 'note' : 'DAMAGE'}  ${p.file}${p.offset === undefined ? '' : ` @${p.offset}`}: ${p.message}`,
          );
        console.log(
          `${r.ok ? 'ok' : 'DAMAGED'}: ${r.manifest}, ${r.tables} tables (${r.tableEntries} entries), ${r.logs} logs (${r.logRecords} records)`,
        );
      }
      return r.ok ? 0 : 1;
    },
  },
  serve: {
    args: '[--data-dir=dir] [--port=n] [--host=addr]',
    summary: 'a PostgreSQL wire-protocol SQL server (psql, pg, postgres.js, pgbench connect to it)',
    help: `  --data-dir=dir           the database directory, created if missing (default ./shale-data)
  --port=n                 the TCP port (default 5432, or the next free one)
  --host=addr              the address to listen on (default 127.0.0.1; others need a password)
  --password=secret        require SCRAM-SHA-256 with this password (or set SHALE_PASSWORD)
  --max-connections=n      (default 100)
  --statement-timeout=ms   cancel statements running longer (default 0: no limit)
  --max-transaction-size=bytes  the most one transaction may write (held in memory until it commits;
                           default 1 GiB)
  --metrics-port=n         serve Prometheus metrics at http://host:n/metrics (server and engine)
  --block-cache-size=bytes  uncompressed table blocks kept in memory (default 128 MiB)
Stops on SIGTERM or SIGINT: running statements finish, open transactions roll back.`,
    options: {
      'data-dir': { type: 'string', default: './shale-data' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      password: { type: 'string' },
      'max-connections': { type: 'string', default: '100' },
      'statement-timeout': { type: 'string', default: '0' },
      'max-transaction-size': { type: 'string' },
      'metrics-port': { type: 'string' },
      'block-cache-size': { type: 'string' },
    },
    run: async (_p, v) => {
      const number = (name: string): number => {
        const n = Number(v[name]);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
        return n;
      };
      const password = (v.password as string | undefined) ?? process.env.SHALE_PASSWORD;
      const common = {
        dataDir: v['data-dir'] as string,
        host: v.host as string,
        maxConnections: number('max-connections'),
        statementTimeout: number('statement-timeout'),
        ...(v['max-transaction-size'] === undefined
          ? {}
          : { maxTransactionSize: number('max-transaction-size') }),
        ...(v['metrics-port'] === undefined ? {} : { metricsPort: number('metrics-port') }),
        ...(v['block-cache-size'] === undefined ? {} : { blockCacheSize: number('block-cache-size') }),
        ...(password === undefined || password === '' ? {} : { password }),
      };
      const server = await listenOnFreePort(common, v.port === undefined ? undefined : number('port'));
      console.log(
        `shale ${SHALE_VERSION} listening on ${server.host}:${server.port} (data in ${common.dataDir})`,
      );
      if (server.metricsPort !== undefined)
        console.log(`metrics at http://${server.host}:${server.metricsPort}/metrics`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      return 0;
    },
  },
  checkpoint: {
    args: '<dir> <dest>',
    summary: 'a consistent copy of the database in a new directory (tables hard-linked where possible)',
    run: async ([dir, dest]) => {
      const target = need(dest, 'dest');
      return withDb(dir, async (db) => {
        const r = await withProgress('checkpoint', 'files', (onProgress) =>
          db.checkpoint(target, { onProgress }),
        );
        console.log(JSON.stringify(r));
        return 0;
      });
    },
  },
  dump: {
    args: '<file> [--hex] [--gte=k] [--lt=k]',
    summary:
      "print every record of a log, table, MANIFEST (as LevelDB's leveldbutil dump) or value-log segment",
    help: `  --hex                              keys and values in hex (default: text, other bytes as \\xNN)
  --gte, --lt                        only keys in [gte, lt), given in --key-encoding
  --key-encoding=utf8|hex|base64     how --gte and --lt are written (default utf8)`,
    options: {
      hex: { type: 'boolean', default: false },
      gte: { type: 'string' },
      lt: { type: 'string' },
      'key-encoding': { type: 'string', default: 'utf8' },
      'value-encoding': { type: 'string', default: 'utf8' },
    },
    run: async ([file], v) => {
      const { keyEnc } = encodings(v);
      // The records go to stdout: a bar only when they go elsewhere than the terminal the bar is on.
      const p = process.stdout.isTTY
        ? startProgress('dump', 'bytes', NO_TTY)
        : startProgress('dump', 'bytes');
      try {
        dumpFile(need(file, 'file'), (line) => process.stdout.write(line + '\n'), {
          hex: v.hex === true,
          gte: typeof v.gte === 'string' ? decodeArg(v.gte, keyEnc) : undefined,
          lt: typeof v.lt === 'string' ? decodeArg(v.lt, keyEnc) : undefined,
          onProgress: p.onProgress,
        });
      } finally {
        p.stop();
      }
      return 0;
    },
  },
  get: {
    args: '<dir> <key>',
    summary: 'print the value of a key (exit 1 if absent)',
    help: ENCODING_HELP,
    options: ENCODING_OPTIONS,
    run: async ([dir, key], v) => {
      const { keyEnc, valueEnc } = encodings(v);
      return withDb(dir, async (db) => {
        const value = db.get(decodeArg(need(key, 'key'), keyEnc));
        if (value === undefined) {
          process.stderr.write('shale get: not found\n');
          return 1;
        }
        console.log(encodeOut(value, valueEnc));
        return 0;
      });
    },
  },
  put: {
    args: '<dir> <key> <value>',
    summary: 'set a key (synced)',
    help: ENCODING_HELP,
    options: ENCODING_OPTIONS,
    run: async ([dir, key, value], v) => {
      const { keyEnc, valueEnc } = encodings(v);
      const k = decodeArg(need(key, 'key'), keyEnc);
      const val = decodeArg(need(value, 'value'), valueEnc);
      return withDb(dir, async (db) => {
        db.put(k, val, { sync: true });
        return 0;
      });
    },
  },
  delete: {
    args: '<dir> <key>',
    summary: 'delete a key (synced)',
    help: ENCODING_HELP,
    options: ENCODING_OPTIONS,
    run: async ([dir, key], v) => {
      const k = decodeArg(need(key, 'key'), encodings(v).keyEnc);
      return withDb(dir, async (db) => {
        db.delete(k, { sync: true });
        return 0;
      });
    },
  },
  scan: {
    args: '<dir> [--gte=k] [--gt=k] [--lte=k] [--lt=k] [--limit=n] [--reverse] [--json]',
    summary: 'print entries in key order, one `key<TAB>value` per line (or JSON lines)',
    help: ENCODING_HELP,
    options: {
      ...ENCODING_OPTIONS,
      gte: { type: 'string' },
      gt: { type: 'string' },
      lte: { type: 'string' },
      lt: { type: 'string' },
      limit: { type: 'string' },
      reverse: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    run: async ([dir], v) => {
      const { keyEnc, valueEnc } = encodings(v);
      const bound = (name: string): Uint8Array | undefined =>
        typeof v[name] === 'string' ? decodeArg(v[name], keyEnc) : undefined;
      let limit = -1;
      if (typeof v.limit === 'string') {
        limit = Number(v.limit);
        if (!Number.isInteger(limit) || limit < 0)
          throw new UsageError('--limit must be a non-negative integer');
      }
      return withDb(dir, async (db) => {
        const it = db.iterator({
          gte: bound('gte'),
          gt: bound('gt'),
          lte: bound('lte'),
          lt: bound('lt'),
          limit,
          reverse: v.reverse === true,
        });
        for (const [k, val] of it) {
          const key = encodeOut(k, keyEnc);
          const value = encodeOut(val, valueEnc);
          console.log(v.json === true ? JSON.stringify({ key, value }) : `${key}\t${value}`);
        }
        return 0;
      });
    },
  },
  'qa-child': {
    args: '<dir>',
    summary: '(internal) the workload `qa` kills',
    run: async ([dir]) => {
      await runQaChild(need(dir, 'dir'));
      return 0;
    },
  },
};

const PROPERTIES = [
  'leveldb.stats',
  'leveldb.sstables',
  'leveldb.approximate-memory-usage',
  'shale.write-amplification',
  'shale.total-write-amplification',
  'shale.last-sequence',
];

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS)
    .filter(([name]) => name !== 'qa-child')
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  const help = `  ${'help'.padEnd(width)}  show this help`;
  return `usage: shale <command> [args]   (shale <command> --help for its arguments)\n\ncommands:\n${lines.join('\n')}\n${help}\n`;
}

function commandHelp(name: string, c: Command): string {
  return `usage: shale ${name} ${c.args}\n\n${c.summary}\n${c.help !== undefined ? `\n${c.help}\n` : ''}`;
}

function need(v: string | undefined, what: string): string {
  if (v === undefined) throw new UsageError(`missing <${what}>`);
  return v;
}

function encodings(v: Record<string, string | boolean | undefined>): {
  keyEnc: Encoding;
  valueEnc: Encoding;
} {
  const check = (x: unknown, opt: string): Encoding => {
    if (typeof x !== 'string' || !(ENCODINGS as readonly string[]).includes(x))
      throw new UsageError(`--${opt} must be one of ${ENCODINGS.join(', ')}`);
    return x as Encoding;
  };
  return {
    keyEnc: check(v['key-encoding'], 'key-encoding'),
    valueEnc: check(v['value-encoding'], 'value-encoding'),
  };
}

/** withProgress runs `fn` with a progress bar on stderr when it is a terminal (see progress.ts). */
async function withProgress<T>(
  label: string,
  unit: 'bytes' | 'files' | 'steps',
  fn: (onProgress: (done: number, total: number) => void) => Promise<T>,
): Promise<T> {
  const p = startProgress(label, unit);
  try {
    return await fn(p.onProgress);
  } finally {
    p.stop();
  }
}

/** NO_TTY: a stream startProgress draws nothing on. */
const NO_TTY = { isTTY: false } as NodeJS.WriteStream;

/** withDb opens the existing database in `dir`, runs `fn` on it and closes it, whatever happens. */
/** listenOnFreePort serves on the given port, or on 5432 and the next ports up when none was given. */
async function listenOnFreePort(options: ServeOptions, port: number | undefined): Promise<PgServer> {
  if (port !== undefined) return serve({ ...options, port });
  for (let p = 5432; ; p++) {
    try {
      return await serve({ ...options, port: p });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || p >= 5442) throw err;
    }
  }
}

async function withDb(dir: string | undefined, fn: (db: DB) => Promise<number>): Promise<number> {
  const location = need(dir, 'dir');
  // A database with value-log segments opens only with the valueLog option; one without keeps its
  // LevelDB format (the option would move large values out of the tables at the next flush).
  let segments = false;
  try {
    segments = readdirSync(location).some((n) => n.endsWith('.vlog'));
  } catch {
    // missing: DB.open says so
  }
  const db = await DB.open(location, {
    createIfMissing: false,
    ...(segments ? { valueLog: { backgroundGc: false } } : {}),
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function demo(dir: string): Promise<void> {
  const n = 100_000;
  console.log(`shale demo: database in ${dir}`);
  await DB.destroy(dir);
  let db = await DB.open(dir, { createIfMissing: true });
  let t = performance.now();
  for (let i = 0; i < n; i++) db.put(`key${String(i).padStart(8, '0')}`, `value-${i}-${'x'.repeat(64)}`);
  let ms = performance.now() - t;
  console.log(`wrote ${n} keys in ${ms.toFixed(0)} ms (${Math.round(n / (ms / 1000))} puts/s)`);
  t = performance.now();
  let found = 0;
  for (let i = 0; i < n; i += 7) if (db.get(`key${String(i).padStart(8, '0')}`) !== undefined) found++;
  ms = performance.now() - t;
  console.log(`read ${found} keys back in ${ms.toFixed(0)} ms`);
  db.delete('key00000000');
  await db.close();

  db = await DB.open(dir);
  const first = [...db.iterator({ limit: 3 })].map(([k, v]) => `${fromUtf8(k)}=${fromUtf8(v).slice(0, 12)}…`);
  console.log(`after reopen, first keys: ${first.join(', ')}`);
  console.log(
    `key00000000 after delete and reopen: ${db.get('key00000000') === undefined ? 'absent' : 'PRESENT'}`,
  );
  let count = 0;
  for (const _ of db.iterator()) count++;
  console.log(`entries after reopen: ${count}`);
  console.log(db.getProperty('leveldb.stats'));
  console.log(`memory in use: ${db.getProperty('leveldb.approximate-memory-usage')} bytes`);
  await db.close();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : undefined;
  if (cmd === undefined) {
    process.stderr.write(`shale: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(name, cmd));
    return 0;
  }
  if (cmd.passThrough === true) return cmd.run([], {}, rest);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: cmd.options ?? {}, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return cmd.run(parsed.positionals, parsed.values as Record<string, string | boolean | undefined>, rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof NotSqlError) {
      const name = process.argv[2] ?? '';
      process.stderr.write(`shale ${name}: ${err.message}\n(shale ${name} --help for usage)\n`);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? `shale: ${err.message}` : err);
    process.exitCode = 1;
  },
);
