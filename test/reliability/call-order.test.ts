/**
 * R16: an audit of the filesystem call order the durability argument rests on, over a traced workload
 * with flushes, compactions and MANIFEST rotations (inline jobs, so the trace is one sequence):
 *  1. a table is fsynced, and its directory fsynced, before any MANIFEST record that may name it;
 *  2. CURRENT is only ever replaced by renaming a fsynced temp file, and the directory is fsynced
 *     before any file is deleted afterwards;
 *  3. a WAL is fsynced in full before the next WAL is created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB } from '../../src/index.js';
import { FaultFileSystem } from '../support/fault-fs.js';
import { TINY, makeWorkload, runWorkload } from '../support/crash-workload.js';

const SEED = Number(process.env.SHALE_SEED ?? 5);

test('filesystem calls follow the durability rules', async () => {
  const fs = new FaultFileSystem();
  fs.mkdir('/db');
  fs.trace = [];
  const db = await DB.open('/db', { fs, ...TINY });
  const log = await runWorkload(db, makeWorkload(SEED, 400));
  assert.equal(log.error, undefined, `seed ${SEED}: ${String(log.error)}`);
  await db.close();
  const trace = fs.trace;
  const unsyncedTables = new Set<string>();
  let tableSinceDirSync = false;
  let lastLog: string | null = null;
  let lastLogDirty = false;
  let pendingCurrent: string | null = null; // CURRENT renamed, directory not yet synced
  const syncedTemps = new Set<string>();
  let manifestAppends = 0;
  for (const [i, line] of trace.entries()) {
    const [op, path, , to] = line.split(' ');
    const where = `seed ${SEED} (rerun: SHALE_SEED=${SEED} node --test build/test/reliability/call-order.test.js), trace[${i}] ${line}`;
    if (op === 'create' && path!.endsWith('.ldb')) {
      unsyncedTables.add(path!);
      tableSinceDirSync = true;
    }
    if (op === 'sync') {
      unsyncedTables.delete(path!);
      if (path!.endsWith('.dbtmp')) syncedTemps.add(path!);
      if (path === lastLog) lastLogDirty = false;
    }
    if (op === 'syncDir') {
      tableSinceDirSync = false;
      pendingCurrent = null;
    }
    if (op === 'append' && path!.includes('MANIFEST')) {
      manifestAppends++;
      assert.equal(
        unsyncedTables.size,
        0,
        `${where}: MANIFEST written while ${[...unsyncedTables].join(', ')} is not synced`,
      );
      assert.equal(
        tableSinceDirSync,
        false,
        `${where}: MANIFEST written before the directory holding a new table was synced`,
      );
    }
    if (op === 'append' && path === lastLog) lastLogDirty = true;
    if (op === 'create' && path!.endsWith('.log')) {
      assert.ok(!lastLogDirty, `${where}: new WAL created before ${lastLog} was synced`);
      lastLog = path!;
      lastLogDirty = false;
    }
    if (op === 'rename' && to === '/db/CURRENT') {
      assert.ok(syncedTemps.has(path!), `${where}: CURRENT replaced by an unsynced file`);
      pendingCurrent = path!;
    }
    if (op === 'remove')
      assert.equal(
        pendingCurrent,
        null,
        `${where}: file deleted before the new CURRENT's directory entry was synced`,
      );
  }
  assert.ok(
    manifestAppends > 10 && trace.some((l) => l.startsWith('rename') && l.endsWith('/db/CURRENT')),
    `seed ${SEED}: the workload rotated the MANIFEST`,
  );
});
