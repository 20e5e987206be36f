#!/usr/bin/env node
/**
 * Two builds of `shale serve` and PostgreSQL 15 side by side, in rotation: each round runs a slice of one
 * workload of bench/sql.mjs on each server (the order rotates every round), so the three see the same
 * moments of a shared machine. Prints every round and the median per-round ratios A/PostgreSQL,
 * B/PostgreSQL and B/A (throughput: above 1, the first is faster). Fsync and synchronous_commit on for all.
 *
 * Usage: node bench/sql-ab-pg.mjs <distA> <distB> [--workload=insert|point-select|range-100]
 *        [--connections=1] [--rounds=6] [--seconds=2]
 * e.g. cp -r dist ab-base (before a change), npm run build, node bench/sql-ab-pg.mjs ab-base dist --connections=8
 */
import { client, createKv, percentile, startPostgres, startShale } from './sql-servers.mjs';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=')),
);
if (positional.length !== 2) {
  process.stderr.write('usage: node bench/sql-ab-pg.mjs <distA> <distB> [--workload=..] [--connections=n] [--rounds=n] [--seconds=n]\n');
  process.exit(2);
}
const WORKLOAD = args.workload ?? 'insert';
const CONNECTIONS = Number(args.connections ?? 1);
const ROUNDS = Number(args.rounds ?? 6);
const SECONDS = Number(args.seconds ?? 2);
const ROWS = 10000;

async function shale(dist, port, name) {
  process.env.SHALE_DIST = dist;
  const s = await startShale(port);
  return { ...s, name };
}
const servers = [await shale(positional[0], 56111, 'A'), await shale(positional[1], 56113, 'B')];
const pgServer = await startPostgres(56112);
if (pgServer === undefined) throw new Error('PostgreSQL 15 is not installed');
servers.push(pgServer);

const connections = new Map();
for (const s of servers) {
  const setup = client(s.port);
  await setup.connect();
  await createKv(setup, ROWS);
  await setup.query('create table bench_ins (id int primary key, name text not null, balance int8 not null)');
  await setup.end();
  const cs = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const c = client(s.port);
    await c.connect();
    cs.push(c);
  }
  connections.set(s.name, cs);
}

let nextId = 0;
const op = {
  'point-select': (c) =>
    c.query({ name: 'ps', text: 'select name, balance from bench_kv where id = $1', values: [Math.floor(Math.random() * ROWS)] }),
  insert: (c) =>
    c.query({ name: 'ins', text: 'insert into bench_ins (id, name, balance) values ($1, $2, $3)', values: [nextId++, 'n', 1] }),
  'range-100': (c) => {
    const lo = Math.floor(Math.random() * (ROWS - 100));
    return c.query({ name: 'rs', text: 'select id, name, balance from bench_kv where id >= $1 and id < $2', values: [lo, lo + 100] });
  },
}[WORKLOAD];
if (op === undefined) throw new Error(`unknown workload ${WORKLOAD}`);

async function slice(name, seconds) {
  const lat = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    connections.get(name).map(async (c) => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(c);
        lat.push(performance.now() - t);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { ops: lat.length / seconds, p50: percentile(lat, 0.5) };
}

for (const s of servers) await slice(s.name, 1); // warm-up: prepared statements, JIT
const orders = [
  ['A', 'B', 'postgresql'],
  ['postgresql', 'B', 'A'],
  ['B', 'postgresql', 'A'],
];
const ratios = [];
for (let r = 0; r < ROUNDS; r++) {
  const x = {};
  for (const name of orders[r % orders.length]) x[name] = await slice(name, SECONDS);
  ratios.push([x.A.ops / x.postgresql.ops, x.B.ops / x.postgresql.ops, x.B.ops / x.A.ops]);
  const cell = (v) => `${v.ops.toFixed(0)}/s p50 ${(v.p50 * 1000).toFixed(0)} us`;
  console.log(`round ${r}: A ${cell(x.A)}  B ${cell(x.B)}  postgresql ${cell(x.postgresql)}`);
}
const median = (i) => {
  const v = ratios.map((x) => x[i]).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)].toFixed(3);
};
console.log(`${WORKLOAD} x${CONNECTIONS}: A/postgresql ${median(0)}, B/postgresql ${median(1)}, B/A ${median(2)}`);
for (const cs of connections.values()) for (const c of cs) await c.end();
for (const s of servers) await s.stop();
