/**
 * onProgress of the long operations: called with non-decreasing `done`, never past `total`, ending at
 * done === total (verify and dump in bytes, checkpoint and repair in files, compactRange in steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DB, MemFileSystem } from '../../src/index.js';
import { dumpFile } from '../../src/db/dump.js';

/** recorder collects onProgress calls and checks them when asked. */
function recorder(): { onProgress: (done: number, total: number) => void; check(what: string): number } {
  const calls: [number, number][] = [];
  return {
    onProgress: (done, total) => void calls.push([done, total]),
    check(what) {
      assert.ok(calls.length >= 2, `${what}: progress reported`);
      for (let i = 0; i < calls.length; i++) {
        const [done, total] = calls[i]!;
        assert.ok(done >= 0 && done <= total, `${what}: ${done} of ${total}`);
        if (i > 0) assert.ok(done >= calls[i - 1]![0], `${what}: done never goes back`);
      }
      const [done, total] = calls[calls.length - 1]!;
      assert.equal(done, total, `${what}: ends complete`);
      return total;
    },
  };
}

const key = (i: number): string => `k${String(i).padStart(6, '0')}`;

test('verify, checkpoint, compactRange, repair and dump report their progress', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, writeBufferSize: 8 * 1024, l0CompactionTrigger: 100 });
  for (let i = 0; i < 2000; i++) db.put(key(i), 'v'.repeat(50));
  const compact = recorder();
  await db.flush();
  const levelsBefore = db.metrics().levels.filter((l) => l.files > 0).length;
  assert.ok(levelsBefore >= 1);
  await db.compactRange(undefined, undefined, { onProgress: compact.onProgress });
  assert.ok(compact.check('compactRange') >= 2);
  db.put('tail', 'in the log');
  const cp = recorder();
  const report = await db.checkpoint('/cp', { onProgress: cp.onProgress });
  assert.equal(cp.check('checkpoint'), report.tables + 1 + report.logs);
  await db.close();

  const verify = recorder();
  const v = await DB.verify('/db', { fs, onProgress: verify.onProgress });
  assert.ok(v.ok);
  const tableBytes = fs
    .list('/db')
    .filter((n) => n.endsWith('.ldb'))
    .reduce((a, n) => a + fs.fileSize(join('/db', n)), 0);
  assert.ok(verify.check('verify') >= tableBytes, 'verify counts table bytes (and logs)');

  const table = fs.list('/db').find((n) => n.endsWith('.ldb'))!;
  const dump = recorder();
  dumpFile(join('/db', table), () => {}, { fs, onProgress: dump.onProgress });
  assert.equal(dump.check('dump'), fs.fileSize(join('/db', table)));

  const repair = recorder();
  await DB.repair('/db', { fs, onProgress: repair.onProgress });
  repair.check('repair');
});
