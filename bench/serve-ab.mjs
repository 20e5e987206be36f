#!/usr/bin/env node
/**
 * Paired wall-time A/B of two builds' `shale serve` (fresh data directories, both running at once on
 * ports 57101/57102), alternating which goes first each round:
 * - insert: one node-postgres connection, 1,500 prepared single-row synced INSERTs per slice (median latency);
 * - insert8: eight connections, 300 INSERTs each per slice (wall time per INSERT);
 * - tpcb: `pgbench -M prepared -c 1 -T 4` after `pgbench -i -s 1` (ms per transaction).
 * Prints each round and the median ratio B/A (below 1: B is faster).
 * Usage: node bench/serve-ab.mjs <distA> <distB> [rounds=6] [insert|insert8|tpcb]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
const [distA, distB, rounds = '6', what = 'insert'] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function start(dist, port) {
  const dir = mkdtempSync(join(tmpdir(), 'serve-ab-'));
  const child = spawn(process.execPath, [join(dist, 'cli/shale.js'), 'serve', `--data-dir=${dir}`, `--port=${port}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) { try { const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' }); await c.connect(); await c.end(); break; } catch { await sleep(100); } }
  return { port, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.on('exit', r)); rmSync(dir, { recursive: true, force: true }); } };
}
const servers = [await start(distA, 57101), await start(distB, 57102)];
const clients = [];
for (const s of servers) {
  if (what === 'tpcb') { const r = spawnSync('pgbench', ['-h', '127.0.0.1', '-p', String(s.port), '-U', 'postgres', '-i', '-s', '1', 'postgres']); if (r.status) throw new Error(String(r.stderr)); continue; }
  const cs = [];
  for (let k = 0; k < 8; k++) { const c = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'postgres', database: 'postgres' }); await c.connect(); cs.push(c); }
  await cs[0].query('create table ti (id int primary key, name text not null, balance int8 not null)'); clients.push(cs);
}
let next = 0;
async function slice(i) {
  if (what === 'tpcb') {
    const r = spawnSync('pgbench', ['-h', '127.0.0.1', '-p', String(servers[i].port), '-U', 'postgres', '-M', 'prepared', '-c', '1', '-T', '4', 'postgres'], { encoding: 'utf8' });
    return 1000 / Number(r.stdout.match(/tps = ([\d.]+)/)[1]);
  }
  if (what === 'insert8') {
    const t0 = performance.now();
    await Promise.all(clients[i].map(async (c) => { for (let k = 0; k < 300; k++) await c.query({ name: 'ins', text: 'insert into ti values ($1,$2,$3)', values: [next++, 'n', 1] }); }));
    return (performance.now() - t0) / 2400;
  }
  const ts = [];
  for (let k = 0; k < 1500; k++) { const t = performance.now(); await clients[i][0].query({ name: 'ins', text: 'insert into ti values ($1,$2,$3)', values: [next++, 'n', 1] }); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); return ts[ts.length >> 1];
}
const ratios = [];
for (let r = 0; r < Number(rounds); r++) {
  const t = [];
  for (const i of r % 2 ? [1, 0] : [0, 1]) t[i] = await slice(i);
  ratios.push(t[1] / t[0]);
  console.log(`round ${r}: A ${t[0].toFixed(3)} ms  B ${t[1].toFixed(3)} ms  B/A ${(t[1] / t[0]).toFixed(3)}`);
}
ratios.sort((a, b) => a - b); console.log(`${what}: median B/A ${ratios[ratios.length >> 1].toFixed(3)}`);
for (const cs of clients) for (const c of cs) await c.end();
for (const s of servers) await s.stop();
