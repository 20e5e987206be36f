#!/usr/bin/env node
/**
 * npm run stress: the long forms of the reliability battery (power cuts, I/O errors, corruption,
 * process kills, the model tests), each a test file run with bigger knobs; collects the figures each
 * prints (`# figures {...}`) into figures.json and a summary table. Exits non-zero on any failure.
 *
 *   npm run stress                 one round, SHALE_SEED (default: fresh), STRESS_SCALE (default 10)
 *   npm run stress -- --nightly    rounds at STRESS_SCALE (default 5), each with a fresh seed, until
 *                                  every nightly goal is met (about 10 rounds); a file whose goal is met
 *                                  leaves the rounds; no round starts after STRESS_MINUTES (default 120)
 *
 * STRESS_SCALE multiplies the short forms' sizes; STRESS_JOBS (default 2) test files run at once (each
 * is one CPU-heavy process). A failing file prints its seed and a one-line rerun command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const nightly = process.argv.includes('--nightly');
const scale = Number(process.env.STRESS_SCALE ?? (nightly ? 5 : 10));
const jobs = Number(process.env.STRESS_JOBS ?? 2);
const minutes = Number(process.env.STRESS_MINUTES ?? 120);

/** GOALS: the nightly volume (shared/reliability.md), each the sum of one figure over a file's rounds. */
const GOALS = {
  processKills: { file: 'reliability/process-kill', key: 'kills', goal: 2000 },
  crashImages: { file: 'reliability/power-cut', key: 'crashImagesOpened', goal: 20000 },
  corruptionMutations: { file: 'reliability/corruption', key: 'cases', goal: 10000 },
  modelCheckedOps: { file: 'db/model', key: 'modelOps', goal: 2000000 },
};

/** FAILURE_KEYS: figures that must stay 0 (a nonzero one also fails its test). */
const FAILURE_KEYS = {
  lost: ['lost', 'ackedLost', 'postRecoveryMismatch'],
  torn: ['torn'],
  prefixViolations: ['prefixViolations'],
  silentWrongReads: ['wrongReads', 'divergences', 'wrongVersions'],
  unopenable: ['openFailures', 'unopenable'],
  unreported: ['unreported', 'ackAfterFailedSync', 'untyped', 'childDiedBeforeKill'],
};

/** FILES: each test file and the knobs that scale it, longest first (a long file should not start last). */
const FILES = [
  ['reliability/process-kill', { KILL_ROUNDS: 40 * scale, KILL_LANES: 1 }],
  ['db/model', { MODEL_RUNS: 40 * scale, MODEL_LENGTH: 400 }],
  ['reliability/power-cut', { CRASH_POINTS: 40 * scale }],
  ['reliability/corruption', { CORRUPTION_CASES: 200 * scale }],
  ['reliability/io-errors', { IO_ERROR_STEPS: 3 * scale }],
  ['reliability/leveldb-differential', { DIFF_RUNS: 20 * scale }],
  ['reliability/readers-during-compaction', {}],
  ['reliability/call-order', {}],
  ['reliability/regressions', {}],
  ['txn/bank', { TXN_KILL_ROUNDS: 3 * scale, TXN_CRASH_POINTS: 12 * scale }],
  ['txn/model', { TXN_MODEL_RUNS: 300 * scale }],
];

const build = spawnSync('npm', ['run', 'build:test', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const started = Date.now();
const figures = {
  mode: nightly ? 'nightly' : 'single',
  scale,
  jobs,
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart: loadavg() },
  started: new Date(started).toISOString(),
  rounds: [],
  totals: {},
  failures: [],
};

function rerunOf(file, seed, knobs) {
  const env = Object.entries({ SHALE_SEED: seed, ...knobs })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `npm run build:test && ${env} node --test build/test/${file}.test.js`;
}

/** runFile runs one test file with `seed` and resolves with its result. */
function runFile(file, seed, knobs) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const env = { ...process.env, SHALE_SEED: String(seed), SHALE_INVARIANTS: '1' };
    for (const [k, v] of Object.entries(knobs)) env[k] = String(v);
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap', `build/test/${file}.test.js`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const found = [...out.matchAll(/# figures (\{.*\})/g)].map((m) => JSON.parse(m[1]));
      const pass = Number(/# pass (\d+)/.exec(out)?.[1] ?? 0);
      const fail = Number(/# fail (\d+)/.exec(out)?.[1] ?? 1);
      const failed = fail > 0 || code !== 0;
      resolve({
        file,
        seed,
        pass,
        fail: failed ? Math.max(1, fail) : 0,
        seconds: Math.round((Date.now() - t0) / 1000),
        figures: found,
        error: failed
          ? out
              .split('\n')
              .filter((l) => /not ok|error|Error|rerun|seed|Counterexample/.test(l))
              .slice(0, 40)
              .join('\n')
          : undefined,
      });
    });
  });
}

/** sum adds `key` over a result's figures (nested objects are searched one level deep). */
function sum(results, key) {
  let n = 0;
  for (const r of results) for (const f of r.figures) if (typeof f[key] === 'number') n += f[key];
  return n;
}

const results = [];
const goalTotal = (g) =>
  sum(
    results.filter((r) => r.file === g.file),
    g.key,
  );
const fileDone = (file) => Object.values(GOALS).every((g) => g.file !== file || goalTotal(g) >= g.goal);
const allGoalsMet = () => Object.values(GOALS).every((g) => goalTotal(g) >= g.goal);

async function main() {
  let round = 0;
  for (;;) {
    const seed = process.env.SHALE_SEED && round === 0 ? Number(process.env.SHALE_SEED) : randomInt(1, 1e9);
    // Later rounds keep the files whose goal is not met yet (files without a goal ride along).
    const todo = FILES.filter(
      ([f]) => round === 0 || !fileDone(f) || !Object.values(GOALS).some((g) => g.file === f),
    );
    const entry = { round, seed, started: new Date().toISOString(), files: {} };
    figures.rounds.push(entry);
    const queue = [...todo];
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const [file, knobs] = next;
          const r = await runFile(file, seed, knobs);
          results.push(r);
          entry.files[file] = { pass: r.pass, fail: r.fail, seconds: r.seconds, figures: r.figures };
          const mark = r.fail > 0 ? 'FAIL' : 'ok';
          console.log(`[round ${round} seed ${seed}] ${mark} ${file} (${r.seconds} s)`);
          if (r.fail > 0) {
            const rerun = rerunOf(file, seed, knobs);
            figures.failures.push({ round, seed, file, rerun, error: r.error });
            console.log(`${r.error}\n  seed ${seed}; rerun alone: ${rerun}`);
          }
        }
      }),
    );
    round++;
    const elapsedMin = (Date.now() - started) / 60000;
    if (!nightly || allGoalsMet()) break;
    if (elapsedMin >= minutes) {
      console.log(`stopping: ${elapsedMin.toFixed(0)} min elapsed (STRESS_MINUTES=${minutes})`);
      break;
    }
    writeFigures();
  }
  writeFigures();
  report();
  process.exit(figures.failures.length === 0 ? 0 : 1);
}

function writeFigures() {
  figures.finished = new Date().toISOString();
  figures.minutes = Math.round((Date.now() - started) / 6000) / 10;
  figures.totals = {
    rounds: figures.rounds.length,
    seeds: figures.rounds.map((r) => r.seed),
    testFilesRun: results.length,
    testFilesFailed: results.filter((r) => r.fail > 0).length,
    volume: Object.fromEntries(
      Object.entries(GOALS).map(([name, g]) => [name, { total: goalTotal(g), goal: g.goal }]),
    ),
    mustBeZero: Object.fromEntries(
      Object.entries(FAILURE_KEYS).map(([name, keys]) => [
        name,
        keys.reduce((n, k) => n + sum(results, k), 0),
      ]),
    ),
  };
  writeFileSync('figures.json', JSON.stringify(figures, null, 2) + '\n');
}

function report() {
  const t = figures.totals;
  console.log(
    `\nreliability stress (${figures.mode}, scale ${scale}, ${t.rounds} round(s), ${figures.minutes} min, ` +
      `seeds ${t.seeds.join(', ')})\n`,
  );
  console.log('| file | rounds | tests passed | failed | seconds |');
  console.log('|---|---|---|---|---|');
  for (const [file] of FILES) {
    const rs = results.filter((r) => r.file === file);
    if (rs.length === 0) continue;
    const s = (k) => rs.reduce((n, r) => n + r[k], 0);
    console.log(`| ${file} | ${rs.length} | ${s('pass')} | ${s('fail')} | ${s('seconds')} |`);
  }
  console.log('\n| figure | total | nightly goal | met |');
  console.log('|---|---|---|---|');
  for (const [name, v] of Object.entries(t.volume))
    console.log(
      `| ${name} | ${v.total.toLocaleString('en')} | ${v.goal.toLocaleString('en')} | ${v.total >= v.goal ? 'yes' : 'no'} |`,
    );
  for (const [name, n] of Object.entries(t.mustBeZero))
    console.log(`| ${name} | ${n} | 0 | ${n === 0 ? 'yes' : 'no'} |`);
  console.log(`| failed test files | ${t.testFilesFailed} | 0 | ${t.testFilesFailed === 0 ? 'yes' : 'no'} |`);
  for (const f of figures.failures) console.log(`\nFAILED ${f.file} seed ${f.seed}: ${f.rerun}`);
}

await main();
