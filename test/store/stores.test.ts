/** Runs the Store conformance suite against ShaleStore, FileStore and MemoryStore. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShaleStore, FileStore, MemoryStore, ChangesBuilder } from '../../src/store/index.js';
import { MemFileSystem } from '../../src/index.js';
import { tmpDirFor } from '../support/tmp-dir.js';
import { storeConformance } from './conformance.js';

storeConformance('MemoryStore', () => ({ open: async () => new MemoryStore() }));

storeConformance('FileStore', (t) => {
  const dir = tmpDirFor(t);
  return { open: () => FileStore.open(dir), reopen: () => FileStore.open(dir) };
});

storeConformance('ShaleStore', (t) => {
  const dir = tmpDirFor(t);
  return {
    open: () => ShaleStore.open(dir, { writeBufferSize: 64 * 1024 }),
    reopen: () => ShaleStore.open(dir),
  };
});

test('FileStore ignores a torn last line, compacts on open, and is human-readable', async () => {
  const fs = new MemFileSystem();
  const store = await FileStore.open('/fs', { fs });
  store.registerEntityType('t');
  for (let i = 0; i < 10; i++)
    await store.save(new ChangesBuilder('ns').set('t', { id: 'same', n: i }).build());
  await store.close();
  const before = fs.readFile('/fs/store.jsonl');
  assert.equal(Buffer.from(before).toString().trim().split('\n').length, 10);
  // A torn append: half a line at the end.
  const f = fs.openAppendable('/fs/store.jsonl');
  f.append(Buffer.from('{"save":{"namespace":"ns","changes":[{"namesp'));
  f.close();
  const again = await FileStore.open('/fs', { fs });
  again.registerEntityType('t');
  assert.deepEqual(
    (await again.load('ns')).map((r) => (r.entity as { n: number }).n),
    [9],
  );
  const text = Buffer.from(fs.readFile('/fs/store.jsonl')).toString();
  assert.equal(text.trim().split('\n').length, 1, 'compacted to one line per record');
  assert.match(text, /"entityType":"t","entityId":"same"/);
  await again.close();
});
