#!/usr/bin/env node
/**
 * The `shale` command for operators. `shale demo [dir]` writes, reads, reopens and prints stats.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DB } from '../db/db.js';
import { fromUtf8 } from '../util/bytes.js';
import { runQa, runQaChild, thisCli } from './qa.js';

const USAGE = `usage: shale <command> [args]

commands:
  demo [dir]     write, read, reopen and print stats on a database (default ./.shale-demo)
  bench [flags]  db_bench workloads against the peers (from a source checkout; see docs/benchmarks.md)
  qa --dir=<p>   durability check on your disk: write, restart, deletes, kill -9 and recover
  repair <dir>   rebuild a database whose MANIFEST is lost or damaged (damaged tables go to lost/)
  compact <dir>  compact the whole database
  stats <dir>    print leveldb.stats and the tables per level
  help           show this help
`;

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
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'demo':
      await demo(args[0] ?? '.shale-demo');
      return 0;
    case 'bench': {
      // The harness and its peers live in the repository's bench/ folder (not in the npm package).
      const run = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
      if (!existsSync(run)) {
        process.stderr.write(
          'shale bench: bench/run.mjs not found; run it from a clone of the repository (npm run bench)\n',
        );
        return 2;
      }
      const r = spawnSync(process.execPath, [run, ...args], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    case 'qa': {
      const dirArg = args.find((a) => a.startsWith('--dir='));
      return runQa(dirArg ? dirArg.slice(6) : process.cwd(), thisCli(import.meta.url));
    }
    case 'qa-child':
      await runQaChild(args[0]!);
      return 0;
    case 'repair': {
      if (args[0] === undefined) throw new Error('usage: shale repair <dir>');
      const r = await DB.repair(args[0]);
      console.log(JSON.stringify(r, null, 2));
      return 0;
    }
    case 'compact':
    case 'stats': {
      if (args[0] === undefined) throw new Error(`usage: shale ${cmd} <dir>`);
      const db = await DB.open(args[0], { createIfMissing: false });
      if (cmd === 'compact') await db.compactRange();
      console.log(db.getProperty('leveldb.stats'));
      console.log(db.getProperty('leveldb.sstables'));
      await db.close();
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`shale: unknown command '${cmd}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `shale: ${err.message}` : err);
    process.exitCode = 1;
  },
);
