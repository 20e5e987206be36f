#!/usr/bin/env node
/**
 * Paired A/B of point reads between two builds of shale, on one fixed database: the A/B the read-path
 * work used (ratios only: absolute times on a shared machine are noise). Builds the database once
 * (1M random puts of db_bench values, compacted) under $TMPDIR/shale-read-ab-<num>, copies it for each
 * build, warms both, then times the same slices of gets on each, alternating which goes first, and
 * prints the median per-slice ratio B/A (below 1: B is faster).
 *
 * Usage: node bench/read-ab.mjs <distA>/index.js <distB>/index.js [cacheMB=8] [keys=random|hot] [num=1000000] [cacheMB for B]
 * (the same build twice with two cache sizes measures what memory buys; READ_AB_OPTIONS_A / _B: JSON of more
 * DB options for A / B, e.g. READ_AB_OPTIONS_B='{"compressedBlockCacheSize":0}'; READ_AB_WARM=random: warm
 * with random keys before timing hot ones)
 * e.g. cp -r dist /tmp/base (before a change), npm run build, node bench/read-ab.mjs /tmp/base/index.js dist/index.js
 * (a copied dist must sit where node resolves shale's dependencies, e.g. inside the repository).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';

const [aPath, bPath, cacheArg, keysArg, numArg, cacheBArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write(
    'usage: node bench/read-ab.mjs <distA/index.js> <distB/index.js> [cacheMB] [random|hot] [num]\n',
  );
  process.exit(2);
}
const CACHE = Number(cacheArg ?? 8) << 20;
const CACHE_B = cacheBArg === undefined ? CACHE : Number(cacheBArg) << 20;
const HOT = keysArg === 'hot';
const NUM = Number(numArg ?? 1_000_000);

const A = await import(pathToFileURL(resolve(aPath)).href);
const B = await import(pathToFileURL(resolve(bPath)).href);

const base = join(tmpdir(), `shale-read-ab-${NUM}`);
if (!existsSync(join(base, 'CURRENT'))) {
  process.stderr.write(`building ${base} ...\n`);
  const db = await A.DB.open(base);
  const r = rng(42);
  for (let i = 0; i < NUM; i++) db.put(key(r(NUM)), value());
  await db.compactRange();
  await db.close();
}

async function open(mod, cache, more) {
  const dir = mkdtempSync(join(tmpdir(), 'shale-read-ab-run-'));
  cpSync(base, dir, { recursive: true });
  return { db: await mod.DB.open(dir, { blockCacheSize: cache, ...JSON.parse(more ?? '{}') }), dir };
}
const a = await open(A, CACHE, process.env.READ_AB_OPTIONS_A);
const b = await open(B, CACHE_B, process.env.READ_AB_OPTIONS_B);
const r = rng(7);
// Each round reads a fresh stream of keys (the same for A and B): replaying one list would favour or
// defeat a cache by the list's length (a FIFO smaller than the loop never hits), not by how it works.
const nextKeys = (hot = HOT) => Array.from({ length: 100_000 }, () => key(r(hot ? Math.max(1, NUM / 100) : NUM)));
// READ_AB_WARM=random warms both caches with random keys whatever is timed (hot keys after random reads:
// does the cache let the hot blocks in?).
const WARM_HOT = process.env.READ_AB_WARM === 'random' ? false : HOT;
let keys = nextKeys(WARM_HOT);
for (let pass = 0; pass < 3; pass++, keys = nextKeys(WARM_HOT)) for (const k of keys) (a.db.get(k), b.db.get(k));

// CPU time (user + system, in ms), not wall time: on a shared machine waiting for a core is not the reads' cost.
// READ_AB_WALL=1 times wall clock instead.
const WALL = process.env.READ_AB_WALL === '1';
const now = () => {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const run = (x) => {
  const t = now();
  for (let i = 0; i < keys.length; i++) x.db.get(keys[i]);
  return now() - t;
};
const ratios = [];
const ta = [];
const tb = [];
for (let round = 0; round < 20; round++) {
  keys = nextKeys();
  let x;
  let y;
  if (round % 2 === 0) {
    x = run(a);
    y = run(b);
  } else {
    y = run(b);
    x = run(a);
  }
  ta.push(x);
  tb.push(y);
  ratios.push(y / x);
}
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const ns = (ms) => ((ms * 1e6) / keys.length).toFixed(0);
console.log(
  `${HOT ? 'hot' : 'random'} keys, ${CACHE >> 20}${CACHE_B === CACHE ? '' : `/${CACHE_B >> 20}`} MiB cache: A ${ns(median(ta))} ns/get, B ${ns(median(tb))} ns/get, median B/A ${median(ratios).toFixed(3)}`,
);
await a.db.close();
await b.db.close();
rmSync(a.dir, { recursive: true, force: true });
rmSync(b.dir, { recursive: true, force: true });
