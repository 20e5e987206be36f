/**
 * R16: an audit of the filesystem call order the durability argument rests on, over a traced workload
 * with flushes, compactions and MANIFEST rotations (inline jobs, so the trace is one sequence):
 *  1. a table is fsynced, and its directory fsynced, before any MANIFEST record that may name it;
 *  2. CURRENT is only ever replaced by renaming a fsynced temp file, and the directory is fsynced
 *     before any file is deleted afterwards;
 *  3. a WAL created while the one before it holds appends not yet fsynced starts with a chain marker
 *     (recovery then tells when the older log ends short), and a WAL is fsynced only together with
 *     every older WAL holding unsynced appends (fsynced first), unless a MANIFEST record made that
 *     older WAL obsolete (its memtable's flush, the first MANIFEST record after the switch).
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
  const firstAppends = new Map<string, Uint8Array>();
  fs.onAppend = (path, data) => {
    // A preallocated log is extended with zeros first; its first record is the first other write.
    if (!firstAppends.has(path) && data.some((b) => b !== 0)) firstAppends.set(path, data.slice());
  };
  const db = await DB.open('/db', { fs, ...TINY });
  const log = await runWorkload(db, makeWorkload(SEED, 400));
  assert.equal(log.error, undefined, `seed ${SEED}: ${String(log.error)}`);
  await db.close();
  const trace = fs.trace;
  const unsyncedTables = new Set<string>();
  let tableSinceDirSync = false;
  let lastLog: string | null = null;
  const dirtyLogs = new Set<string>(); // WALs with appends not yet fsynced
  const flushing = new Set<string>(); // WALs switched away from, their flush not yet recorded
  let chained = 0;
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
      if (path!.endsWith('.log')) {
        for (const older of dirtyLogs)
          assert.ok(older >= path!, `${where}: ${path} fsynced while the older ${older} is not`);
        dirtyLogs.delete(path!);
      }
    }
    if (op === 'syncDir') {
      tableSinceDirSync = false;
      pendingCurrent = null;
    }
    if (op === 'append' && path!.includes('MANIFEST')) {
      manifestAppends++;
      for (const old of flushing) dirtyLogs.delete(old); // obsolete: never needs its fsync
      flushing.clear();
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
    if ((op === 'append' || op === 'write') && path!.endsWith('.log')) dirtyLogs.add(path!);
    if (op === 'create' && path!.endsWith('.log')) {
      if (lastLog !== null && dirtyLogs.has(lastLog)) {
        const first = firstAppends.get(path!);
        // A chain marker: one 19-byte physical record holding a batch header with count 0.
        const isMarker =
          first !== undefined &&
          first.length === 7 + 12 &&
          first[6] === 1 &&
          first.subarray(7 + 8).every((b) => b === 0);
        assert.ok(
          isMarker,
          `${where}: new WAL after the unsynced ${lastLog} does not start with a chain marker`,
        );
        chained++;
        flushing.add(lastLog);
      }
      lastLog = path!;
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
  assert.ok(chained > 3, `seed ${SEED}: memtable switches left unsynced logs behind (${chained})`);
  assert.ok(
    manifestAppends > 10 && trace.some((l) => l.startsWith('rename') && l.endsWith('/db/CURRENT')),
    `seed ${SEED}: the workload rotated the MANIFEST`,
  );
});
