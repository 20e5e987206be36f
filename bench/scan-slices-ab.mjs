#!/usr/bin/env node
/**
 * Paired A/B of seeks and scans between two builds of shale in short slices, for a loaded machine: each
 * slice (2,000 seekrandom ops, or 50,000 entries of a scan from a random key) runs on A then B (or B then
 * A, alternating), and the script prints B/A of the 0th, 10th, 25th and 50th percentiles of the per-slice
 * CPU times. Short slices let the low percentiles dodge the other load; bench/scan-ab.mjs's per-round
 * medians moved by +-15% between A/A runs at load 4-9.
 *
 * Usage: node bench/scan-slices-ab.mjs <distA>/index.js <distB>/index.js [slices=150]
 * [workload=seekrandom|readreverse|readseq]. Reads a copy of scan-ab.mjs's database ($TMPDIR/
 * shale-scan-ab-levels-1000000, or shale-read-ab-1000000 with SCAN_SLICES_COMPACT=1; build it with
 * scan-ab.mjs first). SCAN_SLICES_WARM=n: warm-up slices per build (default 60). SCAN_SLICES_OPTIONS_B:
 * JSON of DB options for B (compare a setting on one build).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng } from './db-bench-data.mjs';

const [aPath, bPath, slicesArg, workloadArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write(
    'usage: node bench/scan-slices-ab.mjs <distA/index.js> <distB/index.js> [slices] [workload]\n',
  );
  process.exit(2);
}
const NUM = 1_000_000;
const SLICES = Number(slicesArg ?? 150);
const W = workloadArg ?? 'seekrandom';
const WARM = Number(process.env.SCAN_SLICES_WARM ?? 60);
const SEEKS = 2000;
const SCAN = 50_000;
const base = join(
  tmpdir(),
  process.env.SCAN_SLICES_COMPACT === '1' ? `shale-read-ab-${NUM}` : `shale-scan-ab-levels-${NUM}`,
);
if (!existsSync(join(base, 'CURRENT'))) throw new Error(`${base} is missing: run bench/scan-ab.mjs first`);

const mods = [
  await import(pathToFileURL(resolve(aPath)).href),
  await import(pathToFileURL(resolve(bPath)).href),
];
const dbs = [];
for (const [i, M] of mods.entries()) {
  const dir = mkdtempSync(join(tmpdir(), 'shale-scan-slices-'));
  cpSync(base, dir, { recursive: true });
  const options = i === 1 ? JSON.parse(process.env.SCAN_SLICES_OPTIONS_B ?? '{}') : {};
  dbs.push({ db: await M.DB.open(dir, options), dir });
}

let sink = 0;
const work = {
  readreverse: (db, r) => {
    const start = key(rng(r + 7)(NUM));
    for (const [k, v] of db.iterator({ lte: start, reverse: true, limit: SCAN })) sink += k.length + v.length;
  },
  readseq: (db, r) => {
    const start = key(rng(r + 7)(NUM));
    for (const [k, v] of db.iterator({ gte: start, limit: SCAN })) sink += k.length + v.length;
  },
  seekrandom: (db, r) => {
    const g = rng(r + 1);
    for (let i = 0; i < SEEKS; i++) {
      const it = db.iterator();
      it.seek(key(g(NUM)));
      for (let j = 0; j < 10 && it.valid(); j++) {
        sink += it.key().length + it.value().length;
        it.next();
      }
      it.close();
    }
  },
};
const fn = work[W];
if (fn === undefined) throw new Error(`unknown workload ${W}`);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let k = 0; k < WARM; k++) for (const x of dbs) fn(x.db, k % 20);
const t = [[], []];
for (let r = 0; r < SLICES; r++) {
  for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
    const c = cpu();
    fn(dbs[i].db, r % 20);
    t[i].push(cpu() - c);
  }
}
const pct = (v, p) => [...v].sort((x, y) => x - y)[Math.floor(v.length * p)];
const out = { workload: W, load: loadavg()[0].toFixed(2), A_p10_ms: +pct(t[0], 0.1).toFixed(1) };
for (const p of [0, 0.1, 0.25, 0.5]) out[`BoverA_p${p * 100}`] = +(pct(t[1], p) / pct(t[0], p)).toFixed(3);
for (const x of dbs) {
  await x.db.close();
  rmSync(x.dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ...out, sink: sink > 0 }));
