import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MemFileSystem } from '../../src/env/mem-fs.js';
import {
  isPositional,
  PreallocatedWritableFile,
  type PositionalFile,
} from '../../src/env/preallocated-writable-file.js';

const CHUNK = 64 * 1024;

function open(fs: MemFileSystem, path = '/x.log'): PositionalFile {
  const f = fs.createWritable(path);
  assert.ok(isPositional(f));
  return f;
}

test('a file never synced grows by appends; once synced, appends go inside zeros a chunk ahead', () => {
  const fs = new MemFileSystem();
  const f = new PreallocatedWritableFile(open(fs), CHUNK);
  f.append(new Uint8Array([1, 2]));
  assert.equal(f.allocated, 2, 'no zeros for unsynced writing');
  f.sync();
  f.append(new Uint8Array([3]));
  f.append(new Uint8Array([4]));
  assert.equal(f.size, 4);
  assert.equal(f.allocated, CHUNK);
  const bytes = fs.readFile('/x.log');
  assert.equal(bytes.length, CHUNK);
  assert.deepEqual([...bytes.subarray(0, 5)], [1, 2, 3, 4, 0]);
  assert.ok(bytes.subarray(4).every((b) => b === 0));
});

test('an append larger than the space left zero-fills up to the next chunk boundary first', () => {
  const fs = new MemFileSystem();
  const f = new PreallocatedWritableFile(open(fs), CHUNK);
  f.sync();
  f.append(new Uint8Array(10).fill(7));
  f.sync();
  f.append(new Uint8Array(CHUNK + 5).fill(9));
  assert.equal(f.size, CHUNK + 15);
  assert.equal(f.allocated, 2 * CHUNK);
  const bytes = fs.readFile('/x.log');
  assert.equal(bytes[CHUNK + 14], 9);
  assert.ok(bytes.subarray(CHUNK + 15).every((b) => b === 0));
});

test('past half a chunk the next chunk is added on a later turn, then fsynced', async () => {
  const fs = new MemFileSystem();
  const inner = open(fs);
  let syncs = 0;
  const counting: PositionalFile = Object.assign(Object.create(inner) as PositionalFile, {
    syncAsync: () => {
      syncs++;
      return inner.syncAsync();
    },
  });
  const f = new PreallocatedWritableFile(counting, CHUNK);
  f.sync();
  f.append(new Uint8Array(CHUNK / 2 + 1));
  f.sync();
  assert.equal(f.allocated, CHUNK, 'not inside the append');
  await nextTurn();
  assert.equal(f.allocated, 2 * CHUNK);
  assert.equal(syncs, 1, 'the extension was fsynced in the background');
  assert.equal(f.size, CHUNK / 2 + 1);
  // Nothing more while at least half a chunk of zeros is ahead.
  f.append(new Uint8Array(100));
  await nextTurn();
  assert.equal(f.allocated, 2 * CHUNK);
  // No sync since that extension: no chunk ahead; past the zeros the file grows by appends.
  f.append(new Uint8Array(CHUNK));
  await nextTurn();
  assert.equal(f.allocated, 2 * CHUNK);
  f.append(new Uint8Array(CHUNK));
  assert.equal(f.allocated, f.size);
  assert.equal(syncs, 1);
  f.sync();
  // A file closed before that turn is left alone.
  f.append(new Uint8Array(10));
  const allocated = f.allocated;
  f.close();
  await nextTurn();
  assert.equal(fs.fileSize('/x.log'), allocated);
});

test('a file with records and a zero tail is continued at its logical end; trim cuts the zeros', () => {
  const fs = new MemFileSystem();
  const first = new PreallocatedWritableFile(open(fs), CHUNK);
  first.sync();
  first.append(new Uint8Array([1, 2, 3]));
  first.close();
  const again = fs.openAppendable('/x.log');
  assert.ok(isPositional(again));
  const f = new PreallocatedWritableFile(again, CHUNK, 3);
  assert.equal(f.allocated, CHUNK);
  f.append(new Uint8Array([4, 5]));
  assert.equal(f.allocated, CHUNK);
  f.trim();
  f.close();
  assert.deepEqual([...fs.readFile('/x.log')], [1, 2, 3, 4, 5]);
});
