// Runs every compiled test file that still has a TypeScript source under test/ (stale outputs in build/
// from deleted tests are ignored) on node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let sources = walk('test').sort();
if (filter.length > 0) sources = sources.filter((s) => filter.some((f) => s.includes(f)));
const files = sources.map((s) => join('build', relative('.', s)).replace(/\.ts$/, '.js'));
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env: { ...process.env, SHALE_INVARIANTS: process.env.SHALE_INVARIANTS ?? '1' } },
);
process.exit(result.status ?? 1);
