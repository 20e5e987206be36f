#!/usr/bin/env node
/**
 * Where one client's TPC-B transaction spends the server's time, statement by statement: pgbench's TPC-B
 * (`-M prepared -c 1`) runs against `shale serve` and PostgreSQL 15 in turn while `perf trace` records the
 * serving thread's (the backend's) system calls; for each statement of the transaction, the median time
 * from the end of the read(2) that brought its messages to the start of the write(2) of its answer is the
 * server's own work on it (for COMMIT: up to the WAL write, then the fsync, then from the fsync's end to
 * the answer). Tracing slows system calls, not the work between them; both servers are traced alike.
 * Needs perf and pgbench; run as root (perf attaches to the PostgreSQL backend).
 *
 * Usage: node bench/pgbench-trace.mjs [--seconds=3] [--scale=1]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, startShale } from './sql-servers.mjs';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=')),
);
const SECONDS = Number(args.seconds ?? 3);
const SCALE = args.scale ?? '1';
const STATEMENTS = ['BEGIN', 'UPDATE accounts', 'SELECT abalance', 'UPDATE tellers', 'UPDATE branches', 'INSERT history'];

const pgbenchArgs = (port) => ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'];

/** traced runs TPC-B on `port` and perf-traces `pidOf()` for SECONDS; returns the trace's text. */
async function traced(port, pidOf) {
  spawnSync('pgbench', [...pgbenchArgs(port), '-i', '-s', SCALE, '-q', 'postgres']);
  spawnSync('pgbench', [...pgbenchArgs(port), '-M', 'prepared', '-c', '1', '-T', '2', 'postgres']); // warm-up
  const run = spawn('pgbench', [...pgbenchArgs(port), '-M', 'prepared', '-c', '1', '-T', String(SECONDS + 3), 'postgres']);
  await new Promise((r) => setTimeout(r, 1000));
  const dir = mkdtempSync(join(tmpdir(), 'pgbench-trace-'));
  const out = join(dir, 'trace.txt');
  const perf = spawn('perf', ['trace', '-p', String(pidOf()), '-e', 'read,write,pwrite64,fdatasync,recvfrom,sendto', '-o', out]);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  perf.kill('SIGINT');
  await new Promise((r) => perf.on('exit', r));
  await new Promise((r) => run.on('exit', r));
  const text = readFileSync(out, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return text;
}

/** gaps turns a trace into per-statement server times (us), by the answer's size: 27 bytes is BEGIN's. */
function gaps(text) {
  const per = STATEMENTS.map(() => []);
  const commit = { toWal: [], fsync: [], toAnswer: [] };
  let pos = -1;
  let readEnd = null;
  let walAt = null;
  let fsyncEnd = null;
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([\d.]+) \(\s*([\d.]+) ms\):.*?\b(read|recvfrom|write|sendto|pwrite64|fdatasync)\(.*=\s*(-?\d+)/);
    if (m === null) continue;
    const [t, d, call, ret] = [Number(m[1]), Number(m[2]), m[3], Number(m[4])];
    if ((call === 'read' || call === 'recvfrom') && ret > 0) {
      readEnd = t + d;
      walAt = fsyncEnd = null;
    } else if (call === 'pwrite64' && readEnd !== null) walAt = t;
    else if (call === 'fdatasync' && readEnd !== null) {
      fsyncEnd = t + d;
      commit.fsync.push(d * 1000);
    } else if ((call === 'write' || call === 'sendto') && readEnd !== null && ret > 0 && ret < 100) {
      pos = ret === 27 ? 0 : pos >= 0 ? pos + 1 : -1;
      if (pos === 6 && walAt !== null && fsyncEnd !== null) {
        commit.toWal.push((walAt - readEnd) * 1000);
        commit.toAnswer.push((t - fsyncEnd) * 1000);
      } else if (pos >= 0 && pos < 6) per[pos].push((t - readEnd) * 1000);
      readEnd = null;
    }
  }
  const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
  return {
    ...Object.fromEntries(STATEMENTS.map((s, i) => [s, median(per[i])])),
    'COMMIT to WAL write': median(commit.toWal),
    'COMMIT fsync': median(commit.fsync),
    'COMMIT fsync end to answer': median(commit.toAnswer),
    transactions: per[0].length,
  };
}

const shale = await startShale(56131);
const shaleGaps = gaps(await traced(shale.port, () => shale.pid));
await shale.stop();
const pg = await startPostgres(56132);
if (pg === undefined) throw new Error('PostgreSQL 15 is not installed');
const backend = () =>
  Number(spawnSync('pgrep', ['-n', '-f', 'postgres: postgres postgres 127.0.0.1'], { encoding: 'utf8' }).stdout.trim());
const pgGaps = gaps(await traced(pg.port, backend));
await pg.stop();
console.log('| step (median us) | shale | PostgreSQL 15 | shale / PostgreSQL |');
console.log('|---|---|---|---|');
for (const k of Object.keys(shaleGaps))
  console.log(
    `| ${k} | ${shaleGaps[k].toFixed(0)} | ${pgGaps[k].toFixed(0)} | ${k === 'transactions' ? '' : `${(shaleGaps[k] / pgGaps[k]).toFixed(2)}x`} |`,
  );
