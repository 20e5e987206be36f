#!/usr/bin/env node
/**
 * Paired A/B of full-compaction CPU between two builds of shale: each round, for each build (alternating
 * which goes first), a fresh database with inline background jobs takes <num> random db_bench puts, then
 * `compactRange()` is timed by process CPU time. Prints each round and the median ratio B/A (below 1: B
 * is cheaper). Usage: node bench/compact-ab.mjs <distA>/index.js <distB>/index.js [num=300000] [rounds=4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';
const [a, b, numArg = '300000', roundsArg = '4'] = process.argv.slice(2);
const NUM = Number(numArg);
const builds = [await import(pathToFileURL(a).href), await import(pathToFileURL(b).href)];
async function once(m) {
  const dir = mkdtempSync('/tmp/cab-'); const db = await m.DB.open(dir, { backgroundJobs: 'inline' });
  const rand = rng(42); for (let i = 0; i < NUM; i++) db.put(key(rand(NUM)), value());
  const c0 = process.cpuUsage(); await db.compactRange(); const c = process.cpuUsage(c0);
  await db.close(); rmSync(dir, { recursive: true });
  return (c.user + c.system) / 1000;
}
const ratios = [];
for (let r = 0; r < Number(roundsArg); r++) {
  const t = [];
  for (const i of r % 2 ? [1, 0] : [0, 1]) t[i] = await once(builds[i]);
  ratios.push(t[1] / t[0]);
  console.log(`round ${r}: A ${t[0].toFixed(0)} ms B ${t[1].toFixed(0)} ms B/A ${(t[1] / t[0]).toFixed(3)}`);
}
ratios.sort((x, y) => x - y); console.log('compactRange CPU median B/A', ratios[ratios.length >> 1].toFixed(3));
