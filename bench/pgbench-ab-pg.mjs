#!/usr/bin/env node
/**
 * Two builds of `shale serve` and PostgreSQL 15 under one pgbench script, in rotation: each round runs a
 * slice of pgbench on each server (the order rotates every round), so the three share the same moments
 * of a noisy machine. Prints every round and the median per-round TPS ratios A/PostgreSQL, B/PostgreSQL
 * and B/A (above 1: the first is faster). fsync and synchronous_commit on for all.
 *
 * Usage: node bench/pgbench-ab-pg.mjs <distA> <distB> [--scale=10] [--rounds=6] [--seconds=5]
 *        [--clients=8] [--mode=prepared] [--script=-S|-N|tpcb]
 * e.g. cp -r dist ab-base (before a change), npm run build, node bench/pgbench-ab-pg.mjs ab-base dist --script=-S
 */
import { spawn, spawnSync } from 'node:child_process';
import { startPostgres, startShale } from './sql-servers.mjs';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=')),
);
if (positional.length !== 2) {
  process.stderr.write('usage: node bench/pgbench-ab-pg.mjs <distA> <distB> [--scale=n] [--rounds=n] [--seconds=n] [--clients=n] [--mode=m] [--script=-S]\n');
  process.exit(2);
}
const SCALE = args.scale ?? '10';
const ROUNDS = Number(args.rounds ?? 6);
const SECONDS = args.seconds ?? '5';
const CLIENTS = args.clients ?? '8';
const MODE = args.mode ?? 'prepared';
const SCRIPT = args.script ?? '-S';

const pgbenchSync = (port, argv) =>
  spawnSync('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...argv, 'postgres'], { encoding: 'utf8' });
/** pgbenchTps runs one timed slice and resolves with its TPS. */
function pgbenchTps(port) {
  const argv = ['-M', MODE, '-c', CLIENTS, '-j', CLIENTS === '1' ? '1' : '2', '-T', SECONDS];
  if (SCRIPT !== 'tpcb') argv.push(SCRIPT);
  return new Promise((resolve, reject) => {
    const child = spawn('pgbench', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...argv, 'postgres']);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const tps = Number(out.match(/tps = ([\d.]+)/)?.[1]);
      if (code === 0 && tps > 0) resolve(tps);
      else reject(new Error(`pgbench exit ${code}\n${out}`));
    });
  });
}

async function shale(dist, port, name) {
  process.env.SHALE_DIST = dist;
  return { ...(await startShale(port)), name };
}
const servers = [await shale(positional[0], 56121, 'A'), await shale(positional[1], 56123, 'B')];
const pg = await startPostgres(56122);
if (pg === undefined) throw new Error('PostgreSQL 15 is not installed');
servers.push({ ...pg, name: 'PG' });
try {
  for (const s of servers) {
    const r = pgbenchSync(s.port, ['-i', '-s', SCALE, '-q']);
    if (r.status !== 0) throw new Error(`${s.name}: pgbench -i: ${r.stderr}`);
  }
  for (const s of servers) await pgbenchTps(s.port); // warm-up: caches, JIT
  const ratios = { 'A/PG': [], 'B/PG': [], 'B/A': [] };
  for (let r = 0; r < ROUNDS; r++) {
    const tps = {};
    for (let i = 0; i < servers.length; i++) {
      const s = servers[(i + r) % servers.length];
      tps[s.name] = await pgbenchTps(s.port);
    }
    ratios['A/PG'].push(tps.A / tps.PG);
    ratios['B/PG'].push(tps.B / tps.PG);
    ratios['B/A'].push(tps.B / tps.A);
    console.log(`round ${r + 1}: A ${tps.A.toFixed(0)}, B ${tps.B.toFixed(0)}, PG ${tps.PG.toFixed(0)} tps`);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(
    `pgbench ${SCRIPT} -M ${MODE} -c ${CLIENTS}, scale ${SCALE}: median ` +
      Object.entries(ratios)
        .map(([k, v]) => `${k} ${median(v).toFixed(3)}`)
        .join(', '),
  );
} finally {
  for (const s of servers) await s.stop();
}
