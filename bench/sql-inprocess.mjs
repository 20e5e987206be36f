#!/usr/bin/env node
/**
 * The server's own cost per statement, without sockets or a client process: a Connection of one or two
 * builds of shale is fed the bytes node-postgres sends for a named prepared statement (Bind, Describe,
 * Execute, Sync) through an in-memory socket, and each round times a slice of statements on every build
 * (alternating which goes first) by CPU time. Prints microseconds per statement (median over rounds) and,
 * with two builds, the median of the per-round ratios B/A. Workloads are bench/sql.mjs's; inserts are
 * unsynced here (synchronous_commit off) so that the figure is CPU, not the disk.
 *
 * With --pgbench=<scale>, each build first loads pgbench's tables as `pgbench -i -s <scale>` does (COPY of
 * the accounts, VACUUM, ADD PRIMARY KEY; CPU seconds of each step printed), and the workloads
 * pgbench-select (-S, prepared) and tpcb (the TPC-B script, prepared: seven statements, each its own Sync,
 * as pgbench sends them) are available.
 *
 * Usage: node bench/sql-inprocess.mjs <dist A> [<dist B>] [--workloads=point-select,insert,range-100]
 *        [--ops=2000] [--rounds=15] [--tables (flush the loaded table to a table file first)]
 *        [--pgbench=<scale>] [--cache=<bytes A>,<bytes B> (each build's block cache)]
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { serialize } = require('pg-protocol');

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=')),
);
if (positional.length === 0) {
  process.stderr.write(
    'usage: node bench/sql-inprocess.mjs <distA> [<distB>] [--workloads=..] [--ops=n] [--rounds=n]\n',
  );
  process.exit(2);
}
const WORKLOADS = (args.workloads ?? 'point-select,insert,range-100').split(',');
const OPS = Number(args.ops ?? 2000);
const ROUNDS = Number(args.rounds ?? 15);
const ROWS = 10000;
const SCALE = args.pgbench === undefined ? 0 : Number(args.pgbench);
const CACHE = args.cache === undefined ? [] : args.cache.split(',').map(Number);

/** lastMessageType: the type byte of the last whole backend message in `b` (writes hold whole messages). */
function lastMessageType(b) {
  let type = -1;
  for (let i = 0; i + 5 <= b.length; i += 1 + b.readInt32BE(i + 1)) type = b[i];
  return type;
}

/** FakeSocket is the part of net.Socket a Connection uses; writes resolve the waiter at ReadyForQuery. */
class FakeSocket extends EventEmitter {
  writableEnded = false;
  destroyed = false;
  waiter = undefined;
  setNoDelay() {}
  cork() {}
  uncork() {}
  /** until: the message type that ends the awaited response ('Z', or 'G' for CopyInResponse). */
  until = 0x5a;
  write(chunk) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // ReadyForQuery ('Z', length 5, status) ends every response to a Sync: the last message of a write.
    if (this.waiter !== undefined && lastMessageType(b) === this.until) {
      const w = this.waiter;
      this.waiter = undefined;
      w(b);
    }
    return true;
  }
  end() {
    this.writableEnded = true;
  }
  destroy() {
    this.destroyed = true;
  }
  /** send delivers bytes to the server and resolves with its response up to ReadyForQuery (or `end`). */
  send(bytes, end = 0x5a) {
    return new Promise((res) => {
      this.until = end;
      this.waiter = res;
      this.emit('data', bytes);
    });
  }
}

async function openBuild(dist, i) {
  const root = resolve(dist);
  const { DB } = await import(pathToFileURL(join(root, 'db/db.js')).href);
  const { SqlEngine } = await import(pathToFileURL(join(root, 'sql/engine.js')).href);
  const { Connection } = await import(pathToFileURL(join(root, 'pg/connection.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'sql-inprocess-'));
  const db = await DB.open(dir, CACHE[i] === undefined ? {} : { blockCacheSize: CACHE[i] });
  const engine = await SqlEngine.open(db);
  const host = {
    engine,
    maxMessageSize: 1 << 26,
    statementTimeout: 0,
    authenticationTimeout: 0,
    authenticator: undefined,
    register: () => ({ pid: 1, secret: 1 }),
    unregister() {},
    cancel() {},
    log: (m) => process.stderr.write(m + '\n'),
  };
  const socket = new FakeSocket();
  new Connection(socket, host);
  const startup = serialize.startup({ user: 'postgres', database: 'postgres', synchronous_commit: 'off' });
  await socket.send(startup);
  const query = (text) => socket.send(serialize.query(text));
  await query('create table bench_kv (id int primary key, name text not null, balance int8 not null)');
  await query('create table bench_ins (id int primary key, name text not null, balance int8 not null)');
  for (let i = 0; i < ROWS; i += 1000) {
    const values = [];
    for (let j = i; j < i + 1000; j++) values.push(`(${j}, 'name-${j}', ${j * 10})`);
    await query(`insert into bench_kv values ${values.join(',')}`);
  }
  // --tables: read the table from a table file (as after a restart), not from the memtable.
  if (args.tables !== undefined) await db.flush();
  if (SCALE > 0) {
    await pgbenchInit(dist, socket, query);
    // Settled: every table in one level, no compaction left running (its CPU would count against the build).
    await db.compactRange();
  }
  return { dist, db, dir, socket, parsed: new Set(), nextId: 1_000_000 };
}

/** pgbenchInit loads pgbench's tables as pgbench -i -s SCALE (client-side generation) sends them. */
async function pgbenchInit(dist, socket, query) {
  const step = async (name, f) => {
    const start = process.cpuUsage();
    const t = performance.now();
    await f();
    const used = process.cpuUsage(start);
    process.stderr.write(
      `${dist}: ${name} ${((used.user + used.system) / 1e6).toFixed(1)} s CPU, ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    );
  };
  const ok = async (text) => {
    const out = await query(text);
    if (out.includes('SERROR')) throw new Error(`${dist}: ${text}: ${out.toString('latin1')}`);
  };
  await ok(
    'create table pgbench_history(tid int,bid int,aid int,delta int,mtime timestamp,filler char(22));' +
      'create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100);' +
      'create table pgbench_accounts(aid int not null,bid int,abalance int,filler char(84)) with (fillfactor=100);' +
      'create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)',
  );
  await step('copy', async () => {
    await ok('begin');
    await ok('truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers');
    for (let b = 1; b <= SCALE; b++) await ok(`insert into pgbench_branches(bid,bbalance) values(${b},0)`);
    for (let t = 1; t <= SCALE * 10; t++)
      await ok(`insert into pgbench_tellers(tid,bid,tbalance) values (${t},${Math.ceil(t / 10)},0)`);
    await socket.send(serialize.query('copy pgbench_accounts from stdin with (freeze on)'), 0x47);
    const rows = SCALE * 100000;
    for (let i = 1; i <= rows;) {
      let chunk = '';
      for (const end = Math.min(rows, i + 999); i <= end; i++)
        chunk += `${i}\t${Math.ceil(i / 100000)}\t0\t\n`;
      socket.emit('data', serialize.copyData(Buffer.from(chunk)));
    }
    const out = await socket.send(serialize.copyDone());
    if (out.includes('SERROR')) throw new Error(`${dist}: copy: ${out.toString('latin1')}`);
    await ok('commit');
  });
  await step('vacuum', () =>
    ok(
      'vacuum analyze pgbench_branches; vacuum analyze pgbench_tellers; vacuum analyze pgbench_accounts; vacuum analyze pgbench_history',
    ),
  );
  await step('primary keys', async () => {
    await ok('alter table pgbench_branches add primary key (bid)');
    await ok('alter table pgbench_tellers add primary key (tid)');
    await ok('alter table pgbench_accounts add primary key (aid)');
  });
}

const TPCB = [
  { name: 'b0', text: 'BEGIN' },
  { name: 'b1', text: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2' },
  { name: 'b2', text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1' },
  { name: 'b3', text: 'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2' },
  { name: 'b4', text: 'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2' },
  {
    name: 'b5',
    text: 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
  },
  { name: 'b6', text: 'END' },
];

/** tpcbValues: the parameters of each TPC-B statement for one transaction (pgbench's random choices). */
function tpcbValues() {
  const aid = 1 + random(SCALE * 100000);
  const bid = 1 + random(SCALE);
  const tid = 1 + random(SCALE * 10);
  const delta = String(random(10001) - 5000);
  return [
    [],
    [delta, String(aid)],
    [String(aid)],
    [delta, String(tid)],
    [delta, String(bid)],
    [String(tid), String(bid), String(aid), delta],
    [],
  ];
}

/** statementMessage: what pgbench -M prepared sends for one statement (Parse only the first time). */
function statementMessage(b, s, vals) {
  const parts = [];
  if (!b.parsed.has(s.name)) {
    parts.push(serialize.parse({ name: s.name, text: s.text }));
    b.parsed.add(s.name);
  }
  parts.push(serialize.bind({ statement: s.name, values: vals }));
  parts.push(serialize.execute({}));
  parts.push(serialize.sync());
  return Buffer.concat(parts);
}

const STATEMENTS = {
  'pgbench-select': { name: 'pbs', text: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1' },
  'point-select': { name: 'ps', text: 'select name, balance from bench_kv where id = $1' },
  insert: { name: 'ins', text: 'insert into bench_ins (id, name, balance) values ($1, $2, $3)' },
  'range-100': { name: 'rs', text: 'select id, name, balance from bench_kv where id >= $1 and id < $2' },
};

let seed = 12345;
function random(n) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
}

function values(b, workload) {
  if (workload === 'pgbench-select') return [String(1 + random(SCALE * 100000))];
  if (workload === 'point-select') return [String(random(ROWS))];
  if (workload === 'insert') return [String(b.nextId++), 'n', '1'];
  const lo = random(ROWS - 100);
  return [String(lo), String(lo + 100)];
}

/** message builds what pg sends for one execution of a named statement (Parse only the first time). */
function message(b, workload) {
  const s = STATEMENTS[workload];
  if (workload === 'pgbench-select') return statementMessage(b, s, values(b, workload));
  const parts = [];
  if (!b.parsed.has(s.name)) {
    parts.push(serialize.parse({ name: s.name, text: s.text }));
    b.parsed.add(s.name);
  }
  parts.push(serialize.bind({ statement: s.name, values: values(b, workload) }));
  parts.push(serialize.describe({ type: 'P', name: '' }));
  parts.push(serialize.execute({}));
  parts.push(serialize.sync());
  return Buffer.concat(parts);
}

async function slice(b, workload, n) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    if (workload === 'tpcb') {
      const vals = tpcbValues();
      for (let j = 0; j < TPCB.length; j++) {
        const out = await b.socket.send(statementMessage(b, TPCB[j], vals[j]));
        if (out.includes('SERROR')) throw new Error(`${b.dist}: ${out.toString('latin1')}`);
      }
      continue;
    }
    const out = await b.socket.send(message(b, workload));
    if (out.includes('SERROR')) throw new Error(`${b.dist}: ${out.toString('latin1')}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const builds = [];
for (const [i, d] of positional.entries()) builds.push(await openBuild(d, i));
try {
  for (const w of WORKLOADS) {
    for (const b of builds) await slice(b, w, Number(args.warmup ?? 200)); // warm-up
    const per = builds.map(() => []);
    const ratios = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = builds.length === 1 ? [0] : r % 2 === 0 ? [0, 1] : [1, 0];
      const t = [];
      for (const i of order) t[i] = await slice(builds[i], w, Math.floor(OPS / ROUNDS) || 1);
      t.forEach((x, i) => per[i].push(x));
      if (builds.length === 2) ratios.push(t[1] / t[0]);
    }
    const cells = builds.map((b, i) => `${b.dist}: ${median(per[i]).toFixed(1)} us`);
    const ratio = ratios.length > 0 ? `, B/A ${median(ratios).toFixed(3)}` : '';
    console.log(`${w}: ${cells.join(', ')}${ratio}`);
  }
} finally {
  for (const b of builds) {
    await b.db.close();
    rmSync(b.dir, { recursive: true, force: true });
  }
}
