/**
 * The child of the R1 process-kill test (see kill-workload.ts). It loads the engine, prints `ready`,
 * then waits for one line on stdin, `{"dir","seed","ack"}`, so the parent can start it ahead of time
 * and keep Node's start-up out of the kill loop. It then opens the database, prints `open`, and runs
 * the seed's operations until it is killed, recording each in the ack file. A read that disagrees with
 * what it wrote makes it exit with code 3 (the parent reports a child that dies before its kill).
 */
import { openSync, writeSync } from 'node:fs';
import { DB, WriteBatch } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { ACK_RECORD_SIZE, KillOps, Phase, applyKillOp, killOpenOptions } from './kill-workload.js';
import type { KillOp } from './kill-workload.js';

function batchOf(ops: [string, string | null][]): WriteBatch {
  const b = new WriteBatch();
  for (const [k, v] of ops) {
    if (v === null) b.delete(k);
    else b.put(k, v);
  }
  return b;
}

async function run(dir: string, seed: number, ackPath: string): Promise<void> {
  const ackFd = openSync(ackPath, 'w');
  const rec = new Uint8Array(ACK_RECORD_SIZE);
  const view = new DataView(rec.buffer);
  const record = (issued: number, done: number, phase: number): void => {
    view.setUint32(0, issued, true);
    view.setUint32(4, done, true);
    view.setUint32(8, phase, true);
    writeSync(ackFd, rec, 0, ACK_RECORD_SIZE, 0);
  };
  record(0, 0, Phase.opening);
  const db = await DB.open(dir, killOpenOptions(seed, dir));
  const model = new Map<string, string>();
  for (const [k, v] of db.iterator()) model.set(fromUtf8(k), fromUtf8(v));
  process.stdout.write('open\n');
  const ops = new KillOps(seed);
  for (let i = 0; ; i++) {
    const op: KillOp = ops.next();
    const phase = op.t === 'flush' ? Phase.flush : op.t === 'compact' ? Phase.compact : Phase.writing;
    record(i + 1, i, phase);
    switch (op.t) {
      case 'put':
        db.put(op.k, op.v, { sync: op.sync });
        break;
      case 'del':
        db.delete(op.k, { sync: op.sync });
        break;
      case 'batch':
        db.write(batchOf(op.ops), { sync: op.sync });
        break;
      case 'async':
        await Promise.all(op.ops.map((b, j) => db.writeAsync(batchOf(b), { sync: op.sync[j]! })));
        break;
      case 'read': {
        const got = db.get(op.k);
        const want = model.get(op.k);
        if ((got === undefined ? undefined : fromUtf8(got)) !== want) {
          process.stderr.write(`child seed ${seed}: get ${op.k} at op ${i} disagrees with its writes\n`);
          process.exit(3);
        }
        break;
      }
      case 'flush':
        await db.flush();
        break;
      case 'compact':
        await db.compactRange(op.lo, op.hi);
        break;
    }
    applyKillOp(model, op);
    record(i + 1, i + 1, Phase.writing);
    // Let finished background jobs install their results.
    if (i % 16 === 0) await new Promise((r) => setImmediate(r));
  }
}

process.stdout.write('ready\n');
// A parent that dies without killing us closes our stdin: do not run on as an orphan.
process.stdin.on('end', () => process.exit(0));
let input = '';
let started = false;
process.stdin.on('data', (d: Buffer) => {
  input += d.toString();
  const nl = input.indexOf('\n');
  if (nl < 0 || started) return;
  started = true;
  const { dir, seed, ack } = JSON.parse(input.slice(0, nl)) as { dir: string; seed: number; ack: string };
  run(dir, seed, ack).catch((err: unknown) => {
    process.stderr.write(`child seed ${seed}: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(2);
  });
});
