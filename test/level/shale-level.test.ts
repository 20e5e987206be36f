/** ShaleLevel beyond the compliance suite: streams, engine error codes, extra methods, persistence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryStream } from 'level-read-stream';
import { ShaleLevel } from '../../src/level/index.js';
import { tmpDirFor } from '../support/tmp-dir.js';
import { FaultFileSystem } from '../support/fault-fs.js';

test('level-read-stream reads a range from ShaleLevel', async (t) => {
  const db = new ShaleLevel(tmpDirFor(t));
  await db.batch(
    Array.from({ length: 50 }, (_, i) => ({
      type: 'put' as const,
      key: `k${String(i).padStart(2, '0')}`,
      value: `v${i}`,
    })),
  );
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = new EntryStream(db, { gte: 'k10', lt: 'k20' }) as unknown as NodeJS.ReadableStream;
    stream
      .on('data', (e: { key: string; value: string }) => seen.push(`${e.key}=${e.value}`))
      .on('end', () => resolve())
      .on('error', reject);
  });
  assert.deepEqual(
    seen,
    Array.from({ length: 10 }, (_, i) => `k${10 + i}=v${10 + i}`),
  );
  await db.close();
});

test('a second ShaleLevel on a locked directory fails with LEVEL_LOCKED', async (t) => {
  const dir = tmpDirFor(t);
  const a = new ShaleLevel(dir);
  await a.open();
  const b = new ShaleLevel(dir);
  await assert.rejects(b.open(), (err: Error & { code?: string; cause?: { code?: string } }) => {
    assert.equal(err.code, 'LEVEL_DATABASE_NOT_OPEN');
    assert.equal(err.cause?.code, 'LEVEL_LOCKED');
    return true;
  });
  await a.close();
});

test('data persists; compactRange, approximateSize, getProperty, getSync and sublevels work', async (t) => {
  const dir = tmpDirFor(t);
  let db = new ShaleLevel(dir, { writeBufferSize: 16 * 1024 });
  const sub = db.sublevel<string, string>('users', {});
  for (let i = 0; i < 2000; i++) await db.put(`key${String(i).padStart(5, '0')}`, 'x'.repeat(100));
  await sub.put('alice', 'admin');
  await db.compactRange('key00000', 'key99999');
  assert.ok((await db.approximateSize('key00000', 'key99999')) > 10_000);
  assert.match(db.getProperty('leveldb.stats')!, /Level/);
  assert.equal(db.getSync('key00007'), 'x'.repeat(100));
  await db.del('key00007');
  await db.close();
  db = new ShaleLevel(dir);
  assert.equal(await db.get('key00007'), undefined);
  assert.equal(await db.get('key01999'), 'x'.repeat(100));
  assert.equal(await db.sublevel<string, string>('users', {}).get('alice'), 'admin');
  assert.deepEqual(await db.keys({ gte: 'key01997', lt: 'key02000' }).all(), [
    'key01997',
    'key01998',
    'key01999',
  ]);
  await db.clear({ gte: 'key00000', lt: 'key01000' });
  assert.equal((await db.keys({ gte: 'key', lt: 'key01000' }).all()).length, 0);
  assert.equal((await db.keys({ gte: 'key01000', lt: 'key02000' }).all()).length, 1000);
  await db.close();
});

test('writes with sync survive a power cut, and concurrent ones share fsyncs (group commit)', async () => {
  const fs = new FaultFileSystem();
  // `sync` is an option of the engine underneath, not in abstract-level's types.
  const sync = { sync: true } as object;
  const db = new ShaleLevel('/db', { fs });
  await db.open();
  const before = fs.counts.sync;
  await Promise.all([
    ...Array.from({ length: 100 }, (_, i) => db.put(`p${i}`, `v${i}`, sync)),
    db.batch(
      [
        { type: 'put', key: 'b1', value: 'x' },
        { type: 'put', key: 'b2', value: 'y' },
      ],
      sync,
    ),
    db.del('p0', sync),
  ]);
  const syncs = fs.counts.sync - before;
  assert.ok(syncs < 50, `102 sync writes issued ${syncs} fsyncs`);
  // Only what was fsynced survives this crash image.
  const img = fs.crashImage('dropUnsynced');
  const again = new ShaleLevel('/db', { fs: img });
  await again.open();
  assert.equal(await again.get('p0'), undefined);
  for (let i = 1; i < 100; i++) assert.equal(await again.get(`p${i}`), `v${i}`);
  assert.deepEqual(await again.getMany(['b1', 'b2']), ['x', 'y']);
  await again.close();
  await db.close();
});

test('get and getSync hand snapshots and fillCache to the engine', async (t) => {
  const db = new ShaleLevel(tmpDirFor(t), { blockSize: 128 });
  await db.open();
  await db.put('k', 'old');
  const snap = db.snapshot();
  await db.put('k', 'new');
  assert.equal(db.getSync('k', { snapshot: snap }), 'old');
  assert.equal(await db.get('k', { snapshot: snap }), 'old');
  assert.equal(db.getSync('k'), 'new');
  await snap.close();
  assert.throws(() => db.getSync('k', { snapshot: snap }), { code: 'LEVEL_SNAPSHOT_NOT_OPEN' } as object);

  for (let i = 0; i < 100; i++) await db.put(`t${String(i).padStart(3, '0')}`, `v${i}`);
  await db.compactRange('k', 'u');
  const cached = () => db.db.metrics().blockCache.usageBytes;
  // Reads alternating between two blocks miss each time; a block enters the cache on its second miss.
  // `fillCache` is an engine read option, not in abstract-level's types.
  const noFill = { fillCache: false } as object;
  for (let i = 0; i < 3; i++) {
    assert.equal(db.getSync('t000', noFill), 'v0');
    assert.equal(await db.get('t099', noFill), 'v99');
  }
  assert.equal(cached(), 0);
  for (let i = 0; i < 3; i++) {
    assert.equal(db.getSync('t000'), 'v0');
    assert.equal(await db.get('t099'), 'v99');
  }
  assert.ok(cached() > 0);
  await db.close();
});

test('get keeps abstract-level semantics: rejects rather than throws, defers while opening', async (t) => {
  const db = new ShaleLevel(tmpDirFor(t));
  const opening = db.get('k'); // deferred until open
  assert.equal(db.status, 'opening');
  await db.put('k', 'v');
  assert.equal(await opening, undefined);
  assert.equal(await db.get('k'), 'v');
  let rejected: Promise<unknown> | undefined;
  assert.doesNotThrow(() => {
    rejected = db.get(null as unknown as string);
  });
  await assert.rejects(rejected!, { code: 'LEVEL_INVALID_KEY' } as object);
  await db.put('bad', '{not json');
  await assert.rejects(db.get('bad', { valueEncoding: 'json' }), { code: 'LEVEL_DECODE_ERROR' } as object);
  await db.close();
  await assert.rejects(db.get('k'), { code: 'LEVEL_DATABASE_NOT_OPEN' } as object);
});

test('get and getSync decode every value encoding', async (t) => {
  const db = new ShaleLevel(tmpDirFor(t));
  await db.put('j', JSON.stringify({ a: [1, 'x'] }));
  await db.put(Buffer.from([0, 255]), Buffer.from([1, 2, 3]), {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  // Keys and values of several encodings go through one reader, so it is loosely typed.
  type Read = (k: unknown, o?: object) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const reads: Read[] = [
    (k, o) => db.get(k as string, o!),
    (k, o) => Promise.resolve(db.getSync(k as string, o!)),
  ];
  for (const read of reads) {
    assert.equal(await read('j'), '{"a":[1,"x"]}');
    assert.deepEqual(await read('j', { valueEncoding: 'json' }), { a: [1, 'x'] });
    const buf = await read(Buffer.from([0, 255]), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    assert.ok(Buffer.isBuffer(buf));
    assert.deepEqual([...buf], [1, 2, 3]);
    const view = await read(new Uint8Array([0, 255]), { keyEncoding: 'view', valueEncoding: 'view' });
    assert.ok(view instanceof Uint8Array && !Buffer.isBuffer(view));
    assert.deepEqual([...view], [1, 2, 3]);
    assert.equal(await read('j', { valueEncoding: 'hex' }), Buffer.from('{"a":[1,"x"]}').toString('hex'));
    assert.equal(await read('missing', { valueEncoding: 'json' }), undefined);
    // Values are the caller's: changing one does not change the next read.
    buf[0] = 9;
    const again = await read(Buffer.from([0, 255]), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    assert.deepEqual([...again], [1, 2, 3]);
  }
  await db.close();
});

test('reads from the memtable, a table and the value log give each format its own copy', async (t) => {
  // Values of 64 bytes and more go to the value log at write time (a pointer in the memtable and table).
  const db = new ShaleLevel(tmpDirFor(t), { valueLog: { minValueSize: 64 } });
  const small = (i: number): string => `small-${i}`;
  const large = (i: number): string => `large-${i}-`.padEnd(200, 'x');
  const check = async (where: string): Promise<void> => {
    for (const [k, want] of [
      ['s1', small(1)],
      ['l1', large(1)],
    ]) {
      assert.equal(db.getSync(k!), want, where);
      assert.equal(await db.get(k!), want, where);
      const bytes = Buffer.from(want!);
      const buf = db.getSync(k!, { valueEncoding: 'buffer' }) as unknown as Buffer;
      assert.ok(Buffer.isBuffer(buf) && buf.equals(bytes), where);
      const view = (await db.get(k!, { valueEncoding: 'view' })) as unknown as Uint8Array;
      assert.ok(!Buffer.isBuffer(view) && Buffer.from(view).equals(bytes), where);
      assert.deepEqual(await db.getMany([k!, 'none'], { valueEncoding: 'buffer' }), [bytes, undefined]);
      // The copies are the caller's: overwriting them leaves the next read alone.
      buf.fill(0);
      view.fill(0);
      assert.equal(db.getSync(k!), want, where);
    }
  };
  await db.batch([
    { type: 'put', key: 's1', value: small(1) },
    { type: 'put', key: 'l1', value: large(1) },
  ]);
  await check('memtable');
  await db.compactRange('a', 'z');
  await check('table');
  await db.close();
});
