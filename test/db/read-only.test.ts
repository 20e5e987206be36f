/**
 * Read-only opens: no lock, nothing written or deleted, writes refused with a typed error; beside a live
 * writer (in this process, and in another) the reader sees the database as of its open, including writes
 * only in the writer's log, and keeps reading while the writer compacts its tables away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DB, ErrorCode, WriteBatch } from '../../src/index.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);
const key = (i: number): string => `k${String(i).padStart(6, '0')}`;

function snapshotDir(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((n) => `${n}:${statSync(join(dir, n)).size}:${statSync(join(dir, n)).mtimeMs}`)
    .join('\n');
}

test('a read-only open beside a writer: its view at open, writes refused, files untouched, tables kept through compaction', async () => {
  const dir = makeTmpDir('shale-ro-');
  try {
    const writer = await DB.open(dir, { writeBufferSize: 16 * 1024, backgroundJobs: 'inline' });
    for (let i = 0; i < 3000; i++) writer.put(key(i), `v${i}`.padEnd(60, '.'));
    await writer.flush();
    writer.put('log-only', 'yes'); // only in the writer's log
    const reader = await DB.open(dir, { readOnly: true });
    assert.equal(dec(reader.get('log-only')), 'yes');
    assert.throws(() => reader.put('x', 'y'), { code: ErrorCode.NOT_SUPPORTED });
    assert.throws(() => reader.write(new WriteBatch().put('x', 'y')), { code: ErrorCode.NOT_SUPPORTED });
    await assert.rejects(reader.flush(), { code: ErrorCode.NOT_SUPPORTED });
    await assert.rejects(reader.compactRange(), { code: ErrorCode.NOT_SUPPORTED });
    const rtx = reader.transaction(); // reads work; a commit with writes is refused
    assert.equal(dec(rtx.get('log-only')), 'yes');
    rtx.put('x', 'y');
    await assert.rejects(rtx.commit(), { code: ErrorCode.NOT_SUPPORTED });
    const ro = reader.transaction();
    ro.get('x');
    await ro.commit();
    // The writer overwrites and compacts everything: the tables the reader opened are deleted.
    for (let i = 0; i < 3000; i++) writer.put(key(i), 'new');
    await writer.compactRange();
    assert.equal(dec(reader.get('log-only')), 'yes');
    let n = 0;
    for (const [k, v] of reader.iterator()) {
      if (dec(k) !== 'log-only') assert.equal(dec(v), `v${n}`.padEnd(60, '.'), dec(k));
      n++;
    }
    assert.equal(n, 3001, 'the reader still sees its view');
    await reader.close();
    // A second reader sees the new state; readers never block a writer's open.
    await writer.close();
    const r2 = await DB.open(dir, { readOnly: true });
    const w2 = await DB.open(dir);
    assert.equal(dec(r2.get(key(5))), 'new');
    await r2.close();
    await w2.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('a read-only open writes and deletes nothing, and fails on a missing database', async () => {
  const dir = makeTmpDir('shale-ro2-');
  try {
    const db = await DB.open(dir, { writeBufferSize: 16 * 1024 });
    for (let i = 0; i < 2000; i++) db.put(key(i), 'x'.repeat(50));
    await db.close();
    const before = snapshotDir(dir);
    const r = await DB.open(dir, { readOnly: true });
    for (let i = 0; i < 2000; i += 100) assert.equal(dec(r.get(key(i))), 'x'.repeat(50));
    for (const _ of r.iterator()) void _;
    await r.close();
    assert.equal(snapshotDir(dir), before, 'the directory changed');
    await assert.rejects(DB.open(join(dir, 'missing'), { readOnly: true }), { code: ErrorCode.NOT_FOUND });
  } finally {
    removeTmpDir(dir);
  }
});

test('a read-only open works while another process holds the database open for writing', async () => {
  const dir = makeTmpDir('shale-ro3-');
  try {
    const writer = await DB.open(dir);
    writer.put('from-writer', 'hello');
    const script = `
      const { DB } = await import(${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)});
      const r = await DB.open(${JSON.stringify(dir)}, { readOnly: true });
      process.stdout.write(new TextDecoder().decode(r.get('from-writer')));
      await r.close();
      try { await DB.open(${JSON.stringify(dir)}); process.stdout.write(' opened'); } catch (e) { process.stdout.write(' ' + e.code); }
    `;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(out.stdout, 'hello SHALE_LOCKED', out.stderr);
    await writer.close();
  } finally {
    removeTmpDir(dir);
  }
});
