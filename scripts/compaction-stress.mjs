#!/usr/bin/env node
/**
 * Compaction under sustained load (issue 3's figures), in one run on this machine:
 *  1. fillrandom of N (default 10M) 16-byte keys with 100-byte values through shale's synchronous put:
 *     level 0 sampled throughout (must stay at or under the stop trigger), sampled reads verified
 *     afterwards, write amplification; then the same keys into LevelDB (classic-level) for its write
 *     amplification on the same workload.
 *  2. A full compactRange on a database of >= 100 MB while the main thread's event-loop delay is
 *     monitored (p99 must stay under 20 ms) and a 5 ms timer keeps firing.
 * Usage: npm run stress:compaction [-- --num=10000000 --skip-leveldb --skip-loop]
 * Writes compaction-figures.json and prints a summary.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB } from '../dist/index.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const NUM = Number(args.num ?? 10_000_000);
const VALUE_SIZE = 100;
const SAMPLES = 10_000;

/** xorshift32: the same key sequence for every engine. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
const keyOf = (id) => Buffer.from(String(id).padStart(16, '0'));
const noise = Buffer.alloc(1 << 20);
{
  const r = rng(99);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE(r(), i);
}
function valueOf(id, writeIndex) {
  const v = Buffer.allocUnsafe(VALUE_SIZE);
  v.writeUInt32LE(id, 0);
  v.writeUInt32LE(writeIndex, 4);
  noise.copy(
    v,
    8,
    (writeIndex * 97) % (noise.length - VALUE_SIZE),
    ((writeIndex * 97) % (noise.length - VALUE_SIZE)) + VALUE_SIZE - 8,
  );
  return v;
}
function dirSize(dir) {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}
/** writeMB sums the Write(MB) column of a LevelDB-style leveldb.stats table. */
function statsWriteMB(stats) {
  let total = 0;
  for (const line of stats.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 6 && /^\d+$/.test(cols[0])) total += Number(cols[cols.length - 1]);
  }
  return total;
}

const figures = {
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  num: NUM,
};

// ---- 1. sustained random writes into shale ----
{
  const dir = mkdtempSync(join(tmpdir(), 'shale-stress-'));
  const db = await DB.open(dir);
  const lastWrite = new Int32Array(NUM).fill(-1);
  const next = rng(12345);
  let maxL0 = 0;
  const stopTrigger = 12;
  const t0 = performance.now();
  for (let i = 0; i < NUM; i++) {
    const id = next() % NUM;
    db.put(keyOf(id), valueOf(id, i));
    lastWrite[id] = i;
    if ((i & 1023) === 0) {
      const l0 = Number(db.getProperty('leveldb.num-files-at-level0'));
      if (l0 > maxL0) maxL0 = l0;
    }
  }
  const writeSecs = (performance.now() - t0) / 1000;
  await db.flush();
  // Let the background compactions settle before counting, as LevelDB's figure includes them too.
  const wa = Number(db.getProperty('shale.write-amplification'));
  const statsMB = statsWriteMB(db.getProperty('leveldb.stats'));
  const pick = rng(777);
  let wrong = 0;
  let checked = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const id = pick() % NUM;
    const got = db.get(keyOf(id));
    const want = lastWrite[id] < 0 ? undefined : valueOf(id, lastWrite[id]);
    checked++;
    if ((got === undefined) !== (want === undefined) || (got && Buffer.compare(Buffer.from(got), want) !== 0))
      wrong++;
  }
  await db.close();
  const again = await DB.open(dir);
  for (let s = 0; s < 1000; s++) {
    const id = pick() % NUM;
    const got = again.get(keyOf(id));
    const want = lastWrite[id] < 0 ? undefined : valueOf(id, lastWrite[id]);
    checked++;
    if ((got === undefined) !== (want === undefined) || (got && Buffer.compare(Buffer.from(got), want) !== 0))
      wrong++;
  }
  const levels = [];
  for (let l = 0; l < 7; l++) levels.push(Number(again.getProperty(`leveldb.num-files-at-level${l}`)));
  await again.close();
  const userMB = (NUM * (16 + VALUE_SIZE)) / 1048576;
  figures.shale = {
    writesPerSec: Math.round(NUM / writeSecs),
    maxL0,
    stopTrigger,
    sampledReads: checked,
    wrongReads: wrong,
    writeAmplification: wa,
    tableMBWritten: Math.round(statsMB),
    writeAmpVsRawBytes: +(statsMB / userMB).toFixed(2),
    diskMB: Math.round(dirSize(dir) / 1048576),
    filesPerLevel: levels,
  };
  console.log('shale', figures.shale);
  rmSync(dir, { recursive: true, force: true });
}

// ---- 1b. the same workload into LevelDB ----
if (args['skip-leveldb'] !== 'true') {
  const { ClassicLevel } = await import('classic-level');
  const dir = mkdtempSync(join(tmpdir(), 'leveldb-stress-'));
  const db = new ClassicLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const next = rng(12345);
  const t0 = performance.now();
  let ops = [];
  for (let i = 0; i < NUM; i++) {
    const id = next() % NUM;
    ops.push({ type: 'put', key: keyOf(id), value: valueOf(id, i) });
    if (ops.length === 1000) {
      await db.batch(ops);
      ops = [];
    }
  }
  if (ops.length > 0) await db.batch(ops);
  const writeSecs = (performance.now() - t0) / 1000;
  const stats = await db.getProperty('leveldb.stats');
  const statsMB = statsWriteMB(stats);
  await db.close();
  const userMB = (NUM * (16 + VALUE_SIZE)) / 1048576;
  figures.leveldb = {
    writesPerSecBatched1000: Math.round(NUM / writeSecs),
    tableMBWritten: Math.round(statsMB),
    writeAmpVsRawBytes: +(statsMB / userMB).toFixed(2),
    diskMB: Math.round(dirSize(dir) / 1048576),
  };
  console.log('leveldb', figures.leveldb);
  rmSync(dir, { recursive: true, force: true });
}

// ---- 2. event-loop delay during a full compactRange of >= 100 MB ----
if (args['skip-loop'] !== 'true') {
  const dir = mkdtempSync(join(tmpdir(), 'shale-loop-'));
  const db = await DB.open(dir, { compression: 'none' });
  const n = Number(args['loop-num'] ?? 1_000_000);
  const next = rng(4242);
  for (let i = 0; i < n; i++) {
    const id = next() % (n * 4);
    db.put(keyOf(id), valueOf(id, i));
  }
  await db.flush();
  const mb = dirSize(dir) / 1048576;
  const h = monitorEventLoopDelay({ resolution: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  h.enable();
  const t0 = performance.now();
  await db.compactRange();
  const secs = (performance.now() - t0) / 1000;
  h.disable();
  clearInterval(timer);
  figures.eventLoop = {
    dbMB: Math.round(mb),
    compactRangeSecs: +secs.toFixed(1),
    p50ms: +(h.percentile(50) / 1e6).toFixed(2),
    p99ms: +(h.percentile(99) / 1e6).toFixed(2),
    maxMs: +(h.max / 1e6).toFixed(2),
    timerFired: ticks,
    timerExpected: Math.floor((secs * 1000) / 5),
  };
  console.log('event loop', figures.eventLoop);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

writeFileSync('compaction-figures.json', JSON.stringify(figures, null, 2) + '\n');
const ok =
  figures.shale.maxL0 <= figures.shale.stopTrigger &&
  figures.shale.wrongReads === 0 &&
  (figures.eventLoop === undefined || figures.eventLoop.p99ms < 20);
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
