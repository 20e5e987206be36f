/**
 * Checkpoints: taken while writes go on, a checkpoint holds every write acknowledged before the call and
 * exactly a prefix of the writes; it opens in shale and in LevelDB (classic-level); tables are shared
 * by hard links on the real disk; bad destinations are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const key = (i: number): string => `key${String(i).padStart(7, '0')}`;

test('a checkpoint under concurrent writes holds a prefix including every write acknowledged before it', async () => {
  const root = makeTmpDir('shale-checkpoint-');
  try {
    const db = await DB.open(join(root, 'db'), { writeBufferSize: 64 * 1024 });
    let acked = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        await db.putAsync(key(i), `v${i}`.padEnd(100, '.'));
        acked = i + 1;
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const dests: [string, number][] = [];
    for (let c = 0; c < 3; c++) {
      await new Promise((r) => setTimeout(r, 60));
      const before = acked;
      const dest = join(root, `cp${c}`);
      const report = await db.checkpoint(dest);
      assert.ok(report.tables > 0 && report.linked === report.tables, JSON.stringify(report));
      dests.push([dest, before]);
    }
    stop = true;
    await writer;
    await db.close();
    for (const [dest, before] of dests) {
      const cp = await DB.open(dest);
      let n = 0;
      for (const [k] of cp.iterator()) {
        assert.equal(new TextDecoder().decode(k), key(n), `${dest}: not a prefix at ${n}`);
        n++;
      }
      assert.ok(n >= before, `${dest}: ${n} keys, but ${before} were acknowledged before the checkpoint`);
      await cp.close();
      const level = new ClassicLevel<string, string>(dest);
      await level.open();
      assert.equal(await level.get(key(0)), 'v0'.padEnd(100, '.'));
      if (n > 0) assert.equal(await level.get(key(n - 1)), `v${n - 1}`.padEnd(100, '.'));
      await level.close();
    }
    // A linked table is the same file as the source's (the source may have deleted it since).
    assert.ok(statSync(join(dests[0]![0], 'CURRENT')).isFile());
  } finally {
    removeTmpDir(root);
  }
});

test('checkpoint refuses an existing destination and bad input, changing nothing; copies where links are impossible', async () => {
  const fs = new MemFileSystem();
  const db = await DB.open('/db', { fs });
  db.put('a', '1');
  fs.mkdir('/exists');
  await assert.rejects(db.checkpoint('/exists'), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(db.checkpoint(''), { code: ErrorCode.INVALID_ARGUMENT });
  await assert.rejects(db.checkpoint(42 as unknown as string), { code: ErrorCode.INVALID_ARGUMENT });
  const r = await db.checkpoint('/cp');
  assert.equal(r.linked, 0);
  assert.ok(r.copiedBytes > 0);
  db.put('b', 'after');
  await db.close();
  const cp = await DB.open('/cp', { fs });
  assert.equal(new TextDecoder().decode(cp.get('a')), '1');
  assert.equal(cp.get('b'), undefined);
  await cp.close();
});
