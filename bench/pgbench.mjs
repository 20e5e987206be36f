#!/usr/bin/env node
/**
 * npm run bench:pgbench: pgbench against `shale serve` and PostgreSQL 15 side by side on this machine (both
 * fsync on and synchronous_commit on): `pgbench -i -s <scale>`, then the built-in TPC-B script in each
 * protocol mode (-M simple, extended, prepared) at each client count, and select-only (-S) at 8 clients.
 * Reports TPS, p50/p99 latency (from pgbench's per-transaction log), failed transactions, and the
 * initialisation time. Usage:
 *   node bench/pgbench.mjs [--scale=10] [--seconds=10] [--clients=1,8,32] [--modes=simple,extended,prepared]
 *                          [--port=55960] [--out=file.md]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, startPostgres, startShale } from './sql-servers.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const SCALE = Number(args.scale ?? 10);
const SECONDS = Number(args.seconds ?? 10);
const CLIENTS = (args.clients ?? '1,8,32').split(',').map(Number);
const MODES = (args.modes ?? 'simple,extended,prepared').split(',');
const PORT = Number(args.port ?? 55960);

/** pgbench runs pgbench with `argv` against `port`; resolves with its output (rejects on a non-zero exit). */
function pgbench(port, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'pgbench',
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...argv, 'postgres'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`pgbench ${argv.join(' ')}: exit ${code}\n${out}`)),
    );
  });
}

/** cell runs one timed pgbench and returns { tps, p50, p99, failed } (latencies in ms from its log). */
async function cell(port, argv) {
  const logDir = mkdtempSync(join(tmpdir(), 'bench-pgbench-log-'));
  try {
    const out = await pgbench(port, [
      '-n',
      '-T',
      String(SECONDS),
      '-l',
      `--log-prefix=${join(logDir, 'tx')}`,
      ...argv,
    ]);
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
    const lat = [];
    for (const f of readdirSync(logDir)) {
      for (const line of readFileSync(join(logDir, f), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us) && line !== '') lat.push(us / 1000);
      }
    }
    lat.sort((a, b) => a - b);
    return { tps, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), failed };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

const cells = [
  ...MODES.flatMap((mode) => CLIENTS.map((c) => ({ name: `TPC-B -M ${mode}`, c, argv: ['-M', mode] }))),
  { name: 'select-only -M prepared', c: 8, argv: ['-S', '-M', 'prepared'] },
];

const results = {};
const initSeconds = {};
for (const [name, start] of [
  ['shale', () => startShale(PORT)],
  ['postgresql', () => startPostgres(PORT + 1)],
]) {
  const server = await start();
  if (server === undefined) {
    process.stderr.write(`${name}: not installed, skipped\n`);
    continue;
  }
  try {
    const t = performance.now();
    await pgbench(server.port, ['-i', '-s', String(SCALE), '-q']);
    initSeconds[name] = (performance.now() - t) / 1000;
    for (const k of cells) {
      const r = await cell(server.port, [...k.argv, '-c', String(k.c), '-j', String(Math.min(k.c, 4))]);
      (results[`${k.name} -c ${k.c}`] ??= {})[name] = r;
      process.stderr.write(
        `${name} ${k.name} -c ${k.c}: ${r.tps.toFixed(0)} tps, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, failed ${r.failed}\n`,
      );
    }
  } finally {
    await server.stop();
  }
}

const fmt = (r) =>
  r === undefined
    ? '–'
    : `${Math.round(r.tps).toLocaleString('en')} (${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} ms, ${r.failed} failed)`;
const lines = [
  `pgbench at scale ${SCALE}, ${SECONDS} s per cell, fsync and synchronous_commit on for both. Cells: TPS (p50 / p99 latency, failed transactions).`,
  `Initialisation (pgbench -i): shale ${initSeconds.shale?.toFixed(1) ?? '–'} s, PostgreSQL ${initSeconds.postgresql?.toFixed(1) ?? '–'} s.`,
  '',
  '| run | shale | PostgreSQL 15 | shale / PostgreSQL |',
  '|---|---|---|---|',
];
for (const [k, r] of Object.entries(results)) {
  const ratio = r.shale && r.postgresql ? `${(r.shale.tps / r.postgresql.tps).toFixed(2)}x` : '–';
  lines.push(`| ${k} | ${fmt(r.shale)} | ${fmt(r.postgresql)} | ${ratio} |`);
}
const md = lines.join('\n') + '\n';
process.stdout.write(md);
if (args.out) writeFileSync(args.out, md);
