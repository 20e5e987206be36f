/**
 * `shale qa --dir=<path>`: a one-command durability check on the user's own disk. It writes, restarts
 * and verifies; checks delete semantics across restarts and compaction; then SIGKILLs a child process
 * writing synced batches at random moments and checks, after each restart, that every acknowledged
 * batch is there whole. Exits non-zero on any failure. `qa-child` is the child's workload.
 */
import { spawn } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DB } from '../db/db.js';
import { WriteBatch } from '../db/write-batch.js';
import { fromUtf8 } from '../util/bytes.js';

/** runQaChild writes synced 3-key batches forever, printing `ack <i>` after each one returns. */
export async function runQaChild(dir: string): Promise<void> {
  const db = await DB.open(dir, { writeBufferSize: 64 * 1024 });
  let i = Number(db.getProperty('shale.last-sequence') ?? 0);
  for (;;) {
    const b = new WriteBatch();
    for (let j = 0; j < 3; j++)
      b.put(`batch${String(i).padStart(9, '0')}-${j}`, `${i}:${j}:${'x'.repeat(i % 200)}`);
    db.write(b, { sync: i % 4 !== 3 });
    if (i % 4 !== 3) process.stdout.write(`ack ${i}\n`);
    db.put(`unsynced${i % 1000}`, 'u'.repeat(100));
    i++;
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export async function killRound(dir: string, shaleCli: string, round: number): Promise<Check> {
  const acked = new Set<number>();
  const child = spawn(process.execPath, [shaleCli, 'qa-child', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('ack ')) acked.add(Number(line.slice(4)));
    }
  });
  // Kill at a random moment once the child is writing (its start-up time varies with machine load).
  const started = Date.now();
  while (acked.size === 0 && child.exitCode === null && Date.now() - started < 30_000) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 700)));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const db = await DB.open(dir);
  let missing = 0;
  let torn = 0;
  for (const i of acked) {
    for (let j = 0; j < 3; j++)
      if (db.get(`batch${String(i).padStart(9, '0')}-${j}`) === undefined) missing++;
  }
  const counts = new Map<string, number>();
  for (const [k] of db.iterator({ gte: 'batch', lt: 'batci' })) {
    const id = fromUtf8(k).slice(0, 14);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const n of counts.values()) if (n !== 3) torn++;
  await db.close();
  return {
    name: `kill -9 round ${round + 1}`,
    ok: missing === 0 && torn === 0 && acked.size > 0,
    detail: `${acked.size} acknowledged batches, ${missing} keys lost, ${torn} torn batches`,
  };
}

/** runQa runs the scenario in `root` and returns the process exit code. */
export async function runQa(root: string, shaleCli: string): Promise<number> {
  const dir = join(root, 'shale-qa');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const checks: Check[] = [];
  const n = 20_000;
  const key = (i: number): string => `key${String(i).padStart(8, '0')}`;
  try {
    // 1. Write, restart, read back.
    let db = await DB.open(join(dir, 'basic'), { writeBufferSize: 256 * 1024 });
    for (let i = 0; i < n; i++) db.put(key(i), `value-${i}`, { sync: i % 1000 === 0 });
    await db.close();
    db = await DB.open(join(dir, 'basic'));
    let bad = 0;
    for (let i = 0; i < n; i++) if (fromUtf8(db.get(key(i)) ?? new Uint8Array()) !== `value-${i}`) bad++;
    checks.push({ name: 'write, restart, read back', ok: bad === 0, detail: `${n} keys, ${bad} wrong` });
    // 2. Deletes hold across restart and compaction.
    for (let i = 0; i < n; i += 2) db.delete(key(i));
    await db.close();
    db = await DB.open(join(dir, 'basic'));
    await db.compactRange();
    let resurrected = 0;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      const v = db.get(key(i));
      if (i % 2 === 0 && v !== undefined) resurrected++;
      if (i % 2 === 1 && v === undefined) lost++;
    }
    checks.push({
      name: 'deletes survive restart and compaction',
      ok: resurrected === 0 && lost === 0,
      detail: `${resurrected} resurrected, ${lost} lost`,
    });
    await db.close();
    // 3. Recovery from the WAL alone.
    db = await DB.open(join(dir, 'wal'));
    for (let i = 0; i < 1000; i++) db.put(key(i), `w${i}`);
    db.put('last', 'synced', { sync: true });
    await db.close();
    db = await DB.open(join(dir, 'wal'));
    checks.push({
      name: 'recovery from the write-ahead log',
      ok: fromUtf8(db.get('last') ?? new Uint8Array()) === 'synced' && db.get(key(999)) !== undefined,
      detail: '1001 writes',
    });
    await db.close();
    // 4. Process kills.
    for (let round = 0; round < 3; round++) checks.push(await killRound(join(dir, 'kill'), shaleCli, round));
  } catch (err) {
    checks.push({ name: 'scenario', ok: false, detail: String(err) });
  }
  for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(
    failed === 0
      ? `shale qa: all ${checks.length} checks passed in ${dir}`
      : `shale qa: ${failed} of ${checks.length} checks FAILED`,
  );
  if (failed === 0) rmSync(dir, { recursive: true, force: true });
  return failed === 0 ? 0 : 1;
}

/** thisCli is the path of the shale command's script (to spawn children of it). */
export function thisCli(metaUrl: string): string {
  return fileURLToPath(new URL('./shale.js', metaUrl));
}
