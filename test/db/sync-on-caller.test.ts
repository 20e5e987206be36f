/**
 * syncOnCaller: a lone synced commit fsyncs on the calling thread, overlapping commits share group
 * fsyncs off it. Either way an acknowledged synced commit survives a power cut that drops everything
 * not fsynced, and the policy switches as documented (db/sync-on-caller.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB } from '../../src/index.js';
import { SyncOnCaller } from '../../src/db/sync-on-caller.js';
import { FaultFileSystem } from '../support/fault-fs.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('the policy: lone commits on the caller, company switches to group commit, a run of lone groups back', async () => {
  const p = new SyncOnCaller(true);
  assert.equal(p.commit(false), true);
  await nextTurn();
  assert.equal(p.commit(false), true);
  assert.equal(p.commit(false), false, 'a second synced commit in one turn: group commit');
  await nextTurn();
  assert.equal(p.commit(false), false, 'stays in group commit');
  await nextTurn();
  assert.equal(p.commit(true), false, 'an fsync in flight is company');
  for (let i = 0; i < 7; i++) p.groupSynced(1, false);
  await nextTurn();
  assert.equal(p.commit(false), false, 'seven lone group fsyncs are not enough');
  p.groupSynced(2, false);
  for (let i = 0; i < 7; i++) p.groupSynced(1, false);
  p.groupSynced(1, true);
  await nextTurn();
  assert.equal(p.commit(false), false, 'a group fsync with others waiting restarts the run');
  for (let i = 0; i < 8; i++) p.groupSynced(1, false);
  await nextTurn();
  assert.equal(p.commit(false), true, 'eight lone group fsyncs in a row: back on the caller');
  assert.equal(new SyncOnCaller(false).commit(false), false, 'off: never on the caller');
});

for (const syncOnCaller of [true, false]) {
  test(`acknowledged synced commits survive a power cut (syncOnCaller ${syncOnCaller}), alone and overlapping`, async () => {
    const fs = new FaultFileSystem();
    fs.mkdir('/db');
    // Flushes wait for a later turn: a memtable switch leaves the old log open (and maybe unsynced) a while.
    fs.delayFlushes = true;
    const db = await DB.open('/db', { fs, syncOnCaller, writeBufferSize: 4096 });
    const acked: string[] = [];
    // Alone, one after another (across memtable switches: 4 KiB memtables).
    for (let i = 0; i < 60; i++) {
      // An unsynced write before each commit: the commit's fsync makes it durable too (a prefix survives),
      // also when it sits in the log before a memtable switch.
      db.put(`before${i}`, 'u'.repeat(100));
      db.put(`between${i}`, 'u'.repeat(100));
      acked.push(`before${i}`, `between${i}`);
      const tx = db.transaction();
      tx.put(`alone${i}`, 'v'.repeat(100));
      await tx.commit({ sync: true });
      acked.push(`alone${i}`);
      // Each alone in its turn of the event loop (as a server's requests arrive): fsynced on the caller.
      await nextTurn();
    }
    // A power cut now: the last commits are only in the live log (and the log before it).
    const afterAlone = fs.crashImage('dropUnsynced');
    const ackedAlone = [...acked];
    // Overlapping: eight commits in one turn share fsyncs.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 8 }, async (_, j) => {
          const tx = db.transaction();
          tx.put(`group${round}-${j}`, 'w'.repeat(100));
          await tx.commit({ sync: true });
          acked.push(`group${round}-${j}`);
        }),
      );
    }
    // Unsynced writes after them may go; the acknowledged ones may not.
    db.put('unsynced', 'x');
    const image = fs.crashImage('dropUnsynced');
    await db.close();
    for (const [img, keys] of [
      [afterAlone, ackedAlone],
      [image, acked],
    ] as const) {
      const after = await DB.open('/db', { fs: img });
      for (const k of keys) assert.notEqual(after.get(k), undefined, `${k} was acknowledged, then lost`);
      await after.close();
    }
  });
}
