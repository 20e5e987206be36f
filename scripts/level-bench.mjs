#!/usr/bin/env node
/**
 * ShaleLevel vs classic-level through the same abstract-level API and calls, in one run (issue 4):
 * awaited put, batch (1000 per batch), awaited get, iterate with nextv(1000). Each engine runs in its
 * own child process, alternating, best of two rounds. Usage: npm run bench:level [-- --num=200000]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const NUM = Number(args.num ?? 200_000);

async function child(engine) {
  const { ShaleLevel } = await import('../dist/level/index.js');
  const { ClassicLevel } = await import('classic-level');
  const dir = mkdtempSync(join(tmpdir(), `level-bench-${engine}-`));
  const make = () => (engine === 'shale' ? new ShaleLevel(dir) : new ClassicLevel(dir));
  const key = (i) => String(i).padStart(16, '0');
  const value = 'v'.repeat(50) + Math.random().toString(36).repeat(5).slice(0, 50);
  const out = {};
  const time = async (name, n, fn) => {
    const t = performance.now();
    await fn();
    out[name] = Math.round(n / ((performance.now() - t) / 1000));
  };
  let db = make();
  await db.open();
  let x = 1;
  // 32-bit LCG steps (Math.imul): in doubles the product passes 2^53 and the sequence cycles early.
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), x % NUM);
  await time('put', NUM, async () => {
    for (let i = 0; i < NUM; i++) await db.put(key(rnd()), value);
  });
  await time('batch', NUM, async () => {
    for (let i = 0; i < NUM; i += 1000) {
      const ops = [];
      for (let j = i; j < i + 1000; j++) ops.push({ type: 'put', key: key(j), value });
      await db.batch(ops);
    }
  });
  await time('get', NUM, async () => {
    for (let i = 0; i < NUM; i++) await db.get(key(rnd()));
  });
  await time('iterate (nextv 1000)', NUM, async () => {
    const it = db.iterator();
    let n = 0;
    for (;;) {
      const entries = await it.nextv(1000);
      if (entries.length === 0) break;
      n += entries.length;
    }
    await it.close();
    if (n < NUM) throw new Error(`iterated ${n}`);
  });
  await time('del', NUM / 4, async () => {
    for (let i = 0; i < NUM / 4; i++) await db.del(key(i));
  });
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  process.send(out);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]);
} else {
  const best = { shale: {}, classic: {} };
  for (let round = 0; round < 2; round++) {
    for (const engine of ['classic', 'shale']) {
      const r = await new Promise((resolve, reject) => {
        const c = fork(fileURLToPath(import.meta.url), ['--child', engine, `--num=${NUM}`]);
        c.on('message', resolve);
        c.on('error', reject);
        c.on('exit', (code) => code !== 0 && reject(new Error(`${engine} exited ${code}`)));
      });
      for (const [k, v] of Object.entries(r)) best[engine][k] = Math.max(best[engine][k] ?? 0, v);
    }
  }
  console.log(
    `| operation (${NUM.toLocaleString('en')} entries) | ShaleLevel ops/s | classic-level ops/s | ratio |`,
  );
  console.log('|---|---|---|---|');
  for (const k of Object.keys(best.shale)) {
    const s = best.shale[k];
    const c = best.classic[k];
    console.log(`| ${k} | ${s.toLocaleString('en')} | ${c.toLocaleString('en')} | ${(s / c).toFixed(2)}x |`);
  }
}
