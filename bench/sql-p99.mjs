#!/usr/bin/env node
/**
 * npm run bench:sql-p99: the latency of a point SELECT (prepared, one connection, by primary key from a
 * 10,000-row table) while background work runs, shale beside PostgreSQL 15 in the same run. Phases:
 * - quiet: the reader alone;
 * - writers: the reader while --writers connections insert 50-row batches of 1 KiB rows (each batch its own
 *   synced transaction) at --rate rows per second together (default 4000; 0: flat out), so the engine keeps
 *   flushing memtables and compacting;
 * - compact: the reader while one full compaction of everything written runs (shale `COMPACT`; PostgreSQL
 *   `VACUUM` then `CHECKPOINT`, its nearest whole-database maintenance).
 * Reports p50 / p99 / p99.9 / max of the reader, its reads per second, what the writers did, and (shale) the
 * flushes, compactions and write stalls during the phase from its /metrics.
 * Usage: node bench/sql-p99.mjs [--seconds=8] [--writers=2] [--rate=4000] [--out=file.md] [--profile=dir] [--only=shale]
 * (--profile: the shale server runs under node --cpu-prof, its profile written to dir at the end;
 * --node-args=a,b: more node flags for the server, e.g. --trace-gc, whose output --server-log=file keeps).
 */
import { openSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import pg from 'pg';
import { client, createKv, percentile, startPostgres, startShale } from './sql-servers.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => /^--([^=]+)=?(.*)$/.exec(a).slice(1)));
const SECONDS = Number(args.seconds ?? 8);
const WRITERS = Number(args.writers ?? 2);
/** RATE: rows per second all writers together aim at (0: as fast as they can). */
const RATE = Number(args.rate ?? 4000);
const ROWS = 10000;
const BATCH = 50;
const PAYLOAD = 'x'.repeat(1024);
const METRICS_PORT = 55912;

async function setup(port) {
  const c = client(port);
  await c.connect();
  await createKv(c, ROWS);
  await c.query('drop table if exists bench_load');
  await c.query('create table bench_load (id int8 primary key, payload text not null)');
  await c.end();
}

function fetchMetrics() {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: METRICS_PORT, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** engineCounts: flushes, compactions (all output levels) and write stalls so far (shale only). */
async function engineCounts(server) {
  if (server.name !== 'shale') return undefined;
  const text = await fetchMetrics();
  const sum = (name) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    flushes: sum('shale_flush_total'),
    compactions: sum('shale_compaction_total'),
    stalls: sum('shale_write_stall_total'),
  };
}

/** read runs point SELECTs on one connection until `until()` is true; returns the sorted latencies in ms. */
async function read(c, until) {
  const latencies = [];
  const started = performance.now();
  while (!until()) {
    const t = performance.now();
    await c.query({ name: 'ps', text: 'select name, balance from bench_kv where id = $1', values: [Math.floor(Math.random() * ROWS)] });
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

let nextId = 0;

/** writers starts the write load; stop() ends it and returns the rows written. */
async function writers(port) {
  const cs = [];
  for (let i = 0; i < WRITERS; i++) {
    const c = client(port);
    await c.connect();
    cs.push(c);
  }
  let stopped = false;
  let rows = 0;
  const text = `insert into bench_load (id, payload) select g, $2 from generate_series($1::int8, $1::int8 + ${BATCH - 1}) g`;
  const started = performance.now();
  const loops = cs.map(async (c) => {
    while (!stopped) {
      // Paced: a batch starts once the rows written so far are due (RATE), so both servers get the same load.
      const due = started + (rows / RATE) * 1000;
      if (RATE > 0 && due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      if (stopped) break;
      const base = nextId;
      nextId += BATCH;
      rows += BATCH;
      await c.query({ name: 'load', text, values: [base, PAYLOAD] });
    }
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
    await Promise.all(cs.map((c) => c.end()));
    return rows;
  };
}

function summary(name, r, extra) {
  const l = r.latencies;
  return {
    phase: name,
    reads: l.length / r.seconds,
    p50: percentile(l, 0.5),
    p99: percentile(l, 0.99),
    p999: percentile(l, 0.999),
    max: l[l.length - 1] ?? 0,
    ...extra,
  };
}

async function measure(server) {
  await setup(server.port);
  const reader = client(server.port);
  await reader.connect();
  for (let i = 0; i < 200; i++) await reader.query({ name: 'ps', text: 'select name, balance from bench_kv where id = $1', values: [i] });
  const out = [];
  const timed = () => {
    const end = performance.now() + SECONDS * 1000;
    return () => performance.now() >= end;
  };

  out.push(summary('quiet', await read(reader, timed())));

  let before = await engineCounts(server);
  const stop = await writers(server.port);
  const loaded = await read(reader, timed());
  const rows = await stop();
  let after = await engineCounts(server);
  out.push(summary('writers', loaded, { written: `${Math.round(rows / loaded.seconds)} rows/s`, ...delta(before, after) }));

  before = after;
  const admin = client(server.port);
  await admin.connect();
  let done = false;
  const t = performance.now();
  const work = (server.name === 'shale' ? admin.query('compact') : admin.query('vacuum').then(() => admin.query('checkpoint'))).then(() => {
    done = true;
  });
  const during = await read(reader, () => done);
  await work;
  const took = (performance.now() - t) / 1000;
  after = await engineCounts(server);
  out.push(summary('compact', during, { written: `took ${took.toFixed(1)} s`, ...delta(before, after) }));
  await admin.end();
  await reader.end();
  return out;
}

function delta(a, b) {
  if (a === undefined || b === undefined) return {};
  return { flushes: b.flushes - a.flushes, compactions: b.compactions - a.compactions, stalls: b.stalls - a.stalls };
}

const results = [];
const shale = await startShale(55910, {
  serveArgs: [`--metrics-port=${METRICS_PORT}`],
  nodeArgs: [
    ...(args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args.profile}`]),
    ...(args['node-args'] === undefined ? [] : args['node-args'].split(',')),
  ],
  ...(args['server-log'] === undefined ? {} : { stdout: openSync(args['server-log'], 'w') }),
});
try {
  results.push(['shale', await measure(shale)]);
} finally {
  await shale.stop();
}
if (args.only !== 'shale') {
  const postgres = await startPostgres(55911);
  if (postgres === undefined) console.error('PostgreSQL 15 is not installed here: shale alone');
  else
    try {
      results.push(['PostgreSQL 15', await measure(postgres)]);
    } finally {
      await postgres.stop();
    }
}

const ms = (x) => x.toFixed(2);
const lines = [
  `| server | phase | reads/s | p50 ms | p99 ms | p99.9 ms | max ms | p99 / quiet p99 | background | flushes | compactions | stalls |`,
  `|---|---|---|---|---|---|---|---|---|---|---|---|`,
];
for (const [name, phases] of results) {
  const quiet = phases[0].p99;
  for (const p of phases)
    lines.push(
      `| ${name} | ${p.phase} | ${Math.round(p.reads)} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.p999)} | ${ms(p.max)} | ${(p.p99 / quiet).toFixed(2)}x | ${p.written ?? '-'} | ${p.flushes ?? '-'} | ${p.compactions ?? '-'} | ${p.stalls ?? '-'} |`,
    );
}
console.log(lines.join('\n'));
if (args.out) writeFileSync(args.out, lines.join('\n') + '\n');
