#!/usr/bin/env node
/**
 * Paired A/B of a fill workload between two builds of shale, with default options, background work
 * included: every round opens a fresh database per build (a fresh temp dir), runs the same writes as
 * bench/child.mjs, alternating which build goes first, and records the wall time and the process CPU
 * time (all threads: the flush and compaction workers too) of each. Prints the median per-round ratios
 * B/A (below 1: B is faster). The timed part ends when the last put returns, as in bench/child.mjs;
 * close (the flushes still running) is outside it.
 *
 * Usage: node bench/fill-ab.mjs <distA>/index.js <distB>/index.js [fill100K|fillrandom|fillseq|fillsync] [rounds=10] [num=1000000]
 * fill100K: num/1000 puts of 100 KB values, sequential keys; fillrandom: num/5 puts of 100 B at random
 * keys; fillseq: num/5 puts of 100 B, sequential keys; fillsync: num/500 synced puts of 100 B. Run it
 * A A too, to see the noise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';

const [aPath, bPath, workloadArg, roundsArg, numArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write(
    'usage: node bench/fill-ab.mjs <distA/index.js> <distB/index.js> [workload] [rounds] [num]\n',
  );
  process.exit(2);
}
const builds = [
  await import(pathToFileURL(resolve(aPath)).href),
  await import(pathToFileURL(resolve(bPath)).href),
];
const WORKLOAD = workloadArg ?? 'fill100K';
const ROUNDS = Number(roundsArg ?? 10);
const NUM = Number(numArg ?? 1_000_000);

const workloads = {
  fill100K: (db) => {
    const n = Math.max(10, Math.floor(NUM / 1000));
    for (let i = 0; i < n; i++) db.put(key(i), value(100_000));
  },
  fillrandom: (db) => {
    const rand = rng(42);
    const n = Math.floor(NUM / 5);
    for (let i = 0; i < n; i++) db.put(key(rand(NUM)), value());
  },
  fillseq: (db) => {
    const n = Math.floor(NUM / 5);
    for (let i = 0; i < n; i++) db.put(key(i), value());
  },
  fillsync: (db) => {
    const rand = rng(42);
    const n = Math.floor(NUM / 500);
    for (let i = 0; i < n; i++) db.put(key(rand(NUM)), value(), { sync: true });
  },
};
const work = workloads[WORKLOAD];
if (work === undefined) throw new Error(`unknown workload ${WORKLOAD}`);

async function slice(build) {
  const dir = mkdtempSync(join(tmpdir(), 'fill-ab-'));
  const db = await build.DB.open(dir);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  work(db);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const wallRatios = [];
const cpuRatios = [];
const walls = [[], []];
for (let r = 0; r < ROUNDS; r++) {
  const t = [null, null];
  for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) t[i] = await slice(builds[i]);
  wallRatios.push(t[1].wall / t[0].wall);
  cpuRatios.push(t[1].cpu / t[0].cpu);
  walls[0].push(t[0].wall);
  walls[1].push(t[1].wall);
}
console.log(
  JSON.stringify({
    workload: WORKLOAD,
    rounds: ROUNDS,
    wallBoverA: Number(median(wallRatios).toFixed(3)),
    cpuBoverA: Number(median(cpuRatios).toFixed(3)),
    medianWallMs: [Math.round(median(walls[0])), Math.round(median(walls[1]))],
    wallRatios: wallRatios.map((x) => Number(x.toFixed(2))),
  }),
);
