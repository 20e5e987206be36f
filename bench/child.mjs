/**
 * One engine's run of the workloads, in its own process (so each engine's memory and threads are its
 * own). Prints one JSON line: ops/s per workload, disk bytes after fillrandom, write amplification,
 * peak RSS.
 */
import { mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine } from './engines.mjs';
import { key, rng, value as dbBenchValue } from './db-bench-data.mjs';

const [engine, workloadList, numArg, valueSizeArg] = process.argv.slice(2);
const NUM = Number(numArg);
const VALUE_SIZE = Number(valueSizeArg);
const workloads = workloadList.split(',');

const value = (size = VALUE_SIZE) => dbBenchValue(size);
/** rand: db-bench-data's xorshift32 chooser, restarted at seed 42 before each fill. */
let rand = rng(42);

function dirBytes(d) {
  let n = 0;
  for (const f of readdirSync(d, { withFileTypes: true })) {
    if (f.isDirectory()) n += dirBytes(join(d, f.name));
    // A background compaction may delete a file between the listing and its stat.
    else n += statSync(join(d, f.name), { throwIfNoEntry: false })?.size ?? 0;
  }
  return n;
}

const results = {};
let dir = null;
let db = null;
async function fresh() {
  if (db) await db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), `bench-${engine}-`));
  db = await openEngine(engine, dir);
}
async function time(name, n, fn) {
  const t = performance.now();
  await fn();
  // Engines that batch writes behind the caller's back (lmdb) finish them inside the timing.
  if (db.settle) await db.settle();
  results[name] = Math.round(n / ((performance.now() - t) / 1000));
}
async function loop(n, f) {
  for (let i = 0; i < n; i++) {
    const r = f(i);
    if (r && typeof r.then === 'function') await r;
  }
}
async function inFlight(n, width, f) {
  let next = 0;
  const worker = async () => {
    while (next < n) await f(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}
let filled = false;
async function ensureFilled() {
  if (filled) return;
  await fresh();
  rand = rng(42);
  await loop(NUM, () => db.put(key(rand(NUM)), value()));
  filled = true;
}

for (const w of workloads) {
  switch (w) {
    case 'fillseq':
      await fresh();
      filled = false;
      await time(w, NUM, () => loop(NUM, (i) => db.put(key(i), value())));
      break;
    case 'fillseq-batch':
      await fresh();
      filled = false;
      await time(w, NUM, () =>
        loop(NUM / 1000, (b) => {
          const pairs = [];
          for (let i = b * 1000; i < (b + 1) * 1000; i++) pairs.push([key(i), value()]);
          return db.batch(pairs);
        }),
      );
      break;
    case 'fillsync': {
      await fresh();
      filled = false;
      const n = Math.min(NUM / 100, 5000);
      await db.setSync?.(true);
      await time(w, n, () => loop(n, () => db.putSync(key(rand(NUM)), value())));
      await time('fillsync-100-writers', n * 4, () =>
        inFlight(n * 4, 100, () => db.putConcurrent(key(rand(NUM)), value(), true)),
      );
      await db.setSync?.(false);
      break;
    }
    case 'fillrandom-concurrent':
      await fresh();
      filled = false;
      await time(w, NUM, () => inFlight(NUM, 100, () => db.putConcurrent(key(rand(NUM)), value(), false)));
      break;
    case 'fillrandom':
      await fresh();
      rand = rng(42);
      await time(w, NUM, () => loop(NUM, () => db.put(key(rand(NUM)), value())));
      filled = true;
      await new Promise((r) => setTimeout(r, 1000));
      results['disk MB after fillrandom'] = +(dirBytes(dir) / 1048576).toFixed(1);
      {
        const wa = db.property('shale.write-amplification');
        if (wa !== undefined) results['write amplification'] = Number(await wa);
        const total = db.property('shale.total-write-amplification');
        if (total !== undefined) results['total write amplification'] = Number(await total);
      }
      break;
    case 'overwrite':
      await ensureFilled();
      await time(w, NUM, () => loop(NUM, () => db.put(key(rand(NUM)), value())));
      break;
    case 'readrandom':
      await ensureFilled();
      await time(w, NUM, () => loop(NUM, () => db.get(key(rand(NUM)))));
      break;
    case 'readmissing':
      await ensureFilled();
      await time(w, NUM, () =>
        loop(NUM, () => db.get(Buffer.from(`${String(rand(NUM)).padStart(16, '0')}.`))),
      );
      break;
    case 'readhot':
      await ensureFilled();
      await time(w, NUM, () => loop(NUM, () => db.get(key(rand(Math.max(1, Math.floor(NUM / 100)))))));
      break;
    case 'readseq':
    case 'readreverse': {
      await ensureFilled();
      let n = 0;
      await time(w, NUM, async () => {
        await db.scan(w === 'readreverse', () => n++);
      });
      results[w] = Math.round((results[w] * n) / NUM);
      break;
    }
    case 'seekrandom': {
      await ensureFilled();
      const n = Math.floor(NUM / 10);
      await time(w, n, () => loop(n, () => db.seek(key(rand(NUM)), 10)));
      break;
    }
    case 'deleterandom':
      await ensureFilled();
      await time(w, NUM, () => loop(NUM, () => db.del(key(rand(NUM)))));
      filled = false;
      break;
    case 'fill100K': {
      await fresh();
      filled = false;
      const n = Math.max(10, Math.floor(NUM / 1000));
      await time(w, n, () => loop(n, (i) => db.put(key(i), value(100_000))));
      break;
    }
    default:
      throw new Error(`unknown workload ${w}`);
  }
}
await db.close();
rmSync(dir, { recursive: true, force: true });
results['peak RSS MB'] = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify(results) + '\n');
