/**
 * WindowPlan computes window functions (and aggregates with OVER) over its input: it reads every row, sorts
 * them per window by PARTITION BY then ORDER BY, and appends one column per call to each row. Rows come out
 * in the order of the last window (as PostgreSQL's, whose WindowAgg nodes sort in turn).
 *
 * Frames follow PostgreSQL: ROWS counts rows, GROUPS counts peer groups (rows equal on ORDER BY), RANGE
 * compares the one ORDER BY value with the current row's plus or minus the offset (rows with a NULL key are
 * peers of each other only). EXCLUDE removes the current row, its peers, or both.
 */
import type { AggregateDef } from '../expr/aggregates.js';
import type { ExecContext, Evaluator } from '../expr/context.js';
import type { FrameRanges, WindowFunctionDef, WindowPartition } from '../expr/window-functions.js';
import { SqlError } from '../errors.js';
import type { WindowFrame } from '../ast.js';
import type { Compare } from '../types/compare.js';
import type { Value } from '../types/sql-type.js';
import { indent, type Plan } from './plan.js';
import { keyComparator, type SortSpec } from './sort.js';
import type { ColumnInfo, Row } from './scope.js';

/** FrameBoundSpec is a frame bound with its offset compiled (a constant or parameter). */
export type FrameBoundSpec =
  | { readonly kind: 'unboundedPreceding' | 'unboundedFollowing' | 'currentRow' }
  | { readonly kind: 'preceding' | 'following'; readonly offset: Evaluator };

/**
 * RangeArithmetic: how RANGE offsets move along the ORDER BY column's type: `shift(v, k, sign)` is v + sign * k
 * (in a form `compare` takes, whatever the range of the column type), and `negative(k)` rejects bad sizes.
 */
export interface RangeArithmetic {
  shift(v: Value, k: Value, sign: 1 | -1): Value;
  negative(k: Value): boolean;
  readonly compare: Compare;
}

export interface FrameSpec {
  readonly mode: WindowFrame['mode'];
  readonly start: FrameBoundSpec;
  readonly end: FrameBoundSpec;
  readonly exclude: WindowFrame['exclude'];
  /** range: set for RANGE frames with an offset bound. */
  readonly range?: RangeArithmetic;
}

/** DEFAULT_FRAME: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW (the whole partition without ORDER BY). */
export const DEFAULT_FRAME: FrameSpec = {
  mode: 'range',
  start: { kind: 'unboundedPreceding' },
  end: { kind: 'currentRow' },
  exclude: 'none',
};

/** WindowDef is one distinct window of a query level, ready to run. */
export interface WindowDef {
  readonly partition: readonly SortSpec[];
  readonly order: readonly SortSpec[];
  readonly frame: FrameSpec;
}

export type WindowCall =
  | {
      readonly window: number;
      readonly kind: 'function';
      readonly def: WindowFunctionDef;
      readonly args: readonly Evaluator[];
    }
  | {
      readonly window: number;
      readonly kind: 'aggregate';
      readonly def: AggregateDef;
      readonly args: readonly Evaluator[];
      readonly filter: Evaluator | undefined;
    };

export class WindowPlan implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly windows: readonly WindowDef[],
    private readonly calls: readonly WindowCall[],
    readonly columns: readonly ColumnInfo[],
  ) {}

  *rows(ex: ExecContext): Iterable<Row> {
    const rows = [...this.input.rows(ex)];
    const n = rows.length;
    const results = this.calls.map(() => new Array<Value>(n));
    let order: number[] = rows.map((_, i) => i);
    this.windows.forEach((w, wi) => {
      const calls = this.calls.filter((c) => c.window === wi);
      const pk = rows.map((r) => w.partition.map((s) => s.eval(r, ex)));
      const ok = rows.map((r) => w.order.map((s) => s.eval(r, ex)));
      const pcmp = keyComparator(w.partition);
      const ocmp = keyComparator(w.order);
      order = rows.map((_, i) => i).sort((a, b) => pcmp(pk[a]!, pk[b]!) || ocmp(ok[a]!, ok[b]!) || a - b);
      for (let s = 0; s < n;) {
        let e = s + 1;
        while (e < n && pcmp(pk[order[s]!]!, pk[order[e]!]!) === 0) e++;
        const at = order.slice(s, e);
        const part = new Partition(
          at.map((i) => rows[i]!),
          at.map((i) => ok[i]!),
          ocmp,
          w,
          ex,
        );
        for (const c of calls) {
          const out = results[this.calls.indexOf(c)]!;
          const vals = c.kind === 'function' ? c.def.compute(part, c.args, ex) : aggregate(part, c, ex);
          at.forEach((i, j) => (out[i] = vals[j]!));
        }
        s = e;
      }
    });
    for (const i of order) {
      const r = rows[i]!;
      const out: Row = r.slice();
      for (const res of results) out.push(res[i]!);
      yield out;
    }
  }

  explain(): string[] {
    return ['WindowAgg', ...indent(this.input.explain())];
  }
}

/** aggregate folds an aggregate over each row's frame, incrementally while frames only grow at the end. */
function aggregate(p: Partition, c: Extract<WindowCall, { kind: 'aggregate' }>, ex: ExecContext): Value[] {
  const out: Value[] = new Array(p.size);
  const add = (acc: { add(args: readonly Value[]): void }, j: number): void => {
    const r = p.row(j);
    if (c.filter !== undefined && c.filter(r, ex) !== true) return;
    acc.add(c.args.map((f) => f(r, ex)));
  };
  if (p.framesGrow()) {
    const acc = c.def.make(ex.runtime.io);
    let added = 0;
    for (let i = 0; i < p.size; i++) {
      const end = p.frame(i).reduce((m, [, e]) => Math.max(m, e), 0);
      while (added < end) add(acc, added++);
      out[i] = acc.result();
    }
    return out;
  }
  let prev: FrameRanges | undefined;
  for (let i = 0; i < p.size; i++) {
    const f = p.frame(i);
    if (prev !== undefined && sameRanges(prev, f)) {
      out[i] = out[i - 1]!;
      continue;
    }
    const acc = c.def.make(ex.runtime.io);
    for (const [s, e] of f) for (let j = s; j < e; j++) add(acc, j);
    out[i] = acc.result();
    prev = f;
  }
  return out;
}

function sameRanges(a: FrameRanges, b: FrameRanges): boolean {
  return a.length === b.length && a.every(([s, e], i) => s === b[i]![0] && e === b[i]![1]);
}

/** Partition is one partition's rows in window order, with peer groups and frames (WindowPartition). */
class Partition implements WindowPartition {
  readonly size: number;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly groups: number[] = [];
  /** groupStarts: the first position of each peer group, then `size`. */
  private readonly groupStarts: number[] = [];
  private readonly startOffset: Value;
  private readonly endOffset: Value;

  constructor(
    private readonly rows: readonly Row[],
    private readonly keys: readonly Value[][],
    cmp: (a: Value[], b: Value[]) => number,
    private readonly w: WindowDef,
    ex: ExecContext,
  ) {
    const n = rows.length;
    this.size = n;
    for (let s = 0; s < n;) {
      let e = s + 1;
      while (e < n && cmp(keys[s]!, keys[e]!) === 0) e++;
      this.groupStarts.push(s);
      for (let i = s; i < e; i++) {
        this.starts.push(s);
        this.ends.push(e);
        this.groups.push(this.groupStarts.length - 1);
      }
      s = e;
    }
    this.groupStarts.push(n);
    // Offsets may not refer to columns: PostgreSQL evaluates them once.
    this.startOffset = offsetOf(w.frame, w.frame.start, 'starting', rows[0]!, ex);
    this.endOffset = offsetOf(w.frame, w.frame.end, 'ending', rows[0]!, ex);
  }

  row(i: number): Row {
    return this.rows[i]!;
  }
  peerStart(i: number): number {
    return this.starts[i]!;
  }
  peerEnd(i: number): number {
    return this.ends[i]!;
  }
  group(i: number): number {
    return this.groups[i]!;
  }

  /** framesGrow: every frame starts at the partition's first row and excludes nothing. */
  framesGrow(): boolean {
    return this.w.frame.start.kind === 'unboundedPreceding' && this.w.frame.exclude === 'none';
  }

  frame(i: number): FrameRanges {
    const f = this.w.frame;
    const s = Math.max(0, this.bound(i, f.start, this.startOffset, true));
    const e = Math.min(this.size, this.bound(i, f.end, this.endOffset, false));
    if (s >= e) return [];
    if (f.exclude === 'none') return [[s, e]];
    // The excluded rows [a, b) split the frame; EXCLUDE TIES keeps the current row itself.
    const [a, b] = f.exclude === 'current' ? [i, i + 1] : [this.starts[i]!, this.ends[i]!];
    const parts: [number, number][] = [[s, Math.min(e, a)]];
    if (f.exclude === 'ties' && i >= s && i < e) parts.push([i, i + 1]);
    parts.push([Math.max(s, b), e]);
    return parts.filter(([x, y]) => x < y);
  }

  /** bound: the position a frame bound puts the start at (first row in) or the end at (first row out). */
  private bound(i: number, b: FrameBoundSpec, offset: Value, start: boolean): number {
    switch (b.kind) {
      case 'unboundedPreceding':
        return 0;
      case 'unboundedFollowing':
        return this.size;
      case 'currentRow':
        return start
          ? this.w.frame.mode === 'rows'
            ? i
            : this.starts[i]!
          : this.w.frame.mode === 'rows'
            ? i + 1
            : this.ends[i]!;
    }
    const sign = b.kind === 'preceding' ? -1 : 1;
    switch (this.w.frame.mode) {
      case 'rows':
        return i + sign * Number(offset) + (start ? 0 : 1);
      case 'groups': {
        const g = this.groups[i]! + sign * Number(offset);
        if (g < 0) return 0;
        if (g >= this.groupStarts.length - 1) return this.size;
        return this.groupStarts[start ? g : g + 1]!;
      }
      case 'range':
        return this.rangeBound(i, sign, offset, start);
    }
  }

  /** rangeBound: RANGE offset bounds, by binary search over the rows whose ORDER BY value is not NULL. */
  private rangeBound(i: number, sign: 1 | -1, offset: Value, start: boolean): number {
    const v = this.keys[i]![0]!;
    if (v === null) return start ? this.starts[i]! : this.ends[i]!;
    const spec = this.w.order[0]!;
    const arith = this.w.frame.range!;
    const desc = spec.desc;
    const bound = arith.shift(v, offset, desc ? (-sign as 1 | -1) : sign);
    // The non-NULL rows form one run: NULLs sort first or last.
    const nullsFirst = spec.nullsFirst ?? desc;
    let lo = 0;
    let hi = this.size;
    if (nullsFirst) while (lo < hi && this.keys[lo]![0] === null) lo++;
    else while (hi > lo && this.keys[hi - 1]![0] === null) hi--;
    // before(x): x lies before the bound in window order (start) / not after it (end).
    const before = (x: Value): boolean => {
      const c = arith.compare(x!, bound!);
      const ordered = desc ? -c : c;
      return start ? ordered < 0 : ordered <= 0;
    };
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.keys[mid]![0]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** offsetOf evaluates a frame offset, rejecting NULL and negative sizes as PostgreSQL does. */
function offsetOf(f: FrameSpec, b: FrameBoundSpec, which: string, row: Row, ex: ExecContext): Value {
  if (b.kind !== 'preceding' && b.kind !== 'following') return null;
  const v = b.offset(row, ex);
  if (v === null) throw new SqlError('22004', `frame ${which} offset must not be null`);
  if (f.range !== undefined) {
    if (f.range.negative(v))
      throw new SqlError('22013', 'invalid preceding or following size in window function');
  } else if (Number(v as number | bigint) < 0)
    throw new SqlError('22013', `frame ${which} offset must not be negative`);
  return v;
}
