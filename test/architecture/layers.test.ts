/**
 * Layers only look down (design.md): a module may import from its own layer or the layers listed before
 * it. This test reads every import in src/ and fails on one that goes the wrong way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to build/test/architecture/: the sources are three levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'src');

/** The layers in order; each may import only itself and earlier ones. Front ends sit above db. */
const ORDER = [
  'util',
  'env',
  'wal',
  'memtable',
  'sstable',
  // The value log sits below version/: flushes and compactions (compaction/) write segments, the read
  // path (db/) follows pointers, and the log itself needs only bytes, files and internal keys.
  'vlog',
  'version',
  'compaction',
  'db',
  'txn',
  'level',
  'store',
  'sql',
  'pg',
  'cli',
];
/** Front ends must not reach past db/ (and txn/) into the engine's internals (vlog/ included). */
const FRONT_ENDS = new Set(['level', 'store', 'sql', 'pg', 'cli']);
const FRONT_END_ALLOWED = new Set(['util', 'env', 'db', 'txn', 'level', 'store', 'sql', 'pg', 'cli']);

/**
 * db/ and txn/ are one layer: the DB front door opens transactions, and transactions read and commit
 * through the DB's snapshot, iterators and commit pipeline.
 */
function rank(layer: string): number {
  return ORDER.indexOf(layer === 'txn' ? 'db' : layer);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split(/[\\/]/);
  return rel.length === 1 ? 'root' : rel[0]!;
}

test('imports only go down the layer list', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = layerOf(file);
    if (from === 'root') continue; // src/index.ts re-exports the public API
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1]!);
      const to = layerOf(target);
      const fromIdx = rank(from);
      const toIdx = rank(to);
      assert.notEqual(fromIdx, -1, `${relative(ROOT, file)} is in an unknown layer '${from}'`);
      if (toIdx === -1 || toIdx > fromIdx)
        violations.push(`${relative(ROOT, file)} imports ${m[1]} (${from} -> ${to})`);
      else if (FRONT_ENDS.has(from) && !FRONT_END_ALLOWED.has(to)) {
        violations.push(`${relative(ROOT, file)} reaches past db/ into ${to}/ (${m[1]})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
