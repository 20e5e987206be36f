#!/usr/bin/env node
/**
 * shale/store benchmark (issue 7): 100k entities saved in change sets of 100 across 100 namespaces,
 * then loaded namespace by namespace; ShaleStore vs FileStore (MemoryStore as a reference), one run.
 * Usage: npm run bench:store [-- --entities=100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShaleStore, FileStore, MemoryStore, ChangesBuilder } from '../dist/store/index.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const ENTITIES = Number(args.entities ?? 100_000);
const NAMESPACES = 100;
const SET_SIZE = 100;

async function run(name, open) {
  const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
  let store = await open(dir);
  store.registerEntityType('deployment');
  const t0 = performance.now();
  const saves = [];
  for (let i = 0; i < ENTITIES; i += SET_SIZE) {
    const ns = `workspace-${(i / SET_SIZE) % NAMESPACES}`;
    const b = new ChangesBuilder(ns);
    for (let j = i; j < i + SET_SIZE; j++)
      b.set('deployment', {
        id: `dep-${j}`,
        image: `registry/app:${j}`,
        replicas: j % 7,
        env: { region: 'eu', tier: 'web' },
      });
    saves.push(store.save(b.build()));
    if (saves.length >= 10) await Promise.all(saves.splice(0));
  }
  await Promise.all(saves);
  const saveSecs = (performance.now() - t0) / 1000;
  if (name !== 'MemoryStore') {
    await store.close();
    store = await open(dir);
    store.registerEntityType('deployment');
  }
  const t1 = performance.now();
  let loaded = 0;
  for (let n = 0; n < NAMESPACES; n++) loaded += (await store.load(`workspace-${n}`)).length;
  const loadSecs = (performance.now() - t1) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (loaded !== ENTITIES) throw new Error(`${name}: loaded ${loaded} of ${ENTITIES}`);
  return {
    name,
    savedPerSec: Math.round(ENTITIES / saveSecs),
    loadedPerSec: Math.round(loaded / loadSecs),
    saveSecs,
    loadSecs,
  };
}

const rows = [
  await run('ShaleStore', (d) => ShaleStore.open(d)),
  await run('FileStore', (d) => FileStore.open(d)),
  await run('MemoryStore', async () => new MemoryStore()),
];
console.log(
  `| store | entities saved/s (sets of ${SET_SIZE}, fsync per set) | entities loaded/s (after reopen) |`,
);
console.log('|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.savedPerSec.toLocaleString('en')} | ${r.loadedPerSec.toLocaleString('en')} |`,
  );
