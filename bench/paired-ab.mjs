#!/usr/bin/env node
/**
 * Paired A/B of two builds of shale in one process, for small differences (e.g. the cost of metrics)
 * on a machine whose load comes and goes: each build opens a database; every round runs the same
 * slice of work on both, alternating which goes first, and compares their CPU time
 * (process.cpuUsage); the median of the per-round ratios is printed per workload. No background work
 * runs during a timed phase: the memtable holds everything until the table phases, which start after
 * a compactRange that leaves both databases with the same tables.
 *
 * Usage: node bench/paired-ab.mjs <dist A>/index.js <dist B>/index.js [num=400000] [rounds=20]
 * Run it both ways round (A B, then B A) and against itself (A A) to see the noise and any bias of
 * the position; a ratio above 1 means B took longer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';

const [aPath, bPath, numArg, roundsArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write('usage: node bench/paired-ab.mjs <distA/index.js> <distB/index.js> [num] [rounds]\n');
  process.exit(2);
}
const A = await import(pathToFileURL(resolve(aPath)).href);
const B = await import(pathToFileURL(resolve(bPath)).href);
const NUM = Number(numArg ?? 400000);
const ROUNDS = Number(roundsArg ?? 20);
const SLICE = Math.floor(NUM / ROUNDS);

const dirs = [mkdtempSync(join(tmpdir(), 'paired-a-')), mkdtempSync(join(tmpdir(), 'paired-b-'))];
const opts = { writeBufferSize: 256 * 1048576 };
const dbs = [await A.DB.open(dirs[0], opts), await B.DB.open(dirs[1], opts)];
const results = {};
let rands = [];
let sink = 0;

function phase(name, work) {
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = [0, 0];
    for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      work(i);
      const c = process.cpuUsage(c0);
      t[i] = c.user + c.system;
    }
    ratios.push(t[1] / t[0]);
  }
  ratios.sort((x, y) => x - y);
  results[name] = Number(ratios[ratios.length >> 1].toFixed(4));
}

rands = [rng(42), rng(42)];
phase('fillrandom (memtable)', (i) => {
  for (let k = 0; k < SLICE; k++) dbs[i].put(key(rands[i](NUM)), value());
});
rands = [rng(7), rng(7)];
phase('readrandom (memtable)', (i) => {
  for (let k = 0; k < SLICE; k++) dbs[i].get(key(rands[i](NUM)));
});
phase('scan (memtable)', (i) => {
  const it = dbs[i].iterator();
  let n = 0;
  for (it.seekToFirst(); it.valid() && n < SLICE * 4; it.next()) n++;
  it.close();
  sink += n;
});
for (const db of dbs) await db.compactRange();
rands = [rng(9), rng(9)];
phase('readrandom (tables)', (i) => {
  for (let k = 0; k < SLICE; k++) dbs[i].get(key(rands[i](NUM)));
});
rands = [rng(11), rng(11)];
phase('seek + 10 next (tables)', (i) => {
  for (let k = 0; k < SLICE / 2; k++) {
    const it = dbs[i].iterator();
    it.seek(key(rands[i](NUM)));
    for (let j = 0; j < 10 && it.valid(); j++) it.next();
    it.close();
  }
});
for (const db of dbs) await db.close();
for (const d of dirs) rmSync(d, { recursive: true, force: true });
console.log(JSON.stringify({ ratioBoverA: results, sink: sink > 0 }));
