/**
 * Secondary instances: a read-only follower of a live primary that catches up with its MANIFEST and
 * logs. It never writes, renames or deletes a file in the primary's directory; it sees the state after
 * a prefix of the primary's acknowledged writes (never a torn batch), at least every write acknowledged
 * before a catchUp; and it keeps reading tables the primary compacted away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DB,
  ErrorCode,
  NodeFileSystem,
  WriteBatch,
  type Iterator,
  type WritableFile,
} from '../../src/index.js';
import { tmpDirFor } from '../support/tmp-dir.js';

const CHILD = fileURLToPath(new URL('../support/secondary-writer-child.js', import.meta.url));
const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b);
const key = (i: number): string => `k${String(i).padStart(8, '0')}`;

/** NoWriteFileSystem is the real disk with every operation that changes a file refused. */
class NoWriteFileSystem extends NodeFileSystem {
  private refuse(op: string, path: string): never {
    throw new Error(`the secondary tried to ${op} ${path}`);
  }
  override createWritable(path: string): WritableFile {
    return this.refuse('create', path);
  }
  override openAppendable(path: string): WritableFile {
    return this.refuse('append to', path);
  }
  override rename(from: string): void {
    this.refuse('rename', from);
  }
  override remove(path: string): void {
    this.refuse('remove', path);
  }
  override removeInBackground(path: string): Promise<void> {
    return this.refuse('remove', path);
  }
  override link(from: string): void {
    this.refuse('link', from);
  }
  override mkdir(dir: string): void {
    this.refuse('mkdir', dir);
  }
  override removeDir(dir: string): void {
    this.refuse('rmdir', dir);
  }
}

test('a secondary beside a primary in this process: catchUp shows new writes, flushes and compactions; old iterators keep their view', async (t) => {
  const dir = tmpDirFor(t);
  const primary = await DB.open(dir, { writeBufferSize: 16 * 1024, backgroundJobs: 'inline' });
  for (let i = 0; i < 500; i++) primary.put(key(i), `v${i}`.padEnd(100, '.'));
  await primary.flush();
  primary.put('log-only', 'yes');
  const secondary = await DB.openSecondary(dir, { fs: new NoWriteFileSystem() });
  assert.equal(dec(secondary.get('log-only')), 'yes');
  assert.equal(dec(secondary.get(key(7))), 'v7'.padEnd(100, '.'));
  assert.throws(() => secondary.put('x', 'y'), { code: ErrorCode.NOT_SUPPORTED });
  await assert.rejects(primary.catchUp(), { code: ErrorCode.NOT_SUPPORTED });

  const old = secondary.iterator();
  old.seekToFirst();
  primary.put('new', '1');
  primary.delete(key(0));
  assert.equal(secondary.get('new'), undefined, 'not before catchUp');
  const { lastSequence } = await secondary.catchUp();
  assert.equal(lastSequence, Number(primary.getProperty('shale.last-sequence')));
  assert.equal(dec(secondary.get('new')), '1');
  assert.equal(secondary.get(key(0)), undefined);

  // The primary rewrites everything: every table the old iterator may read is deleted.
  for (let i = 0; i < 500; i++) primary.put(key(i), `w${i}`.padEnd(100, '.'));
  await primary.compactRange();
  await secondary.catchUp();
  assert.equal(dec(secondary.get(key(9))), 'w9'.padEnd(100, '.'));
  let n = 0;
  for (; old.valid(); old.next()) {
    if (dec(old.key())!.startsWith('k')) assert.ok(dec(old.value())!.startsWith('v'));
    n++;
  }
  assert.equal(n, 501, 'the old iterator reads its view to the end, from tables the primary deleted');
  old.close();
  const m = secondary.metrics();
  assert.equal(m.write.calls, 0);
  await secondary.close();
  await primary.close();
});

test('a secondary open of a directory without a database fails with NotFound and creates nothing', async (t) => {
  const dir = tmpDirFor(t);
  await assert.rejects(DB.openSecondary(dir, { fs: new NoWriteFileSystem() }), { code: ErrorCode.NOT_FOUND });
  await assert.rejects(DB.openSecondary(join(dir, 'absent')), { code: ErrorCode.NOT_FOUND });
  assert.deepEqual(readdirSync(dir), []);
});

test('a secondary following a primary in another process sees a prefix of its acknowledged writes, never a torn batch', async (t) => {
  const dir = tmpDirFor(t);
  const ackFile = join(tmpDirFor(t), 'acks');
  // The primary exists before the secondary opens.
  const init = await DB.open(dir);
  init.write(new WriteBatch().put('n', '0').put('a', '0').put('b', '0'));
  await init.close();
  const child = spawn(process.execPath, [CHILD, dir, ackFile, '20000'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const acked = (): { last: number; done: boolean } => {
    let text = '';
    try {
      text = readFileSync(ackFile, 'utf8');
    } catch {
      return { last: 0, done: false };
    }
    const lines = text.split('\n').filter((l) => l.startsWith('A '));
    return {
      last: lines.length === 0 ? 0 : Number(lines[lines.length - 1]!.slice(2)),
      done: text.includes('done'),
    };
  };
  const secondary = await DB.openSecondary(dir, { fs: new NoWriteFileSystem() });
  let rounds = 0;
  let lastSeen = 0;
  let pinned: Iterator | null = null;
  let n0 = 0;
  let races = 0;
  try {
    for (;;) {
      const before = acked();
      races += (await secondary.catchUp()).attempts - 1;
      rounds++;
      const n = Number(dec(secondary.get('n')));
      assert.ok(n >= before.last, `caught up to ${n}, but ${before.last} was acknowledged before`);
      assert.ok(n >= lastSeen, 'never goes back');
      lastSeen = n;
      const snap = secondary.snapshot();
      try {
        assert.equal(dec(secondary.get('a', { snapshot: snap })), String(n), 'a batch is whole');
        assert.equal(dec(secondary.get('b', { snapshot: snap })), String(n), 'a batch is whole');
        // A prefix: k1..kn present, nothing after.
        let count = 0;
        for (const [k] of secondary.iterator({ gte: key(0), lt: 'l', snapshot: snap })) {
          count++;
          assert.equal(dec(k), key(count));
        }
        assert.equal(count, n);
      } finally {
        snap.release();
      }
      if (pinned === null && n >= 2000) {
        // Opened now, read at the end: the primary compacts away the tables it starts on meanwhile.
        pinned = secondary.iterator();
        pinned.seekToFirst();
        n0 = n;
      }
      if (before.done) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill();
  }
  assert.equal(await exited, 0);
  assert.equal(lastSeen, 20000);
  assert.ok(rounds >= 3, `${rounds} catch-ups`);
  // The iterator from before the first catch-up still reads its view, though the primary compacted
  // away the tables it started on.
  const keys: string[] = [];
  assert.ok(pinned !== null);
  for (; pinned.valid(); pinned.next()) keys.push(dec(pinned.key())!);
  assert.deepEqual(keys, ['a', 'b', ...Array.from({ length: n0 }, (_, i) => key(i + 1)), 'n']);
  pinned.close();
  t.diagnostic(
    `${rounds} catch-ups (${races} restarted after racing the primary); the iterator opened at n=${n0}`,
  );
  await secondary.close();
});
