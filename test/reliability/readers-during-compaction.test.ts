/**
 * R11: readers during flushes and compactions on the background worker. Every batch rewrites all keys
 * to one version; iterators, snapshots and gets taken at any moment must see exactly one version
 * throughout, even while the files they read are compacted away under them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB, WriteBatch } from '../../src/index.js';
import type { Iterator, Snapshot } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { tmpDirFor } from '../support/tmp-dir.js';

const KEYS = 200;
const key = (i: number): string => `key${String(i).padStart(4, '0')}`;
const versionOf = (v: Uint8Array): string => fromUtf8(v).split(':')[0]!;

test(
  'iterators, snapshots and gets see one version while the worker flushes and compacts',
  { timeout: 120_000 },
  async (t) => {
    const db = await DB.open(tmpDirFor(t), {
      writeBufferSize: 16 * 1024,
      maxFileSize: 8 * 1024,
      level1MaxBytes: 32 * 1024,
      l0CompactionTrigger: 2,
    });
    assert.equal(db.backgroundJobs, 'worker');
    const open: { it: Iterator; snap: Snapshot; version: number }[] = [];
    let checks = 0;
    for (let v = 0; v < 150; v++) {
      const b = new WriteBatch();
      for (let i = 0; i < KEYS; i++) b.put(key(i), `${v}:${'x'.repeat(40)}`);
      db.write(b);
      if (v % 10 === 0) {
        const it = db.iterator();
        it.seekToFirst();
        open.push({ it, snap: db.snapshot(), version: v });
      }
      // Let finished jobs be applied (files get replaced under the open iterators).
      if (v % 7 === 0) await new Promise((r) => setTimeout(r, 2));
      for (const o of open) {
        // Advance each open iterator a few steps; what it shows stays at its version.
        for (let s = 0; s < 5 && o.it.valid(); s++, o.it.next()) {
          assert.equal(
            versionOf(o.it.value()),
            String(o.version),
            `at batch ${v}: an iterator opened at version ${o.version} shows ${fromUtf8(o.it.key())} from another`,
          );
          checks++;
        }
        const probe = key((v * 37) % KEYS);
        assert.equal(
          versionOf(db.get(probe, { snapshot: o.snap })!),
          String(o.version),
          `at batch ${v}: get ${probe} at the snapshot of version ${o.version}`,
        );
      }
      const current = new Set<string>();
      for (const [, value] of db.iterator({ gte: key(0), lt: key(50) })) current.add(versionOf(value));
      assert.deepEqual(
        [...current],
        [String(v)],
        `at batch ${v}: a fresh scan sees versions ${[...current]}`,
      );
    }
    for (const o of open) {
      while (o.it.valid()) {
        assert.equal(
          versionOf(o.it.value()),
          String(o.version),
          `after the writes: the iterator opened at version ${o.version} shows ${fromUtf8(o.it.key())} from another`,
        );
        o.it.next();
        checks++;
      }
      o.it.close();
      o.snap.release();
    }
    await db.compactRange();
    t.diagnostic(`figures ${JSON.stringify({ readerChecks: checks, openIterators: open.length })}`);
    assert.ok(
      Number(db.getProperty('leveldb.num-files-at-level1')) +
        Number(db.getProperty('leveldb.num-files-at-level2')) >
        0,
    );
    await db.close();
  },
);
