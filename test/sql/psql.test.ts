/**
 * psql against shale: each test/sql/psql/*.sql runs through `psql -X -v ON_ERROR_STOP=0 -f` on a fresh
 * serve(), and its output must equal the .expected file that PostgreSQL 15 produced (npm run
 * slt:generate). Scripts named in test/sql/psql/PENDING run as todo. Skipped when psql 15 is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PSQL_MISSING, psqlPath, runPsql } from '../support/psql.js';
import { loadServe, readPending, startFreshShale } from '../support/shale-server.js';

const PSQL_DIR = fileURLToPath(new URL('../../../test/sql/psql/', import.meta.url));
const scripts = readdirSync(PSQL_DIR)
  .filter((n) => n.endsWith('.sql'))
  .sort();
const pending = readPending(join(PSQL_DIR, 'PENDING'));
const serve = await loadServe();
const skip = psqlPath() === undefined ? PSQL_MISSING : false;

/** firstDifference shows both outputs around their first differing line, numbered. */
function firstDifference(expected: string, actual: string): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  const from = Math.max(0, i - 3);
  const show = (lines: string[]): string =>
    lines
      .slice(from, i + 8)
      .map((l, k) => `${String(from + k + 1).padStart(4)}| ${l}`)
      .join('\n');
  return `output differs from line ${i + 1}\n--- expected (PostgreSQL 15)\n${show(e)}\n+++ actual\n${show(a)}`;
}

test('every psql script has its expected output, and PENDING names real scripts', () => {
  for (const name of scripts) {
    const expected = join(PSQL_DIR, name.replace(/\.sql$/, '.expected'));
    assert.doesNotThrow(
      () => readFileSync(expected),
      `${name}: no .expected file (run npm run slt:generate)`,
    );
  }
  for (const p of pending) assert.ok(scripts.includes(p), `PENDING names ${p}, which is not a .sql script`);
});

for (const name of scripts) {
  const todo =
    typeof serve === 'string' ? serve : pending.has(name) ? `${name} is listed in PENDING` : undefined;
  test(`psql ${name}`, { skip, todo }, async (t) => {
    if (typeof serve === 'string') return;
    const expected = readFileSync(join(PSQL_DIR, name.replace(/\.sql$/, '.expected')), 'utf8');
    const shale = await startFreshShale(serve);
    let out: string;
    try {
      out = await runPsql(join(PSQL_DIR, name), shale);
    } finally {
      await shale.stop();
    }
    if (todo !== undefined && out === expected)
      t.diagnostic(`${name} passes completely: remove it from PENDING`);
    assert.ok(out === expected, firstDifference(expected, out));
  });
}
