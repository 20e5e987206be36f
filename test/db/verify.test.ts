/**
 * DB.verify (and `shale verify`): a clean database verifies; damage injected into a table, a log or the
 * MANIFEST is reported with its file (and offset); a torn tail of the newest log is a tolerated note.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, MemFileSystem } from '../../src/index.js';

async function build(): Promise<MemFileSystem> {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs, writeBufferSize: 8192 });
  for (let i = 0; i < 2000; i++) db.put(`k${String(i).padStart(5, '0')}`, `value-${i}-${'x'.repeat(40)}`);
  await db.flush();
  for (let i = 0; i < 50; i++) db.put(`late${i}`, 'in the log only');
  await db.close();
  return fs;
}

function rewrite(fs: MemFileSystem, path: string, change: (b: Uint8Array) => Uint8Array): void {
  const b = change(new Uint8Array(fs.readFile(path)));
  const f = fs.createWritable(path);
  f.append(b);
  f.sync();
  f.close();
}

const files = (fs: MemFileSystem, re: RegExp): string[] =>
  fs
    .list('/db')
    .filter((n) => re.test(n))
    .map((n) => `/db/${n}`);

test('a clean database verifies, every table and log read', async () => {
  const fs = await build();
  const r = await DB.verify('/db', { fs });
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.ok(r.tables >= 2 && r.tableEntries >= 2000, JSON.stringify(r));
  assert.ok(r.logs >= 1 && r.logRecords >= 50);
  const db = await DB.open('/db', { fs }); // verify changed nothing
  await db.close();
});

test('a flipped byte in a table, a log record or the MANIFEST is found and named', async () => {
  for (const [what, pick] of [
    ['table', /\.ldb$/],
    ['log', /\.log$/],
    ['MANIFEST', /^MANIFEST-/],
  ] as const) {
    const fs = await build();
    const target = files(fs, pick).sort()[0]!;
    rewrite(fs, target, (b) => {
      b[Math.floor(b.length / 3)] ^= 0x40;
      return b;
    });
    const r = await DB.verify('/db', { fs });
    assert.equal(r.ok, false, `${what}: damage not found`);
    assert.ok(
      r.problems.some((p) => p.file === target && p.tolerated !== true),
      `${what}: ${JSON.stringify(r.problems)} does not name ${target}`,
    );
  }
});

test('a torn last record of the newest log is a tolerated note; a missing database is an error', async () => {
  const fs = await build();
  const log = files(fs, /\.log$/)
    .sort()
    .pop()!;
  rewrite(fs, log, (b) => b.subarray(0, b.length - 5));
  const r = await DB.verify('/db', { fs });
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.ok(r.problems.some((p) => p.tolerated === true && p.file === log));
  await assert.rejects(DB.verify('/nope', { fs }), (e: { code?: string }) => typeof e.code === 'string');
});
