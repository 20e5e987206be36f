// Interop with LevelDB 1.20 (bundled by classic-level): shale reads the log LevelDB wrote, and LevelDB
// recovers records shale's LogWriter appended to that log at an odd offset (log reuse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogReader } from '../../src/wal/log-reader.js';
import { LogWriter } from '../../src/wal/log-writer.js';
import { BLOCK_SIZE } from '../../src/wal/log-format.js';
import { Decoder, Encoder } from '../../src/util/coding.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import { openNodeRandomAccess, openNodeWritable } from '../support/node-file.js';

type ClassicLevelCtor = new (
  dir: string,
  opts?: { keyEncoding?: string; valueEncoding?: string },
) => {
  open(): Promise<void>;
  close(): Promise<void>;
  put(k: string, v: string): Promise<void>;
  get(k: string): Promise<string | undefined>;
};

async function loadClassicLevel(): Promise<ClassicLevelCtor | undefined> {
  try {
    return ((await import('classic-level')) as unknown as { ClassicLevel: ClassicLevelCtor }).ClassicLevel;
  } catch {
    return undefined;
  }
}

/** putBatch encodes a WriteBatch (leveldb-format.md §4) of puts. */
function putBatch(sequence: number, entries: Array<[string, string]>): Uint8Array {
  const e = new Encoder().fixed64(sequence).fixed32(entries.length);
  for (const [k, v] of entries) e.byte(1).lengthPrefixed(utf8(k)).lengthPrefixed(utf8(v));
  return e.toBytes();
}

/** batchKeys decodes the keys of a WriteBatch. */
function batchKeys(batch: Uint8Array): string[] {
  const d = new Decoder(batch, 12);
  const keys: string[] = [];
  while (d.remaining > 0) {
    const tag = d.byte();
    keys.push(fromUtf8(d.lengthPrefixed()));
    if (tag === 1) d.lengthPrefixed();
  }
  return keys;
}

test('LevelDB and shale read each other’s log records', async (t) => {
  const ClassicLevel = await loadClassicLevel();
  if (!ClassicLevel) {
    t.skip('classic-level is not loadable here');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shale-wal-interop-'));
  try {
    const big = 'v'.repeat(100_000); // spans several blocks
    let db = new ClassicLevel(dir);
    await db.open();
    await db.put('k1', 'v1');
    await db.put('big', big);
    await db.put('k2', 'v2');
    await db.close();

    const logs = readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .sort();
    const logPath = join(dir, logs[logs.length - 1]!);

    const ra = openNodeRandomAccess(logPath);
    const reader = new LogReader(ra);
    const keys: string[] = [];
    while (reader.next()) keys.push(...batchKeys(reader.record));
    ra.close();
    assert.deepEqual(reader.problems, []);
    assert.deepEqual(keys, ['k1', 'big', 'k2']);

    const wf = openNodeWritable(logPath, 'a');
    assert.notEqual(wf.size % BLOCK_SIZE, 0);
    const w = new LogWriter(wf);
    const big2 = 'w'.repeat(70_000);
    w.addRecord(
      putBatch(1000, [
        ['shale-a', 'A'],
        ['shale-big', big2],
      ]),
    );
    w.addRecord(putBatch(1002, [['shale-b', 'B']]));
    w.sync();
    w.close();

    db = new ClassicLevel(dir);
    await db.open();
    assert.equal(await db.get('k1'), 'v1');
    assert.equal(await db.get('big'), big);
    assert.equal(await db.get('shale-a'), 'A');
    assert.equal(await db.get('shale-big'), big2);
    assert.equal(await db.get('shale-b'), 'B');
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
