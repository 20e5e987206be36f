#!/usr/bin/env node
/**
 * The server's own cost per statement, without sockets or a client process: a Connection of one or two
 * builds of shale is fed the bytes node-postgres sends for a named prepared statement (Bind, Describe,
 * Execute, Sync) through an in-memory socket, and each round times a slice of statements on every build
 * (alternating which goes first) by CPU time. Prints microseconds per statement (median over rounds) and,
 * with two builds, the median of the per-round ratios B/A. Workloads are bench/sql.mjs's; inserts are
 * unsynced here (synchronous_commit off) so that the figure is CPU, not the disk.
 *
 * Usage: node bench/sql-inprocess.mjs <dist A> [<dist B>] [--workloads=point-select,insert,range-100]
 *        [--ops=2000] [--rounds=15] [--tables (flush the loaded table to a table file first)]
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

/** FakeSocket is the part of net.Socket a Connection uses; writes resolve the waiter at ReadyForQuery. */
class FakeSocket extends EventEmitter {
  writableEnded = false;
  destroyed = false;
  waiter = undefined;
  setNoDelay() {}
  cork() {}
  uncork() {}
  write(chunk) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // ReadyForQuery ('Z', length 5, status) ends every response to a Sync.
    if (b.length >= 6 && b[b.length - 6] === 0x5a && this.waiter !== undefined) {
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
  /** send delivers bytes to the server and resolves with its response up to ReadyForQuery. */
  send(bytes) {
    return new Promise((res) => {
      this.waiter = res;
      this.emit('data', bytes);
    });
  }
}

async function openBuild(dist) {
  const root = resolve(dist);
  const { DB } = await import(pathToFileURL(join(root, 'db/db.js')).href);
  const { SqlEngine } = await import(pathToFileURL(join(root, 'sql/engine.js')).href);
  const { Connection } = await import(pathToFileURL(join(root, 'pg/connection.js')).href);
  const dir = mkdtempSync(join(tmpdir(), 'sql-inprocess-'));
  const db = await DB.open(dir);
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
  return { dist, db, dir, socket, parsed: new Set(), nextId: 1_000_000 };
}

const STATEMENTS = {
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
  if (workload === 'point-select') return [String(random(ROWS))];
  if (workload === 'insert') return [String(b.nextId++), 'n', '1'];
  const lo = random(ROWS - 100);
  return [String(lo), String(lo + 100)];
}

/** message builds what pg sends for one execution of a named statement (Parse only the first time). */
function message(b, workload) {
  const s = STATEMENTS[workload];
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
    const out = await b.socket.send(message(b, workload));
    if (out.includes('SERROR')) throw new Error(`${b.dist}: ${out.toString('latin1')}`);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const builds = [];
for (const d of positional) builds.push(await openBuild(d));
try {
  for (const w of WORKLOADS) {
    for (const b of builds) await slice(b, w, 200); // warm-up
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
