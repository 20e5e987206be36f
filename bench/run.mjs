#!/usr/bin/env node
/**
 * npm run bench: LevelDB's db_bench workloads against shale (native API and shale/level) and the peers
 * Node developers pick (classic-level, @nxtedition/rocksdb, lmdb, better-sqlite3). Each engine runs in
 * its own process; engines alternate; best of `--rounds` (default 2). Writes docs/benchmarks.md with
 * the table, ratios measured in the same run, a chart (docs/benchmarks.svg), and the machine.
 * Flags: --num=1000000 --value-size=100 --benchmarks=a,b --engines=a,b --rounds=2 --out=docs/benchmarks.md
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const NUM = Number(args.num ?? 1_000_000);
const VALUE_SIZE = Number(args['value-size'] ?? 100);
const ROUNDS = Number(args.rounds ?? 2);
const WORKLOADS = (
  args.benchmarks ??
  'fillseq,fillseq-batch,fillsync,fillrandom-concurrent,fillrandom,overwrite,readrandom,readmissing,readhot,readseq,readreverse,seekrandom,deleterandom,fill100K'
).split(',');
const PEERS = ['classic-level', 'rocksdb', 'lmdb', 'better-sqlite3'];
const ENGINES = (args.engines ?? ['shale', 'shale-level', ...PEERS].join(',')).split(',');
const OUT = args.out ?? join(here, '..', 'docs', 'benchmarks.md');
const LOWER_IS_BETTER = new Set([
  'disk MB after fillrandom',
  'peak RSS MB',
  'write amplification',
  'total write amplification',
]);

const best = {};
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ENGINES : [...ENGINES].reverse();
  for (const engine of order) {
    process.stderr.write(`round ${round + 1}: ${engine} ...`);
    const r = spawnSync(
      process.execPath,
      [join(here, 'child.mjs'), engine, WORKLOADS.join(','), String(NUM), String(VALUE_SIZE)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (r.status !== 0) {
      process.stderr.write(` failed (exit ${r.status})\n`);
      continue;
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    best[engine] ??= {};
    for (const [k, v] of Object.entries(res)) {
      const prev = best[engine][k];
      best[engine][k] =
        prev === undefined ? v : LOWER_IS_BETTER.has(k) ? Math.min(prev, v) : Math.max(prev, v);
    }
    process.stderr.write(' done\n');
  }
}

const rows = [...new Set(Object.values(best).flatMap((r) => Object.keys(r)))];
const fmt = (v) => (v === undefined ? '–' : typeof v === 'number' ? v.toLocaleString('en') : String(v));
const ratio = (a, b, lower) =>
  a === undefined || b === undefined || b === 0 ? undefined : lower ? b / a : a / b;
const lines = [];
lines.push(`| workload | ${ENGINES.join(' | ')} | best peer | shale / best peer | shale / classic-level |`);
lines.push(`|---|${ENGINES.map(() => '---').join('|')}|---|---|---|`);
const chart = [];
for (const w of rows) {
  const lower = LOWER_IS_BETTER.has(w);
  const peerVals = PEERS.map((p) => best[p]?.[w]).filter((v) => v !== undefined);
  const bestPeer = peerVals.length === 0 ? undefined : lower ? Math.min(...peerVals) : Math.max(...peerVals);
  const s = best.shale?.[w];
  const rBest = ratio(s, bestPeer, lower);
  const rClassic = ratio(s, best['classic-level']?.[w], lower);
  if (rBest !== undefined) chart.push([w, rBest]);
  lines.push(
    `| ${w}${lower ? ' (lower is better)' : ''} | ${ENGINES.map((e) => fmt(best[e]?.[w])).join(' | ')} | ${fmt(bestPeer)} | ${rBest === undefined ? '–' : rBest.toFixed(2) + 'x'} | ${rClassic === undefined ? '–' : rClassic.toFixed(2) + 'x'} |`,
  );
}

// Chart: shale / best peer per workload, log scale, 1x marked.
const W = 760,
  rowH = 22,
  left = 190,
  mid = left + 260,
  scale = 80;
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${chart.length * rowH + 50}" font-family="sans-serif" font-size="12">`,
];
svg.push(
  `<text x="10" y="18" font-weight="bold">shale (native API) / best peer, same run (log scale; right of the line: shale faster)</text>`,
);
chart.forEach(([w, r], i) => {
  const y = 30 + i * rowH;
  const x = Math.log2(r) * scale;
  const color = r >= 1 ? '#2a7' : '#d54';
  svg.push(`<text x="${left - 6}" y="${y + 14}" text-anchor="end">${w}</text>`);
  svg.push(
    `<rect x="${Math.min(mid, mid + x)}" y="${y + 3}" width="${Math.max(1, Math.abs(x))}" height="${rowH - 6}" fill="${color}"/>`,
  );
  svg.push(
    `<text x="${x >= 0 ? mid + x + 4 : mid + x - 4}" y="${y + 14}" text-anchor="${x >= 0 ? 'start' : 'end'}">${r.toFixed(2)}x</text>`,
  );
});
svg.push(`<line x1="${mid}" y1="26" x2="${mid}" y2="${chart.length * rowH + 34}" stroke="#333"/>`);
svg.push('</svg>');
writeFileSync(OUT.replace(/\.md$/, '.svg'), svg.join('\n') + '\n');

const version = (p) => {
  try {
    return JSON.parse(readFileSync(join(here, 'node_modules', p, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
};
const shaleVersion = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).version;
let commit = '?';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const md = `# Benchmarks

Produced by \`npm run bench -- --num=${NUM}\` (LevelDB's db_bench workloads: ${NUM.toLocaleString('en')} entries,
16-byte keys, ${VALUE_SIZE}-byte half-compressible values; ops/s unless noted; each engine in its own
process, engines alternating, best of ${ROUNDS} rounds; all in one run on one machine, so the ratios are
the result: absolute numbers on a shared machine are noisy).

Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.
Versions: shale ${shaleVersion} (${commit}), classic-level ${version('classic-level')}, @nxtedition/rocksdb ${version('@nxtedition/rocksdb')},
lmdb ${version('lmdb')}, better-sqlite3 ${version('better-sqlite3')}.

How each engine is driven (\`bench/engines.mjs\`): in the one-write-per-op workloads every engine
finishes (acknowledges) a write before the next starts. shale through its synchronous API (\`putAsync\`
for the 100-writers workloads, which share fsyncs through group commit); shale-level, classic-level and
rocksdb through abstract-level (awaited put/batch/del, getSync where offered, \`nextv(1000)\` scans;
@nxtedition/rocksdb documents no synchronous get, so its reads are awaited, and its \`put()\` ignores
\`sync\`, so its fsynced writes go through \`batch()\`); lmdb with awaited puts, \`noSync\` commits
except in fillsync (puts in flight together share a transaction: the 100-writers workloads) and
synchronous gets; better-sqlite3 with prepared
statements on a \`WITHOUT ROWID\` table in WAL mode (synchronous=FULL for fillsync).

![shale / best peer](benchmarks.svg)

${lines.join('\n')}
`;
const previous = (() => {
  try {
    const old = readFileSync(OUT, 'utf8');
    const i = old.indexOf('\n## ');
    return i >= 0 ? old.slice(i) : '';
  } catch {
    return '';
  }
})();
writeFileSync(OUT, md + previous);
console.log(lines.join('\n'));
