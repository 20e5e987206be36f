/**
 * The abstract-level compliance suite (it ships in the abstract-level package) run against ShaleLevel,
 * in-process through a tape harness whose results are collected as objects: zero failures, and at least
 * as many assertions as the suite runs for classic-level 3.0 with its manifest (5168).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ShaleLevel } from '../../src/level/index.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const require = createRequire(import.meta.url);
const CLASSIC_LEVEL_ASSERTIONS = 5168;

interface TapeRow {
  type: string;
  ok?: boolean;
  name?: string;
  id?: number;
  actual?: unknown;
  expected?: unknown;
  test?: number;
}

test('ShaleLevel passes the abstract-level compliance suite', { timeout: 300_000 }, async (t) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tape ships no types
  const tape = require('tape') as { createHarness(): any };
  const suite = require('abstract-level/test') as (o: {
    test: unknown;
    factory: (o?: object) => ShaleLevel;
  }) => void;
  const root = makeTmpDir('shale-level-suite-');
  let n = 0;
  const harness = tape.createHarness();
  const rows: TapeRow[] = [];
  const names = new Map<number, string>();
  const done = new Promise<void>((resolve) => {
    const stream = harness.createStream({ objectMode: true });
    stream.on('data', (row: TapeRow) => {
      if (row.type === 'test' && row.id !== undefined) names.set(row.id, row.name ?? '');
      if (row.type === 'assert') rows.push(row);
    });
    stream.on('end', () => resolve());
  });
  try {
    suite({ test: harness, factory: (options?: object) => new ShaleLevel(`${root}/db${n++}`, options) });
    await done;
  } finally {
    removeTmpDir(root);
  }
  const failures = rows.filter((r) => !r.ok);
  t.diagnostic(`${rows.length} assertions, ${failures.length} failed`);
  const report = failures
    .slice(0, 20)
    .map(
      (f) =>
        `${names.get(f.test ?? -1)} :: ${f.name} (actual ${JSON.stringify(f.actual)}, expected ${JSON.stringify(f.expected)})`,
    )
    .join('\n');
  assert.equal(failures.length, 0, `${failures.length} failed assertions of ${rows.length}:\n${report}`);
  assert.ok(rows.length >= CLASSIC_LEVEL_ASSERTIONS, `only ${rows.length} assertions ran`);
});
