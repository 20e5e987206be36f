#!/usr/bin/env node
/**
 * Paired A/B of point reads through the abstract-level adapter (shale/level) between two builds of shale,
 * on one fixed database: read-ab.mjs's method for the native API, applied to what Level users call.
 * Uses read-ab.mjs's database (1M random puts of db_bench values, compacted, under
 * $TMPDIR/shale-read-ab-<num>; built here when absent), copies it for each build and opens the copies as
 * ShaleLevel databases with default options, warms both, then each round times the same slice of keys
 * with getSync and then with get (each get awaited, as bench/child.mjs's loop does) on each build,
 * alternating which goes first, and prints per method the median per-slice CPU-time ratio B/A (below 1:
 * B is faster).
 *
 * Usage: node bench/level-read-ab.mjs <distA> <distB> [keys=random|hot] [num=1000000] [rounds=100]
 * (distA, distB: build directories, e.g. ab-level-base and dist; a copied dist must sit inside the
 * repository so that node resolves shale's dependencies). LEVEL_AB_OPTIONS: JSON of the options passed to
 * every get, default bench/engines.mjs's '{"keyEncoding":"buffer","valueEncoding":"buffer"}'; 'none'
 * passes no options (the database's default encodings, utf8). Either build may be `classic-level`: the
 * peer opens its copy of the same files (LevelDB reads shale's tables), for the ratio against it on the
 * same data and LSM shape.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { key, rng, value } from './db-bench-data.mjs';

const [aDir, bDir, keysArg, numArg, roundsArg] = process.argv.slice(2);
if (aDir === undefined || bDir === undefined) {
  process.stderr.write('usage: node bench/level-read-ab.mjs <distA> <distB> [random|hot] [num] [rounds]\n');
  process.exit(2);
}
const HOT = keysArg === 'hot';
const NUM = Number(numArg ?? 1_000_000);
const ROUNDS = Number(roundsArg ?? 100);
const SLICE = 10_000;
const optionsArg = process.env.LEVEL_AB_OPTIONS ?? '{"keyEncoding":"buffer","valueEncoding":"buffer"}';
const OPTS = optionsArg === 'none' ? undefined : JSON.parse(optionsArg);

const load = (dir, file) => import(pathToFileURL(resolve(dir, file)).href);
// 'classic-level' stands for the peer itself (LevelDB reads shale's files), the ratio issue 15 asks about.
const loadLevel = async (dir) =>
  dir === 'classic-level'
    ? { ShaleLevel: (await import('classic-level')).ClassicLevel }
    : load(dir, 'level/index.js');
const A = await loadLevel(aDir);
const B = await loadLevel(bDir);

const base = join(tmpdir(), `shale-read-ab-${NUM}`);
if (!existsSync(join(base, 'CURRENT'))) {
  process.stderr.write(`building ${base} ...\n`);
  const { DB } = await load(aDir === 'classic-level' ? bDir : aDir, 'index.js');
  const db = await DB.open(base);
  const r = rng(42);
  for (let i = 0; i < NUM; i++) db.put(key(r(NUM)), value());
  await db.compactRange();
  await db.close();
}

async function open(mod) {
  const dir = mkdtempSync(join(tmpdir(), 'shale-level-read-ab-run-'));
  cpSync(base, dir, { recursive: true });
  const db = new mod.ShaleLevel(dir);
  await db.open();
  return { db, dir };
}
const a = await open(A);
const b = await open(B);
const r = rng(7);
// A fresh stream of keys per round, the same for A and B (as in read-ab.mjs).
const nextKeys = () => Array.from({ length: SLICE }, () => key(r(HOT ? Math.max(1, NUM / 100) : NUM)));
let keys = nextKeys();
// Warm both, and check that they answer alike.
for (let pass = 0; pass < 3; pass++, keys = nextKeys()) {
  for (const k of keys) {
    const va = a.db.getSync(k, OPTS);
    const vb = await b.db.get(k, OPTS);
    if (!isDeepStrictEqual(va, vb)) throw new Error(`A and B differ on key ${k}`);
  }
}

// CPU time (user + system, in ms), not wall time: on a shared machine waiting for a core is not the reads' cost.
const now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let sink = 0;
const methods = {
  getSync: async (db) => {
    const t = now();
    for (let i = 0; i < keys.length; i++) if (db.getSync(keys[i], OPTS) !== undefined) sink++;
    return now() - t;
  },
  get: async (db) => {
    const t = now();
    for (let i = 0; i < keys.length; i++) if ((await db.get(keys[i], OPTS)) !== undefined) sink++;
    return now() - t;
  },
};
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const ns = (ms) => ((ms * 1e6) / SLICE).toFixed(0);
const results = Object.fromEntries(Object.keys(methods).map((m) => [m, { ta: [], tb: [], ratios: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(methods)) {
    keys = nextKeys();
    let x;
    let y;
    if (round % 2 === 0) {
      x = await run(a.db);
      y = await run(b.db);
    } else {
      y = await run(b.db);
      x = await run(a.db);
    }
    const res = results[name];
    res.ta.push(x);
    res.tb.push(y);
    res.ratios.push(y / x);
  }
}
for (const [name, { ta, tb, ratios }] of Object.entries(results)) {
  console.log(
    `${name.padEnd(7)} ${HOT ? 'hot' : 'random'} keys, options ${optionsArg}: A ${ns(median(ta))} ns/op, B ${ns(median(tb))} ns/op, median B/A ${median(ratios).toFixed(3)}`,
  );
}
if (sink === 0) console.log('(no key found)');
await a.db.close();
await b.db.close();
rmSync(a.dir, { recursive: true, force: true });
rmSync(b.dir, { recursive: true, force: true });
