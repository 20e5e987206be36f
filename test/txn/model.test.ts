/**
 * Model-based property test: random interleavings of transactions (snapshot and serializable, several
 * open at once), plain writes, flushes and compactions, against a model that keeps every committed
 * write with its commit order. Checked: every read of a transaction equals the model at its snapshot
 * plus its own writes; every commit succeeds exactly when the model says nothing it wrote (or, under
 * serializable, read or scanned) was written after its snapshot; a committed serializable transaction's
 * reads equal the latest committed values at its commit (so the history is serial in commit order).
 * TXN_MODEL_RUNS widens it; SEED replays one run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DB, MemFileSystem, ErrorCode } from '../../src/index.js';
import type { Isolation, Transaction } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
const SLOTS = 3;

type Op =
  | { t: 'begin'; slot: number; serializable: boolean }
  | { t: 'get'; slot: number; k: string }
  | { t: 'put'; slot: number; k: string }
  | { t: 'del'; slot: number; k: string }
  | { t: 'scan'; slot: number; lo?: string; hi?: string; reverse: boolean }
  | { t: 'commit'; slots: number[]; sync: boolean }
  | { t: 'abort'; slot: number }
  | { t: 'plainPut'; k: string }
  | { t: 'plainDel'; k: string }
  | { t: 'flush' }
  | { t: 'compact' };

const key = fc.constantFrom(...KEYS);
const slot = fc.nat(SLOTS - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('begin' as const), slot, serializable: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('get' as const), slot, k: key }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('put' as const), slot, k: key }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del' as const), slot, k: key }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('scan' as const),
      slot,
      lo: fc.option(key, { nil: undefined }),
      hi: fc.option(key, { nil: undefined }),
      reverse: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('commit' as const),
      slots: fc.uniqueArray(slot, { minLength: 1, maxLength: SLOTS }),
      sync: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('abort' as const), slot }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('plainPut' as const), k: key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('plainDel' as const), k: key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const) }) },
);

/** The model: every committed write of every key, in commit order (seq counts committed writes). */
class History {
  seq = 0;
  readonly writes = new Map<string, { seq: number; value: string | null }[]>();
  apply(entries: Map<string, string | null>): void {
    this.seq++;
    for (const [k, v] of entries) {
      const list = this.writes.get(k) ?? [];
      list.push({ seq: this.seq, value: v });
      this.writes.set(k, list);
    }
  }
  valueAt(k: string, seq: number): string | null {
    let v: string | null = null;
    for (const w of this.writes.get(k) ?? []) if (w.seq <= seq) v = w.value;
    return v;
  }
  writtenAfter(k: string, seq: number): boolean {
    return (this.writes.get(k) ?? []).some((w) => w.seq > seq);
  }
}

interface ModelTxn {
  tx: Transaction;
  snap: number;
  serializable: boolean;
  own: Map<string, string | null>;
  reads: Map<string, string | null>;
  spans: { lo?: string; hi?: string }[];
}

function view(m: History, t: ModelTxn, k: string): string | null {
  return t.own.has(k) ? t.own.get(k)! : m.valueAt(k, t.snap);
}

function shouldConflict(m: History, t: ModelTxn): boolean {
  for (const k of t.own.keys()) if (m.writtenAfter(k, t.snap)) return true;
  if (!t.serializable) return false;
  for (const k of t.reads.keys()) if (m.writtenAfter(k, t.snap)) return true;
  for (const sp of t.spans)
    for (const k of KEYS)
      if (
        (sp.lo === undefined || k >= sp.lo) &&
        (sp.hi === undefined || k <= sp.hi) &&
        m.writtenAfter(k, t.snap)
      )
        return true;
  return false;
}

const figures = { runs: 0, ops: 0, commits: 0, conflicts: 0, readOnly: 0 };

async function run(ops: Op[]): Promise<void> {
  figures.runs++;
  figures.ops += ops.length;
  const db = await DB.open('/db', {
    fs: new MemFileSystem(),
    writeBufferSize: 1024,
    backgroundJobs: 'inline',
    l0CompactionTrigger: 2,
  });
  const m = new History();
  const slots: (ModelTxn | null)[] = Array.from({ length: SLOTS }, () => null);
  let n = 0;
  const val = (): string => `v${n++}`;
  try {
    for (const [i, op] of ops.entries()) {
      const where = `step ${i} ${JSON.stringify(op)}`;
      const t = 'slot' in op ? slots[op.slot] : null;
      switch (op.t) {
        case 'begin': {
          slots[op.slot]?.tx.abortIfOpen();
          const isolation: Isolation = op.serializable ? 'serializable' : 'snapshot';
          slots[op.slot] = {
            tx: db.transaction({ isolation }),
            snap: m.seq,
            serializable: op.serializable,
            own: new Map(),
            reads: new Map(),
            spans: [],
          };
          break;
        }
        case 'get': {
          if (t == null) break;
          const got = t.tx.get(op.k);
          const want = view(m, t, op.k);
          assert.equal(got === undefined ? null : fromUtf8(got), want, where);
          if (!t.own.has(op.k)) t.reads.set(op.k, want);
          break;
        }
        case 'put':
        case 'del': {
          if (t == null) break;
          const v = op.t === 'put' ? val() : null;
          if (v === null) t.tx.delete(op.k);
          else t.tx.put(op.k, v);
          t.own.set(op.k, v);
          break;
        }
        case 'scan': {
          if (t == null) break;
          const got = [...t.tx.iterator({ gte: op.lo, lte: op.hi, reverse: op.reverse })].map(
            ([k, v]) => `${fromUtf8(k)}=${fromUtf8(v)}`,
          );
          const want: string[] = [];
          for (const k of KEYS) {
            if ((op.lo !== undefined && k < op.lo) || (op.hi !== undefined && k > op.hi)) continue;
            const v = view(m, t, k);
            if (v !== null) want.push(`${k}=${v}`);
            if (!t.own.has(k)) t.reads.set(k, m.valueAt(k, t.snap));
          }
          if (op.reverse) want.reverse();
          assert.deepEqual(got, want, where);
          t.spans.push({ lo: op.lo, hi: op.hi });
          break;
        }
        case 'commit': {
          const txs = op.slots.map((s) => slots[s]).filter((x): x is ModelTxn => x != null);
          for (const s of op.slots) slots[s] = null;
          // Started together; the pipeline admits them in call order.
          const results = await Promise.allSettled(txs.map((x) => x.tx.commit({ sync: op.sync })));
          for (const [j, x] of txs.entries()) {
            const expectConflict = x.own.size > 0 && shouldConflict(m, x);
            const r = results[j]!;
            if (x.own.size === 0) figures.readOnly++;
            else if (expectConflict) figures.conflicts++;
            else figures.commits++;
            if (expectConflict) {
              assert.equal(r.status, 'rejected', `${where}: should conflict`);
              assert.equal((r as PromiseRejectedResult).reason.code, ErrorCode.TXN_CONFLICT, where);
              continue;
            }
            assert.equal(
              r.status,
              'fulfilled',
              `${where}: should commit: ${String((r as PromiseRejectedResult).reason)}`,
            );
            if (x.serializable && x.own.size > 0)
              for (const [k, v] of x.reads)
                assert.equal(m.valueAt(k, m.seq), v, `${where}: serial at commit (${k})`);
            if (x.own.size > 0) m.apply(x.own);
          }
          break;
        }
        case 'abort':
          t?.tx.abortIfOpen();
          slots[op.slot] = null;
          break;
        case 'plainPut': {
          const v = val();
          db.put(op.k, v);
          m.apply(new Map([[op.k, v]]));
          break;
        }
        case 'plainDel':
          db.delete(op.k);
          m.apply(new Map([[op.k, null]]));
          break;
        case 'flush':
          await db.flush();
          break;
        case 'compact':
          await db.compactRange();
          break;
      }
    }
    for (const k of KEYS) {
      const got = db.get(k);
      assert.equal(got === undefined ? null : fromUtf8(got), m.valueAt(k, m.seq), `final ${k}`);
    }
  } finally {
    for (const s of slots) s?.tx.abortIfOpen();
    await db.close();
  }
}

test('transactions agree with a serial model of committed writes', { timeout: 600_000 }, async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 150, size: 'max' }), run), {
    numRuns: Number(process.env.TXN_MODEL_RUNS ?? 300),
    seed: process.env.SEED ? Number(process.env.SEED) : undefined,
  });
  t.diagnostic(`figures ${JSON.stringify(figures)}`);
});
