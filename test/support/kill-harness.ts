/**
 * The parent side of the R1 process-kill test: lanes of rounds, each round one real SIGKILL of a child
 * running kill-workload.ts against a directory that is reused for `chain` rounds (damage accumulates
 * over recoveries), then verified in this process against the regenerated operation stream.
 *
 * Speed: each lane starts its next child while the current one runs, so Node's start-up and module
 * loading overlap with the round instead of adding to it; lanes run side by side (one per core).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DB } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { Random } from '../../src/util/random.js';
import { ACK_RECORD_SIZE, KEYS, PHASE_NAMES, killOpenOptions, killOptions } from './kill-workload.js';
import { judgeKill } from './kill-oracle.js';
import { makeTmpDir, removeTmpDir } from './tmp-dir.js';

const CHILD = fileURLToPath(new URL('./kill-child.js', import.meta.url));

/** KillFigures: what a run reports (every failure count must be 0; a failure also throws). */
export interface KillFigures {
  kills: number;
  lanes: number;
  ackedOps: number;
  inFlightAtKill: number;
  /** killsWithSegments: kills after which the directory held value-log segments. */
  killsWithSegments: number;
  byPhase: Record<string, number>;
  lost: number;
  torn: number;
  openFailures: number;
  childDiedBeforeKill: number;
  recoveryMs: { p50: number; p99: number; max: number };
  wallMs: number;
  msPerKill: number;
  /** meanDelayMs: the mean deliberate run time before a kill; the rest of a round is overhead. */
  meanDelayMs: number;
}

/** Child is a started (possibly still loading) child process and the lines it has printed. */
class Child {
  readonly proc: ChildProcess;
  private readonly lines = new Set<string>();
  private readonly waiters: (() => void)[] = [];
  stderr = '';
  exited = false;

  constructor() {
    this.proc = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        this.lines.add(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      this.wake();
    });
    this.proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.stdin!.on('error', () => undefined); // a child that died early: reported by the round
    this.proc.on('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** waitFor resolves true once the child printed `line`, false if it exited or `ms` passed first. */
  async waitFor(line: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.lines.has(line) && !this.exited && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.lines.has(line);
  }

  async kill(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGKILL');
      await gone;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function readAck(path: string): { issued: number; done: number; phase: number } {
  if (!existsSync(path)) return { issued: 0, done: 0, phase: 0 };
  const b = readFileSync(path);
  if (b.length < ACK_RECORD_SIZE) return { issued: 0, done: 0, phase: 0 };
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  return { issued: v.getUint32(0, true), done: v.getUint32(4, true), phase: v.getUint32(8, true) };
}

/** readAll reads the database three ways (forward, reverse, a get per key); all must agree. */
function readAll(db: DB): Map<string, string> | string {
  const fwd = new Map<string, string>();
  for (const [k, v] of db.iterator()) fwd.set(fromUtf8(k), fromUtf8(v));
  const rev = [...db.iterator({ reverse: true })].map(([k]) => fromUtf8(k));
  if (rev.join('\n') !== [...fwd.keys()].reverse().join('\n')) return 'reverse scan disagrees';
  for (let i = 0; i < KEYS; i++) {
    const k = `k${String(i).padStart(4, '0')}`;
    const v = db.get(k);
    if ((v === undefined ? undefined : fromUtf8(v)) !== fwd.get(k)) return `get ${k} disagrees with scan`;
  }
  return fwd;
}

/** KillRun configures runKillTest. */
export interface KillRun {
  seed: number;
  kills: number;
  lanes: number;
  /** chain: kills on one directory before a fresh one. */
  chain: number;
  /** rerun: the command that repeats this run (printed on failure). */
  rerun: string;
}

/** runKillTest runs the kills and returns the figures; the first failed check throws, naming it. */
export async function runKillTest(run: KillRun): Promise<KillFigures> {
  const root = makeTmpDir('shale-kill-');
  const figures: KillFigures = {
    kills: 0,
    lanes: run.lanes,
    ackedOps: 0,
    inFlightAtKill: 0,
    killsWithSegments: 0,
    byPhase: Object.fromEntries(PHASE_NAMES.map((p) => [p, 0])),
    lost: 0,
    torn: 0,
    openFailures: 0,
    childDiedBeforeKill: 0,
    recoveryMs: { p50: 0, p99: 0, max: 0 },
    wallMs: 0,
    msPerKill: 0,
    meanDelayMs: 0,
  };
  const recovery: number[] = [];
  let delays = 0;
  const t0 = Date.now();
  let failed = false;
  const perLane = Math.ceil(run.kills / run.lanes);
  const lanes = Array.from({ length: run.lanes }, (_, lane) =>
    runLane(lane, Math.min(perLane, run.kills - lane * perLane)),
  );

  async function runLane(lane: number, kills: number): Promise<void> {
    const rnd = new Random(run.seed * 31 + lane);
    let next = new Child();
    let child: Child | null = null;
    let dir = '';
    let model = new Map<string, string>();
    try {
      for (let round = 0; round < kills && !failed; round++) {
        if (round % run.chain === 0) {
          if (dir !== '') removeTmpDir(dir);
          dir = join(root, `lane${lane}-round${round}`);
          model = new Map();
        }
        child = next;
        next = new Child(); // warm up the next round's child while this one runs
        const childSeed = rnd.uniform(0x7fffffff);
        const ack = join(root, `ack-${lane}-${round}`);
        const early = rnd.uniform(100) < 15;
        const delay = early
          ? rnd.uniform(150)
          : rnd.uniform(100) < 30
            ? rnd.uniform(200)
            : 50 + rnd.uniform(1450);
        const where = (): string =>
          `process kill: lane ${lane} round ${round} (child seed ${childSeed}, options ${JSON.stringify(
            killOptions(childSeed),
          )}, killed ${delay} ms after ${early ? 'start' : 'open'}; directory ${dir})`;
        const fail = (what: string): never => {
          failed = true;
          throw new Error(
            `${where()}: ${what}; as the kill left it: ${dir}.killed\nrerun (same seeds and kill delays; timing differs): ${run.rerun}`,
          );
        };
        if (!(await child.waitFor('ready', 60_000))) fail(`child did not start: ${child.stderr}`);
        child.proc.stdin!.write(`${JSON.stringify({ dir, seed: childSeed, ack })}\n`);
        if (!early && !(await child.waitFor('open', 60_000))) {
          figures.openFailures++;
          fail(`child did not open the database: ${child.stderr}`);
        }
        await sleep(delay);
        delays += delay;
        if (child.exited) {
          figures.childDiedBeforeKill++;
          fail(`child exited before its kill: ${child.stderr}`);
        }
        await child.kill();
        figures.kills++;
        const { issued, done, phase } = readAck(ack);
        rmSync(ack, { force: true });
        figures.byPhase[PHASE_NAMES[phase] ?? 'writing']!++;
        figures.ackedOps += done;
        if (issued > done) figures.inFlightAtKill++;
        model = await verify(dir, childSeed, model, issued, done, (what) =>
          fail(`${what} (ops done ${done}, issued ${issued}, phase ${PHASE_NAMES[phase]})`),
        );
      }
    } finally {
      await child?.kill(); // still running if a check failed before its kill
      await next.kill();
    }
  }

  async function verify(
    dir: string,
    childSeed: number,
    base: Map<string, string>,
    issued: number,
    done: number,
    fail: (what: string) => never,
  ): Promise<Map<string, string>> {
    const options = killOpenOptions(childSeed, dir);
    // Killed before the child created the directory: nothing was written.
    if (!existsSync(dir)) {
      if (base.size === 0 && done === 0) return base;
      return fail('the database directory is gone');
    }
    if (readdirSync(dir).some((n) => n.endsWith('.vlog'))) figures.killsWithSegments++;
    // Keep the directory as the kill left it, for the failure report (removed once it verifies).
    cpSync(dir, `${dir}.killed`, { recursive: true });
    const t = Date.now();
    let db: DB;
    try {
      db = await DB.open(dir, { ...options, backgroundJobs: 'inline' });
    } catch (err) {
      figures.openFailures++;
      return fail(`the database does not open after the kill: ${String(err)}`);
    }
    recovery.push(Date.now() - t);
    try {
      const state = readAll(db);
      if (typeof state === 'string') {
        figures.torn++;
        return fail(state);
      }
      const verdict = judgeKill(state, base, childSeed, issued, done);
      if (verdict.ok) {
        rmSync(`${dir}.killed`, { recursive: true, force: true });
        return verdict.state;
      }
      figures[verdict.kind]++;
      return fail(
        verdict.kind === 'lost' ? `acknowledged operations were lost: ${verdict.detail}` : verdict.detail,
      );
    } finally {
      await db.close();
    }
  }

  // Let every lane stop (each checks `failed` between rounds) before reporting the first failure.
  const settled = await Promise.allSettled(lanes);
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected !== undefined) throw (rejected as PromiseRejectedResult).reason;
  removeTmpDir(root);
  figures.wallMs = Date.now() - t0;
  figures.msPerKill = Math.round(figures.wallMs / Math.max(1, figures.kills));
  figures.meanDelayMs = Math.round(delays / Math.max(1, figures.kills));
  recovery.sort((a, b) => a - b);
  const q = (p: number): number =>
    recovery[Math.min(recovery.length - 1, Math.floor(p * recovery.length))] ?? 0;
  figures.recoveryMs = { p50: q(0.5), p99: q(0.99), max: recovery[recovery.length - 1] ?? 0 };
  return figures;
}
