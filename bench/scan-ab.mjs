#!/usr/bin/env node
/**
 * Paired A/B of scans and seeks between two builds of shale, on one fixed database (ratios only:
 * absolute times on a shared machine are noise). Builds the database once (db_bench's fillrandom of
 * `num` keys, compacted) under $TMPDIR/shale-read-ab-<num> (the one read-ab.mjs uses), copies it for
 * each build, then runs the workloads of bench/engines.mjs through each build's public API, alternating
 * which goes first, and prints per workload the median per-round ratio of CPU time B/A (below 1: B is
 * faster):
 *   readseq      `scan` entries from a random key on (for-of over db.iterator(), copies of keys and values)
 *   readreverse  the same, down from a random key
 *   seekrandom   `seeks` iterators, each seeking to a random key and reading 10 entries (db_bench's)
 *
 * Usage: node bench/scan-ab.mjs <distA>/index.js <distB>/index.js [num=1000000] [rounds=30] [seeks=10000]
 * [workloads=readseq,readreverse,seekrandom] [scan=100000]. SCAN_AB_OVERLAY=n first puts n random overwrites into
 * both memtables. SCAN_AB_LEVELS=1 uses a database left as the fill left it once its compactions were
 * done ($TMPDIR/shale-scan-ab-levels-<num>: tables in levels 0-2, as the bench reads after fillrandom)
 * instead of a compacted one.
 * e.g. cp -r dist ab-base (before a change), npm run build, node bench/scan-ab.mjs ab-base/index.js dist/index.js
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';

const [aPath, bPath, numArg, roundsArg, seeksArg, workloadsArg, scanArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write(
    'usage: node bench/scan-ab.mjs <distA/index.js> <distB/index.js> [num] [rounds] [seeks] [workloads] [scan]\n',
  );
  process.exit(2);
}
const NUM = Number(numArg ?? 1_000_000);
const ROUNDS = Number(roundsArg ?? 30);
const SEEKS = Number(seeksArg ?? 10_000);
const SCAN = Number(scanArg ?? 100_000);
const WORKLOADS = (workloadsArg ?? 'readseq,readreverse,seekrandom').split(',');
const OVERLAY = Number(process.env.SCAN_AB_OVERLAY ?? 0);
const LEVELS = process.env.SCAN_AB_LEVELS === '1';

const A = await import(pathToFileURL(resolve(aPath)).href);
const B = await import(pathToFileURL(resolve(bPath)).href);

const base = join(tmpdir(), LEVELS ? `shale-scan-ab-levels-${NUM}` : `shale-read-ab-${NUM}`);
if (!existsSync(join(base, 'CURRENT'))) {
  process.stderr.write(`building ${base} ...\n`);
  const db = await A.DB.open(base);
  const r = rng(42);
  for (let i = 0; i < NUM; i++) db.put(key(r(NUM)), value());
  if (LEVELS) {
    // Until the compactions the fill left behind are done: the stats stop changing.
    for (let last = '', now = db.getProperty('leveldb.stats'); now !== last;) {
      await new Promise((res) => setTimeout(res, 3000));
      last = now;
      now = db.getProperty('leveldb.stats');
    }
  } else {
    await db.compactRange();
  }
  await db.close();
}

async function open(mod) {
  const dir = mkdtempSync(join(tmpdir(), 'shale-scan-ab-run-'));
  cpSync(base, dir, { recursive: true });
  const db = await mod.DB.open(dir);
  if (mod === A) process.stderr.write(db.getProperty('leveldb.stats'));
  const r = rng(3);
  for (let i = 0; i < OVERLAY; i++) db.put(key(r(NUM)), value());
  return { db, dir };
}
const dbs = [await open(A), await open(B)];

let sink = 0;
// A scan slice: SCAN entries from a random key on (reverse: down), through for-of as the bench reads.
const scan = (db, reverse, seed) => {
  const start = key(rng(seed + 100)(NUM));
  let n = 0;
  for (const [k, v] of db.iterator(
    reverse ? { lte: start, reverse, limit: SCAN } : { gte: start, limit: SCAN },
  ))
    n += k.length + v.length;
  sink += n;
};
const seeks = (db, seed) => {
  const r = rng(seed);
  for (let i = 0; i < SEEKS; i++) {
    const it = db.iterator();
    it.seek(key(r(NUM)));
    for (let j = 0; j < 10 && it.valid(); j++) {
      sink += it.key().length + it.value().length;
      it.next();
    }
    it.close();
  }
};
const work = {
  readseq: (db, round) => scan(db, false, round),
  readreverse: (db, round) => scan(db, true, round),
  seekrandom: (db, round) => seeks(db, round + 1),
};

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const results = {};
for (const w of WORKLOADS) {
  const fn = work[w];
  if (fn === undefined) throw new Error(`unknown workload ${w}`);
  // Warm both (page cache, block caches, JIT) before timing.
  for (const x of dbs) fn(x.db, -1);
  const ratios = [];
  const ta = [];
  const tb = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t = [0, 0];
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const c = cpu();
      fn(dbs[i].db, round);
      t[i] = cpu() - c;
    }
    ta.push(t[0]);
    tb.push(t[1]);
    ratios.push(t[1] / t[0]);
  }
  results[w] = {
    A_ms: Math.round(median(ta)),
    B_ms: Math.round(median(tb)),
    BoverA: Number(median(ratios).toFixed(3)),
  };
}
for (const x of dbs) {
  await x.db.close();
  rmSync(x.dir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({
    num: NUM,
    overlay: OVERLAY,
    levels: LEVELS,
    load: (await import('node:os')).loadavg()[0].toFixed(2),
    results,
    sink: sink > 0,
  }),
);
