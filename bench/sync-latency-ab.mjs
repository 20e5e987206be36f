#!/usr/bin/env node
/**
 * Paired A/B of synced commit latency between two builds of shale (or two option sets of one build):
 * one database per side, open side by side, and short slices of synced puts alternating A, B, B, A, ...
 * so that both sides see the same load on a shared machine. Each put's latency is recorded; prints the
 * p50/p90/p99 of each side and the median of the per-slice p50 ratios B/A (below 1: B is faster).
 *
 * Usage: node bench/sync-latency-ab.mjs <distA/index.js> <distB/index.js> [slices=40] [perSlice=100]
 *   [writers=1]   (writers > 1: that many putAsync with sync in flight, group commit)
 * SHALE_AB_OPTIONS_A / SHALE_AB_OPTIONS_B: JSON of DB options for each side (e.g. walPreallocateSize).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { key, rng, value } from './db-bench-data.mjs';

const [aPath, bPath, slicesArg, perSliceArg, writersArg] = process.argv.slice(2);
if (aPath === undefined || bPath === undefined) {
  process.stderr.write(
    'usage: node bench/sync-latency-ab.mjs <distA> <distB> [slices] [perSlice] [writers]\n',
  );
  process.exit(2);
}
const SLICES = Number(slicesArg ?? 40);
const PER_SLICE = Number(perSliceArg ?? 100);
const WRITERS = Number(writersArg ?? 1);
const optionSets = [
  JSON.parse(process.env.SHALE_AB_OPTIONS_A ?? '{}'),
  JSON.parse(process.env.SHALE_AB_OPTIONS_B ?? '{}'),
];

const sides = [];
for (const [i, p] of [aPath, bPath].entries()) {
  const build = await import(pathToFileURL(resolve(p)).href);
  const dir = mkdtempSync(join(tmpdir(), `sync-ab-${i}-`));
  const db = await build.DB.open(dir, optionSets[i]);
  sides.push({ db, dir, all: [], sliceP50: [], rand: rng(42 + i) });
}

const pct = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function slice(side) {
  const lat = [];
  if (WRITERS === 1) {
    for (let i = 0; i < PER_SLICE; i++) {
      const t = performance.now();
      side.db.put(key(side.rand(1_000_000)), value(), { sync: true });
      lat.push(performance.now() - t);
    }
  } else {
    let next = 0;
    const worker = async () => {
      while (next++ < PER_SLICE) {
        const t = performance.now();
        await side.db.putAsync(key(side.rand(1_000_000)), value(), { sync: true });
        lat.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, worker));
  }
  side.all.push(...lat);
  side.sliceP50.push(pct(lat, 0.5));
}

// Warm-up: one slice each, not counted.
for (const s of sides) await slice(s);
for (const s of sides) {
  s.all.length = 0;
  s.sliceP50.length = 0;
}
for (let r = 0; r < SLICES; r++) for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) await slice(sides[i]);

const ratios = sides[0].sliceP50.map((a, r) => sides[1].sliceP50[r] / a);
const us = (ms) => Math.round(ms * 1000);
console.log(
  JSON.stringify({
    slices: SLICES,
    perSlice: PER_SLICE,
    writers: WRITERS,
    a: {
      p50us: us(pct(sides[0].all, 0.5)),
      p90us: us(pct(sides[0].all, 0.9)),
      p99us: us(pct(sides[0].all, 0.99)),
    },
    b: {
      p50us: us(pct(sides[1].all, 0.5)),
      p90us: us(pct(sides[1].all, 0.9)),
      p99us: us(pct(sides[1].all, 0.99)),
    },
    p50BoverA: Number(pct(ratios, 0.5).toFixed(3)),
  }),
);
for (const s of sides) {
  await s.db.close();
  rmSync(s.dir, { recursive: true, force: true });
}
