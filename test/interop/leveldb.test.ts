/**
 * Interop with real LevelDB (classic-level bundles LevelDB 1.20): a database written by LevelDB opens in
 * shale with every entry intact (WAL-only entries included), and one written by shale opens in LevelDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { DB, NodeFileSystem } from '../../src/index.js';
import { readLogStart } from '../../src/db/log-chain.js';
import { Random } from '../../src/util/random.js';
import { toHex } from '../../src/util/bytes.js';
import { Model } from '../support/model.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

type Level = ClassicLevel<Uint8Array, Uint8Array>;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

function randomKey(rnd: Random): Uint8Array {
  const n = 1 + rnd.uniform(24);
  const k = rnd.bytes(n);
  // Plenty of 0x00 and 0xff bytes, and shared prefixes.
  for (let i = 0; i < n; i++) if (rnd.oneIn(4)) k[i] = rnd.oneIn(2) ? 0x00 : 0xff;
  if (rnd.oneIn(3)) k[0] = 0x42;
  return k;
}

function randomValue(rnd: Random): Uint8Array {
  const r = rnd.uniform(100);
  const n = r < 2 ? 50_000 + rnd.uniform(50_001) : r < 10 ? rnd.uniform(5000) : rnd.uniform(120);
  const v = new Uint8Array(n);
  // Half-compressible: random bytes, each repeated.
  for (let i = 0; i < n; i += 2) v[i] = v[i + 1] = rnd.next32() & 0xff;
  return v.subarray(0, n);
}

function dump(entries: Iterable<[Uint8Array, Uint8Array]>): string[] {
  return [...entries].map(([k, v]) => `${toHex(k)}=${v.length}:${toHex(v.subarray(0, 16))}:${hashOf(v)}`);
}

function hashOf(v: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < v.length; i++) h = (Math.imul(h, 31) + v[i]!) | 0;
  return h;
}

async function levelEntries(dir: string): Promise<[Uint8Array, Uint8Array][]> {
  const db: Level = new ClassicLevel(dir, VIEW);
  await db.open();
  try {
    return (await db.iterator().all()) as [Uint8Array, Uint8Array][];
  } finally {
    await db.close();
  }
}

test('a database written by LevelDB opens in shale with every entry intact', async () => {
  const dir = makeTmpDir();
  try {
    const rnd = new Random(2024);
    const model = new Model();
    const keys: Uint8Array[] = [];
    const db: Level = new ClassicLevel(join(dir, 'db'), { ...VIEW, writeBufferSize: 64 * 1024 });
    await db.open();
    for (let i = 0; i < 3000; i++) {
      const r = rnd.uniform(10);
      if (r < 7 || keys.length === 0) {
        const k = r < 2 && keys.length > 0 ? keys[rnd.uniform(keys.length)]! : randomKey(rnd);
        const v = randomValue(rnd);
        await db.put(k, v);
        model.put(k, v);
        keys.push(k);
      } else if (r < 9) {
        const k = keys[rnd.uniform(keys.length)]!;
        await db.del(k);
        model.delete(k);
      } else {
        const ops = [];
        for (let j = 0; j < 5; j++) {
          const k = keys[rnd.uniform(keys.length)]!;
          if (rnd.oneIn(3)) {
            ops.push({ type: 'del' as const, key: k });
            model.delete(k);
          } else {
            const v = randomValue(rnd);
            ops.push({ type: 'put' as const, key: k, value: v });
            model.put(k, v);
          }
        }
        await db.batch(ops);
      }
      if (i === 2000) await db.compactRange(new Uint8Array([0]), new Uint8Array(40).fill(0xff));
    }
    // These stay in LevelDB's write-ahead log only.
    for (let i = 0; i < 50; i++) {
      const k = randomKey(rnd);
      const v = randomValue(rnd);
      await db.put(k, v);
      model.put(k, v);
    }
    await db.close();

    const shale = await DB.open(join(dir, 'db'), { createIfMissing: false });
    try {
      assert.deepEqual(dump(shale.iterator()), dump(model.range()));
      assert.deepEqual(dump(shale.iterator({ reverse: true })), dump(model.range().reverse()));
      for (const k of keys.slice(0, 500)) {
        const want = model.get(k);
        const got = shale.get(k);
        assert.equal(got && toHex(got), want && toHex(want));
      }
    } finally {
      await shale.close();
    }
    // And LevelDB still reads it after shale recovered it (shale rewrote the MANIFEST and flushed the log).
    assert.deepEqual(dump(await levelEntries(join(dir, 'db'))), dump(model.range()));
  } finally {
    removeTmpDir(dir);
  }
});

test('a database written by shale opens in LevelDB with every entry intact', async () => {
  const dir = makeTmpDir();
  try {
    const rnd = new Random(77);
    const model = new Model();
    const keys: Uint8Array[] = [];
    const path = join(dir, 'db');
    const db = await DB.open(path, { writeBufferSize: 64 * 1024 });
    for (let i = 0; i < 3000; i++) {
      if (rnd.uniform(10) < 8 || keys.length === 0) {
        const k = rnd.oneIn(5) && keys.length > 0 ? keys[rnd.uniform(keys.length)]! : randomKey(rnd);
        const v = randomValue(rnd);
        db.put(k, v);
        model.put(k, v);
        keys.push(k);
      } else {
        const k = keys[rnd.uniform(keys.length)]!;
        db.delete(k);
        model.delete(k);
      }
    }
    assert.ok(Number(db.getProperty('leveldb.num-files-at-level0')) > 0, 'some tables were written');
    await db.close(); // the last writes stay in shale's WAL only
    // The live log starts with a chain marker (an empty batch), which LevelDB must replay as a no-op.
    const lastLog = readdirSync(path)
      .filter((n) => n.endsWith('.log'))
      .sort()
      .at(-1)!;
    assert.equal(readLogStart(new NodeFileSystem(), join(path, lastLog)).kind, 'marker');

    assert.deepEqual(dump(await levelEntries(path)), dump(model.range()));

    // LevelDB writes on top (and compacts), then shale reads the result.
    const level: Level = new ClassicLevel(path, VIEW);
    await level.open();
    const extra = randomKey(rnd);
    await level.put(extra, new Uint8Array([1, 2, 3]));
    model.put(extra, new Uint8Array([1, 2, 3]));
    await level.compactRange(new Uint8Array([0]), new Uint8Array(40).fill(0xff));
    await level.close();
    const again = await DB.open(path);
    try {
      assert.deepEqual(dump(again.iterator()), dump(model.range()));
    } finally {
      await again.close();
    }
  } finally {
    removeTmpDir(dir);
  }
});

test('a database written through transactions opens in LevelDB with exactly the committed data', async () => {
  const dir = makeTmpDir();
  try {
    const rnd = new Random(1207);
    const model = new Model();
    const db = await DB.open(dir, { writeBufferSize: 64 * 1024 });
    for (let i = 0; i < 400; i++) {
      const tx = db.transaction({ isolation: rnd.oneIn(2) ? 'serializable' : 'snapshot' });
      const staged: [Uint8Array, Uint8Array | null][] = [];
      for (let j = 0, n = 1 + rnd.uniform(8); j < n; j++) {
        const k = j > 0 && rnd.oneIn(4) ? staged[rnd.uniform(staged.length)]![0] : randomKey(rnd);
        const v = rnd.oneIn(5) ? null : randomValue(rnd);
        if (v === null) tx.delete(k);
        else tx.put(k, v);
        staged.push([k, v]);
      }
      if (rnd.oneIn(6)) {
        tx.abort(); // aborted transactions leave nothing behind
        continue;
      }
      await tx.commit({ sync: rnd.oneIn(10) });
      for (const [k, v] of staged)
        if (v === null) model.delete(k);
        else model.put(k, v);
    }
    await db.close();
    assert.deepEqual(dump(await levelEntries(dir)), dump(model.range()));
  } finally {
    removeTmpDir(dir);
  }
});

test('a shale log with a zero-filled tail (no clean close) opens in LevelDB with every entry', async () => {
  const dir = makeTmpDir();
  try {
    const rnd = new Random(78);
    const model = new Model();
    const path = join(dir, 'db');
    const copy = join(dir, 'copy');
    const db = await DB.open(path, { writeBufferSize: 256 * 1024 });
    try {
      for (let i = 0; i < 500; i++) {
        const k = randomKey(rnd);
        const v = randomValue(rnd);
        db.put(k, v, { sync: i % 50 === 0 });
        model.put(k, v);
      }
      // What a crash (the process killed) would leave: the live log still preallocated.
      cpSync(path, copy, { recursive: true });
    } finally {
      await db.close();
    }
    const logs = readdirSync(copy).filter((n) => n.endsWith('.log'));
    assert.ok(
      logs.some((n) => statSync(join(copy, n)).size % (1 << 20) === 0),
      'a log of the copy ends in zero-filled space',
    );
    assert.deepEqual(dump(await levelEntries(copy)), dump(model.range()));
  } finally {
    removeTmpDir(dir);
  }
});
