#!/usr/bin/env node
/**
 * npm run bench:txn: transactions against lmdb (write transactions) and better-sqlite3 (BEGIN IMMEDIATE),
 * each engine and workload in its own process, one run, on this machine. Workloads:
 * - counter-W: W async workers increment one key (read, add one, write) in a transaction each;
 * - bank-10k / bank-10: 16 workers transfer between two random accounts of 10,000 (uncontended) or 10
 *   (contended); the last figure checks the total;
 * - each unsynced and synced (an fsync per commit; shale's concurrent synced commits share fsyncs);
 * - sync-1 vs sync-64: synced transfers over 10,000 accounts from 1 worker and from 64 (group commit).
 * shale-await runs shale with an await between the reads and the writes of every transaction (an
 * application that does I/O inside it), which lmdb's and SQLite's synchronous transactions cannot do.
 * Reports commits/s, the abort rate (conflicts retried per attempt) and p99 latency per transaction
 * (retries included). Usage: node bench/txn.mjs [--engines=a,b] [--workloads=x,y] [--scale=1] [--out=file.md]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDecoder } from 'node:util';

const require = createRequire(join(fileURLToPath(import.meta.url), '..', 'package.json'));

const WORKLOADS = {
  'counter-8': { kind: 'counter', workers: 8, ops: 20000, sync: false },
  'counter-64': { kind: 'counter', workers: 64, ops: 20000, sync: false },
  'counter-8-sync': { kind: 'counter', workers: 8, ops: 2000, sync: true },
  'counter-64-sync': { kind: 'counter', workers: 64, ops: 4000, sync: true },
  'bank-10k': { kind: 'bank', accounts: 10000, workers: 16, ops: 20000, sync: false },
  'bank-10': { kind: 'bank', accounts: 10, workers: 16, ops: 20000, sync: false },
  'bank-10k-sync': { kind: 'bank', accounts: 10000, workers: 16, ops: 3000, sync: true },
  'bank-10-sync': { kind: 'bank', accounts: 10, workers: 16, ops: 3000, sync: true },
  'sync-1': { kind: 'bank', accounts: 10000, workers: 1, ops: 500, sync: true },
  'sync-64': { kind: 'bank', accounts: 10000, workers: 64, ops: 6000, sync: true },
};
const ENGINES = ['shale', 'shale-await', 'lmdb', 'better-sqlite3'];

const acct = (i) => `acct:${String(i).padStart(5, '0')}`;

/** Each adapter: setup(keys), and txn(readKeys, compute, sync) that runs one read-modify-write transaction. */
async function openEngine(name, dir, sync) {
  if (name === 'shale' || name === 'shale-await') {
    const { DB } = await import('../dist/index.js');
    const db = await DB.open(dir);
    const dec = new TextDecoder();
    const pause = name === 'shale-await' ? () => new Promise((r) => setImmediate(r)) : null;
    let attempts = 0;
    return {
      load: (pairs) => db.transact((tx) => pairs.forEach(([k, v]) => tx.put(k, v)), { sync: true }),
      txn: (keys, compute) =>
        db.transact(
          pause === null
            ? (tx) => {
                attempts++;
                const vals = keys.map((k) => Number(dec.decode(tx.get(k))));
                compute(vals).forEach((v, i) => tx.put(keys[i], String(v)));
              }
            : async (tx) => {
                attempts++;
                const vals = keys.map((k) => Number(dec.decode(tx.get(k))));
                await pause();
                compute(vals).forEach((v, i) => tx.put(keys[i], String(v)));
              },
          { sync, retries: 1_000_000 },
        ),
      attempts: () => attempts,
      read: (k) => Number(dec.decode(db.get(k))),
      close: () => db.close(),
    };
  }
  if (name === 'lmdb') {
    const { open } = require('lmdb');
    const db = open({ path: dir, encoding: 'string', noSync: !sync });
    return {
      load: (pairs) => db.transaction(() => pairs.forEach(([k, v]) => db.put(k, v))),
      txn: (keys, compute) =>
        db.transaction(() => {
          const vals = keys.map((k) => Number(db.get(k)));
          compute(vals).forEach((v, i) => db.put(keys[i], String(v)));
        }),
      attempts: () => 0,
      read: (k) => Number(db.get(k)),
      close: () => db.close(),
    };
  }
  if (name === 'better-sqlite3') {
    const Database = require('better-sqlite3');
    const db = new Database(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync ? 'FULL' : 'NORMAL'}`);
    db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID');
    const get = db.prepare('SELECT v FROM kv WHERE k = ?').pluck();
    const put = db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
    const rmw = db.transaction((keys, compute) => {
      const vals = keys.map((k) => Number(get.get(k)));
      compute(vals).forEach((v, i) => put.run(keys[i], String(v)));
    });
    const load = db.transaction((pairs) => pairs.forEach(([k, v]) => put.run(k, v)));
    return {
      load: async (pairs) => load(pairs),
      // BEGIN IMMEDIATE; synchronous, so concurrent workers run one at a time.
      txn: async (keys, compute) => rmw.immediate(keys, compute),
      attempts: () => 0,
      read: (k) => Number(get.get(k)),
      close: () => db.close(),
    };
  }
  throw new Error(`unknown engine ${name}`);
}

async function child(engine, name, scale) {
  const w = WORKLOADS[name];
  const dir = mkdtempSync(join(tmpdir(), `txnbench-${engine}-`));
  try {
    const e = await openEngine(engine, dir, w.sync);
    const n = w.kind === 'counter' ? 1 : w.accounts;
    const keys = w.kind === 'counter' ? ['counter'] : Array.from({ length: n }, (_, i) => acct(i));
    for (let i = 0; i < keys.length; i += 1000) await e.load(keys.slice(i, i + 1000).map((k) => [k, '1000']));
    const ops = Math.max(w.workers, Math.round(w.ops * scale));
    const per = Math.ceil(ops / w.workers);
    const lat = [];
    let seed = 12345;
    const rnd = (m) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % m;
    };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: w.workers }, async () => {
        for (let i = 0; i < per; i++) {
          const s = performance.now();
          if (w.kind === 'counter') await e.txn(keys, ([v]) => [v + 1]);
          else {
            const a = rnd(n);
            let b = rnd(n - 1);
            if (b >= a) b++;
            const amt = 1 + rnd(10);
            await e.txn([keys[a], keys[b]], ([x, y]) => [x - amt, y + amt]);
          }
          lat.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const done = per * w.workers;
    let check;
    if (w.kind === 'counter') check = e.read('counter') === 1000 + done;
    else check = keys.reduce((a, k) => a + e.read(k), 0) === 1000 * n;
    const attempts = e.attempts();
    await e.close();
    lat.sort((a, b) => a - b);
    return {
      commitsPerSec: Math.round(done / secs),
      abortRate: attempts > 0 ? (attempts - done) / attempts : 0,
      p99ms: lat[Math.floor(lat.length * 0.99)],
      invariant: check,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    return m ? [m[1], m[2] ?? 'true'] : [a, 'true'];
  }),
);
if (args.child) {
  const r = await child(args.engine, args.workload, Number(args.scale ?? 1));
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}
const engines = (args.engines ?? ENGINES.join(',')).split(',');
const workloads = (args.workloads ?? Object.keys(WORKLOADS).join(',')).split(',');
const scale = Number(args.scale ?? 1);
const results = {};
for (const wl of workloads) {
  results[wl] = {};
  for (const en of engines) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', `--engine=${en}`, `--workload=${wl}`, `--scale=${scale}`],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      process.stderr.write(`${en} ${wl} failed:\n${r.stderr}\n`);
      results[wl][en] = null;
      continue;
    }
    results[wl][en] = JSON.parse(r.stdout.trim().split('\n').pop());
    const x = results[wl][en];
    process.stderr.write(
      `${wl} ${en}: ${x.commitsPerSec}/s abort ${(x.abortRate * 100).toFixed(1)}% p99 ${x.p99ms.toFixed(2)} ms ${x.invariant ? '' : 'INVARIANT BROKEN'}\n`,
    );
  }
}
const fmt = (x) =>
  x === null || x === undefined
    ? '–'
    : `${x.commitsPerSec.toLocaleString('en-US')} (${(x.abortRate * 100).toFixed(1)}%, ${x.p99ms.toFixed(2)} ms)`;
let md = `| workload | ${engines.join(' | ')} | shale / lmdb | shale / better-sqlite3 |\n|---|${engines.map(() => '---|').join('')}---|---|\n`;
for (const wl of workloads) {
  const r = results[wl];
  const ratio = (p) =>
    r.shale && r[p] ? `${(r.shale.commitsPerSec / r[p].commitsPerSec).toFixed(2)}x` : '–';
  md += `| ${wl} | ${engines.map((e) => fmt(r[e])).join(' | ')} | ${ratio('lmdb')} | ${ratio('better-sqlite3')} |\n`;
}
if (results['sync-1']?.shale && results['sync-64']?.shale)
  md += `\nshale group commit: 64 synced committers ${(results['sync-64'].shale.commitsPerSec / results['sync-1'].shale.commitsPerSec).toFixed(1)}x one at a time.\n`;
md += `\nCells: commits/s (abort rate: conflicts retried per attempt, p99 latency per transaction including retries).\n`;
process.stdout.write(md);
if (args.out) writeFileSync(args.out, md);
const broken = Object.values(results).some((r) => Object.values(r).some((x) => x && !x.invariant));
process.exit(broken ? 1 : 0);
