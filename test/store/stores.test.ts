/** Runs the Store conformance suite against ShaleStore, FileStore and MemoryStore. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShaleStore, FileStore, MemoryStore, ChangesBuilder } from '../../src/store/index.js';
import { MemFileSystem, ErrorCode } from '../../src/index.js';
import { FaultFileSystem } from '../support/fault-fs.js';
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

test('FileStore: one writer per directory, no writes after a failed one, bad bytes are corruption', async () => {
  const fs = new MemFileSystem();
  const store = await FileStore.open('/fs', { fs });
  await assert.rejects(FileStore.open('/fs', { fs }), { code: ErrorCode.LOCKED });
  store.registerEntityType('t');
  await store.save(new ChangesBuilder('ns').set('t', { id: 'a' }).build());
  await store.close();

  // A write that fails leaves the store read-only until it is reopened.
  const faulty = new FaultFileSystem();
  faulty.mkdir('/fs');
  const s2 = await FileStore.open('/fs', { fs: faulty });
  s2.registerEntityType('t');
  faulty.faults = [{ op: 'append', nth: 0, errno: 'ENOSPC' }];
  await assert.rejects(s2.save(new ChangesBuilder('ns').set('t', { id: 'b' }).build()));
  faulty.faults = [];
  await assert.rejects(s2.save(new ChangesBuilder('ns').set('t', { id: 'c' }).build()), {
    code: ErrorCode.BACKGROUND,
  });
  await s2.close();

  // Invalid UTF-8 in the file is a corruption, not silently replaced characters.
  const f = fs.openAppendable('/fs/store.jsonl');
  f.append(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]));
  f.close();
  await assert.rejects(FileStore.open('/fs', { fs }), { code: ErrorCode.CORRUPTION });
});

test('stores reject names with lone surrogates, hand-built sets with bad timestamps or ids', async () => {
  const store = new MemoryStore();
  store.registerEntityType('t');
  assert.throws(() => new ChangesBuilder('ns\uD800'), { code: ErrorCode.INVALID_ARGUMENT });
  const base = {
    namespace: 'ns',
    changeType: 'set' as const,
    entityType: 't',
    entityId: 'x',
    entity: { id: 'x' },
    timestamp: 1,
  };
  await assert.rejects(store.save({ namespace: 'ns', changes: [{ ...base, timestamp: NaN }] }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  await assert.rejects(store.save({ namespace: 'ns', changes: [{ ...base, entity: { id: 'y' } }] }), {
    code: ErrorCode.INVALID_ARGUMENT,
  });
  await store.save({ namespace: 'ns', changes: [base] });
  assert.equal((await store.load('ns')).length, 1);
});
