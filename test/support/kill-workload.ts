/**
 * The R1 process-kill workload, shared by the child that runs it and the parent that judges the
 * recovered database: one seed fixes the options and the whole (endless) operation stream, so the
 * parent regenerates exactly what the child attempted up to the last operation it recorded.
 *
 * Ack record: the child keeps a 12-byte record at offset 0 of its ack file (pwrite, so it is in the
 * OS the moment the call returns, and survives SIGKILL): [issued u32][done u32][phase u32]. Operations
 * [0, done) were acknowledged; [done, issued) were started and may or may not have landed. A process
 * kill keeps everything the OS holds, so the recovered state must be the state after ops [0, L) for
 * some done <= L <= issued, sync or not.
 */
import { readdirSync } from 'node:fs';
import type { Options } from '../../src/index.js';
import { Random } from '../../src/util/random.js';

/** KEYS: the key space (bounded, so a directory reused for many kills stays small). */
export const KEYS = 1000;
export const ACK_RECORD_SIZE = 12;

/** Phase: what the child was doing when its record was last written (the kill's figure). */
export const Phase = { opening: 0, writing: 1, flush: 2, compact: 3 } as const;
export const PHASE_NAMES = ['opening', 'writing', 'flush', 'compact'] as const;

export type KillOp =
  | { t: 'put'; k: string; v: string; sync: boolean }
  | { t: 'del'; k: string; sync: boolean }
  | { t: 'batch'; ops: [string, string | null][]; sync: boolean }
  /** async: writeAsync group-commit window of `ops.length` batches issued before any is awaited. */
  | { t: 'async'; ops: [string, string | null][][]; sync: boolean[] }
  | { t: 'read'; k: string }
  | { t: 'flush' }
  | { t: 'compact'; lo?: string; hi?: string };

const pick = <T>(rnd: Random, xs: readonly T[]): T => xs[rnd.uniform(xs.length)]!;

/** killOptions draws the child's options from its seed (R1's randomized option set). */
export function killOptions(
  seed: number,
): Options & { syncPercent: number; vlogThreshold: number; vlogSeparateAt: 'write' | 'flush' } {
  const rnd = new Random(seed ^ 0x5bd1e995);
  const l0 = 1 + rnd.uniform(8);
  return {
    writeBufferSize: pick(rnd, [4096, 64 * 1024, 4 * 1048576]),
    blockSize: pick(rnd, [256, 4096]),
    maxFileSize: pick(rnd, [32 * 1024, 2 * 1048576]),
    compression: pick(rnd, ['snappy', 'none'] as const),
    l0CompactionTrigger: l0,
    l0SlowdownWritesTrigger: l0 + 4,
    l0StopWritesTrigger: l0 + 8,
    level1MaxBytes: pick(rnd, [64 * 1024, 10 * 1048576]),
    maxManifestFileSize: pick(rnd, [4096, 64 * 1048576]),
    backgroundJobs: pick(rnd, ['worker', 'worker', 'inline'] as const),
    syncPercent: rnd.uniform(101),
    // Drawn last, so the options above stay what they were for seeds that ran before.
    reuseLogs: rnd.oneIn(3),
    paranoidChecks: rnd.oneIn(2),
    // Value log (R1: off, 64 B or 4 KiB); applied through killOpenOptions, which needs the directory.
    vlogThreshold: pick(rnd, [0, 0, 64, 4096]),
    // Where values are separated (write time: the WAL points into the open segment).
    vlogSeparateAt: pick(rnd, ['write', 'flush'] as const),
  };
}

/**
 * killOpenOptions: the seed's options for opening `dir`. A directory lives through several children
 * with different options: one whose value-log threshold is off still opens a directory that holds
 * segments with the value log on, separating nothing new (a threshold no value reaches).
 */
export function killOpenOptions(seed: number, dir: string): Options {
  const { syncPercent: _, vlogThreshold, vlogSeparateAt, ...options } = killOptions(seed);
  let segments = false;
  try {
    segments = readdirSync(dir).some((n) => n.endsWith('.vlog'));
  } catch {
    // not created yet
  }
  if (vlogThreshold > 0)
    return { ...options, valueLog: { minValueSize: vlogThreshold, separateAt: vlogSeparateAt } };
  return segments ? { ...options, valueLog: { minValueSize: 2 ** 30 } } : options;
}

/** KillOps generates the seed's operation stream; next() returns operation i on its i-th call. */
export class KillOps {
  private readonly rnd: Random;
  private readonly syncPercent: number;
  private i = 0;

  constructor(readonly seed: number) {
    this.rnd = new Random(seed);
    this.syncPercent = killOptions(seed).syncPercent;
  }

  private key(): string {
    return `k${String(this.rnd.uniform(KEYS)).padStart(4, '0')}`;
  }

  private value(k: string): string {
    // Self-verifying: the value names its key and the operation that wrote it.
    const n = this.rnd.oneIn(20) ? 2000 + this.rnd.uniform(20000) : this.rnd.uniform(120);
    return `${k}#${this.seed}.${this.i}#${'v'.repeat(n)}`;
  }

  private sync(): boolean {
    return this.rnd.uniform(100) < this.syncPercent;
  }

  private batch(): [string, string | null][] {
    const b: [string, string | null][] = [];
    for (let j = 0, m = 2 + this.rnd.uniform(19); j < m; j++) {
      const k = this.key();
      b.push([k, this.rnd.oneIn(4) ? null : this.value(k)]);
    }
    return b;
  }

  next(): KillOp {
    const r = this.rnd.uniform(100);
    let op: KillOp;
    if (r < 40) {
      const k = this.key();
      op = { t: 'put', k, v: this.value(k), sync: this.sync() };
    } else if (r < 55) op = { t: 'del', k: this.key(), sync: this.sync() };
    else if (r < 75) op = { t: 'batch', ops: this.batch(), sync: this.sync() };
    else if (r < 86) {
      const n = 1 + this.rnd.uniform(8);
      const ops: [string, string | null][][] = [];
      const sync: boolean[] = [];
      for (let j = 0; j < n; j++) {
        ops.push(this.rnd.oneIn(2) ? this.batch().slice(0, 1) : this.batch());
        sync.push(this.sync());
      }
      op = { t: 'async', ops, sync };
    } else if (r < 98) op = { t: 'read', k: this.key() };
    else if (r < 99) op = { t: 'flush' };
    else {
      const a = this.key();
      const b = this.key();
      op = this.rnd.oneIn(2) ? { t: 'compact' } : { t: 'compact', lo: a < b ? a : b, hi: a < b ? b : a };
    }
    this.i++;
    return op;
  }
}

/**
 * applyKillOp applies `op` to `model`; for an async window, only its first `part` batches (the window
 * commits in call order, so a kill leaves a prefix of it).
 */
export function applyKillOp(model: Map<string, string>, op: KillOp, part = Infinity): void {
  const batch = (b: [string, string | null][]): void => {
    for (const [k, v] of b) {
      if (v === null) model.delete(k);
      else model.set(k, v);
    }
  };
  if (op.t === 'put') model.set(op.k, op.v);
  else if (op.t === 'del') model.delete(op.k);
  else if (op.t === 'batch') batch(op.ops);
  else if (op.t === 'async') op.ops.slice(0, part).forEach(batch);
}
