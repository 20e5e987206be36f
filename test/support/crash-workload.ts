/**
 * A seeded workload for crash and fault tests, and the oracle that judges a recovered database:
 * values verify themselves (they name their key and operation), every acknowledged operation up to the
 * last acknowledged durability point (a sync write, flush or compactRange) must survive, and the
 * recovered state must be exactly the state after some prefix of the operations (no torn batch, no
 * reordering) no longer than what was attempted.
 */
import { DB, WriteBatch } from '../../src/index.js';
import type { Options } from '../../src/index.js';
import { Random } from '../../src/util/random.js';
import { fromUtf8 } from '../../src/util/bytes.js';

export type WorkOp =
  | { t: 'put'; k: string; v: string; sync: boolean }
  | { t: 'del'; k: string; sync: boolean }
  | { t: 'batch'; ops: [string, string | null][]; sync: boolean }
  | { t: 'flush' }
  | { t: 'compact' }
  | { t: 'gc' };

/** TINY makes flushes, compactions and MANIFEST rotations happen within a few hundred operations. */
export const TINY: Options = {
  writeBufferSize: 1024,
  maxFileSize: 2048,
  level1MaxBytes: 4096,
  l0CompactionTrigger: 2,
  l0SlowdownWritesTrigger: 100,
  l0StopWritesTrigger: 100,
  maxManifestFileSize: 2048,
  blockSize: 256,
};

/**
 * makeWorkload returns `n` seeded operations over a small key space; with `gc`, value-log garbage
 * collections are mixed in (they change no key, so the oracle is the same).
 */
export function makeWorkload(seed: number, n: number, gc = false): WorkOp[] {
  const rnd = new Random(seed);
  const ops: WorkOp[] = [];
  const key = (): string => `k${String(rnd.uniform(60)).padStart(3, '0')}`;
  for (let i = 0; i < n; i++) {
    const r = rnd.uniform(100);
    const sync = rnd.oneIn(4);
    const val = (k: string): string => `${k}#${i}#${'x'.repeat(rnd.uniform(80))}`;
    if (r < 55) {
      const k = key();
      ops.push({ t: 'put', k, v: val(k), sync });
    } else if (r < 70) ops.push({ t: 'del', k: key(), sync });
    else if (r < 92) {
      const b: [string, string | null][] = [];
      for (let j = 0, m = 1 + rnd.uniform(6); j < m; j++) {
        const k = key();
        b.push([k, rnd.oneIn(4) ? null : val(k)]);
      }
      ops.push({ t: 'batch', ops: b, sync });
    } else if (r < 97) ops.push({ t: 'flush' });
    else ops.push({ t: 'compact' });
    if (gc && rnd.oneIn(12)) ops.push({ t: 'gc' });
  }
  return ops;
}

/** RunLog records how far a run got. */
export interface RunLog {
  /** attempted: operations started (the last may have been cut off). */
  attempted: number;
  /** durable: operations [0, durable) were acknowledged as durable. */
  durable: number;
  /** error: the first error a call reported, if any. */
  error: unknown;
}

/** runWorkload applies `ops` until the first error, recording what was acknowledged. */
export async function runWorkload(db: DB, ops: readonly WorkOp[]): Promise<RunLog> {
  const log: RunLog = { attempted: 0, durable: 0, error: undefined };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    log.attempted = i + 1;
    try {
      switch (op.t) {
        case 'put':
          db.put(op.k, op.v, { sync: op.sync });
          break;
        case 'del':
          db.delete(op.k, { sync: op.sync });
          break;
        case 'batch': {
          const b = new WriteBatch();
          for (const [k, v] of op.ops) {
            if (v === null) b.delete(k);
            else b.put(k, v);
          }
          db.write(b, { sync: op.sync });
          break;
        }
        case 'flush':
          await db.flush();
          break;
        case 'compact':
          await db.compactRange();
          break;
        case 'gc':
          await db.collectGarbage({ gcRatio: 0.9 });
          break;
      }
    } catch (err) {
      log.error = err;
      return log;
    }
    if (op.t === 'flush' || op.t === 'compact' || (op.t !== 'gc' && op.sync)) log.durable = i + 1;
  }
  return log;
}

/** dump reads the whole database. */
export function dump(db: DB): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of db.iterator()) out.set(fromUtf8(k), fromUtf8(v));
  return out;
}

function apply(model: Map<string, string>, op: WorkOp): void {
  if (op.t === 'put') model.set(op.k, op.v);
  else if (op.t === 'del') model.delete(op.k);
  else if (op.t === 'batch') {
    for (const [k, v] of op.ops) {
      if (v === null) model.delete(k);
      else model.set(k, v);
    }
  }
}

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * prefixLength returns L such that `state` equals the state after ops[0, L) with min <= L <= max, or
 * -1 when there is none. Every value must also name its own key (self-verifying).
 */
export function prefixLength(
  state: Map<string, string>,
  ops: readonly WorkOp[],
  min: number,
  max: number,
): number {
  for (const [k, v] of state) if (!v.startsWith(`${k}#`)) return -1;
  const model = new Map<string, string>();
  for (let L = 0; L <= max; L++) {
    if (L >= min && same(model, state)) return L;
    if (L < ops.length) apply(model, ops[L]!);
  }
  return -1;
}
