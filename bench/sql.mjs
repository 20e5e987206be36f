#!/usr/bin/env node
/**
 * npm run bench:sql: shale serve side by side with PostgreSQL 15 on this machine, through node-postgres
 * with named (prepared) statements. Workloads, each at 1 and 8 connections:
 * - point-select: SELECT by primary key from a 10,000-row table;
 * - insert: single-row INSERT, each its own (synced) transaction;
 * - range-100: SELECT of 100 consecutive rows by primary-key range.
 * Both servers run with fsync on and synchronous_commit on (each commit waits for its WAL fsync).
 * Reports ops/s and p50/p99 latency. Usage: node bench/sql.mjs [--seconds=5] [--warmup=2] [--workloads=a,b] [--port=55900]
 * [--out=file.md]
 */
import { writeFileSync } from 'node:fs';
import { client, createKv, percentile, startPostgres, startShale } from './sql-servers.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const SECONDS = Number(args.seconds ?? 5);
const WARMUP = Number(args.warmup ?? 2); // seconds per cell before timing
const ROWS = 10000;
const WORKLOADS = (args.workloads ?? 'point-select,insert,range-100').split(',');
const CONNECTIONS = [1, 8];

async function setup(port) {
  const c = client(port);
  await c.connect();
  await createKv(c, ROWS);
  await c.query('drop table if exists bench_ins');
  await c.query('create table bench_ins (id int primary key, name text not null, balance int8 not null)');
  await c.end();
}

async function run(port, workload, connections) {
  const clients = [];
  for (let i = 0; i < connections; i++) {
    const c = client(port);
    await c.connect();
    clients.push(c);
  }
  let nextId = 1_000_000 * (1 + Math.floor(Math.random() * 1000));
  const op = {
    'point-select': (c) => c.query({ name: 'ps', text: 'select name, balance from bench_kv where id = $1', values: [Math.floor(Math.random() * ROWS)] }),
    insert: (c) => c.query({ name: 'ins', text: 'insert into bench_ins (id, name, balance) values ($1, $2, $3)', values: [nextId++, 'n', 1] }),
    'range-100': (c) => {
      const lo = Math.floor(Math.random() * (ROWS - 100));
      return c.query({ name: 'rs', text: 'select id, name, balance from bench_kv where id >= $1 and id < $2', values: [lo, lo + 100] });
    },
  }[workload];
  // Warm-up, untimed: prepared statements, caches, and shale's JIT (its first two seconds run slower).
  const warm = performance.now() + WARMUP * 1000;
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < 50 || performance.now() < warm; i++) await op(c);
    }),
  );
  const latencies = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await op(c);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length / elapsed, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

const servers = [];
const PORT = Number(args.port ?? 55900); // shale's; PostgreSQL's is the next
const shale = await startShale(PORT);
servers.push(shale);
const postgres = await startPostgres(PORT + 1);
if (postgres) servers.push(postgres);
else console.error('PostgreSQL 15 is not installed here: shale alone');
const results = {};
try {
  for (const s of servers) await setup(s.port);
  for (const w of WORKLOADS)
    for (const n of CONNECTIONS)
      for (const s of servers) {
        const r = await run(s.port, w, n);
        results[`${w}|${n}|${s.name}`] = r;
        console.error(`${w} x${n} ${s.name}: ${Math.round(r.ops)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
      }
} finally {
  for (const s of servers) await s.stop();
}
const fmt = (r) => (r === undefined ? '-' : `${Math.round(r.ops).toLocaleString('en-US')} (${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} ms)`);
const lines = [
  `| workload | connections | shale ops/s (p50 / p99) | PostgreSQL 15 ops/s (p50 / p99) | shale / PostgreSQL |`,
  `|---|---|---|---|---|`,
];
for (const w of WORKLOADS)
  for (const n of CONNECTIONS) {
    const a = results[`${w}|${n}|shale`];
    const b = results[`${w}|${n}|postgresql`];
    lines.push(`| ${w} | ${n} | ${fmt(a)} | ${fmt(b)} | ${a && b ? (a.ops / b.ops).toFixed(2) + 'x' : '-'} |`);
  }
console.log(lines.join('\n'));
if (args.out) writeFileSync(args.out, lines.join('\n') + '\n');
