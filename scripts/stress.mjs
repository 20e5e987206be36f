#!/usr/bin/env node
/**
 * npm run stress: the long forms of the reliability battery (power cuts, I/O errors, corruption,
 * process kills, the model tests), each a test file run with bigger knobs; collects the figures each
 * prints (`# figures {...}`) into figures.json and a summary table. Exits non-zero on any failure.
 * Knobs: STRESS_SCALE (default 10) multiplies the short forms' sizes.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const scale = Number(process.env.STRESS_SCALE ?? 10);
const seed = process.env.SHALE_SEED ?? String(Date.now() % 1_000_000);
const env = {
  ...process.env,
  SHALE_SEED: seed,
  SHALE_INVARIANTS: '1',
  CRASH_POINTS: String(40 * scale),
  IO_ERROR_STEPS: String(6 * scale),
  CORRUPTION_CASES: String(160 * scale),
  KILL_ROUNDS: String(4 * scale),
  MODEL_RUNS: String(60 * scale),
  DIFF_RUNS: String(40 * scale),
  TXN_KILL_ROUNDS: String(3 * scale),
  TXN_CRASH_POINTS: String(12 * scale),
  TXN_MODEL_RUNS: String(300 * scale),
};
const build = spawnSync('npm', ['run', 'build:test', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
const files = [
  'build/test/reliability/power-cut.test.js',
  'build/test/reliability/io-errors.test.js',
  'build/test/reliability/corruption.test.js',
  'build/test/reliability/process-kill.test.js',
  'build/test/reliability/readers-during-compaction.test.js',
  'build/test/reliability/leveldb-differential.test.js',
  'build/test/reliability/call-order.test.js',
  'build/test/reliability/regressions.test.js',
  'build/test/db/model.test.js',
  'build/test/txn/bank.test.js',
  'build/test/txn/model.test.js',
];
const figures = { seed, scale, runs: {} };
let failed = 0;
for (const f of files) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', f], {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = r.stdout ?? '';
  const found = [...out.matchAll(/# figures (\{.*\})/g)].map((m) => JSON.parse(m[1]));
  const pass = Number(/# pass (\d+)/.exec(out)?.[1] ?? 0);
  const fail = Number(/# fail (\d+)/.exec(out)?.[1] ?? 1);
  if (fail > 0 || r.status !== 0) {
    failed++;
    process.stdout.write(
      out
        .split('\n')
        .filter((l) => /not ok|error|rerun/.test(l))
        .join('\n') + '\n',
    );
  }
  figures.runs[f.replace(/^build\/test\//, '')] = {
    pass,
    fail,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: found,
  };
}
writeFileSync('figures.json', JSON.stringify(figures, null, 2) + '\n');
console.log(`\nreliability stress (seed ${seed}, scale ${scale})\n`);
console.log('| run | tests passed | failed | seconds | figures |');
console.log('|---|---|---|---|---|');
for (const [name, r] of Object.entries(figures.runs)) {
  console.log(
    `| ${name} | ${r.pass} | ${r.fail} | ${r.seconds} | ${r.figures.map((x) => JSON.stringify(x)).join(' ')} |`,
  );
}
process.exit(failed === 0 ? 0 : 1);
