/**
 * AggregatePlan groups its input by the GROUP BY expressions and folds each group's aggregates. Its output
 * rows are the group key values followed by the aggregate results. Without GROUP BY there is one group, even
 * over no rows (count(*) of an empty table is 0).
 */
import type { AggregateDef, Accumulator } from '../expr/aggregates.js';
import type { ExecContext, Evaluator } from '../expr/context.js';
import type { SqlType, Value } from '../types/sql-type.js';
import { groupKey } from './distinct.js';
import { compareFor } from '../types/compare.js';
import { indent, type Plan } from './plan.js';
import { keyComparator, type SortSpec } from './sort.js';
import type { ColumnInfo, Row } from './scope.js';

export interface AggregateCall {
  readonly def: AggregateDef;
  readonly args: readonly Evaluator[];
  readonly argTypes: readonly SqlType[];
  readonly distinct: boolean;
  /** filter: FILTER (WHERE ...): only rows where it is true are aggregated. */
  readonly filter?: Evaluator | undefined;
  /** order: ORDER BY inside the call: the group's inputs are sorted before they are folded. */
  readonly order?: readonly SortSpec[] | undefined;
}

interface Group {
  readonly keys: Value[];
  readonly accs: Accumulator[];
  readonly seen: (Set<string> | undefined)[];
  /** buffered: per ordered call, its inputs and sort keys, folded in order at the end. */
  readonly buffered: ({ args: Value[]; keys: Value[] }[] | undefined)[];
  /** distinctArgs: a DISTINCT aggregate's distinct inputs, folded in sorted order at the end (as PostgreSQL). */
  readonly distinctArgs: (Value[][] | undefined)[];
}

/** compareArgs orders argument lists value by value, NULLs last (the order DISTINCT aggregates see). */
function compareArgs(types: readonly SqlType[]): (a: Value[], b: Value[]) => number {
  const cmps = types.map((t) => compareFor(t.id));
  return (a, b) => {
    for (let i = 0; i < cmps.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      const c = cmps[i]!(x, y);
      if (c !== 0) return c;
    }
    return 0;
  };
}

export class AggregatePlan implements Plan {
  constructor(
    private readonly input: Plan,
    private readonly groupBy: readonly Evaluator[],
    private readonly groupTypes: readonly SqlType[],
    private readonly calls: readonly AggregateCall[],
    readonly columns: readonly ColumnInfo[],
  ) {}

  *rows(ex: ExecContext): Iterable<Row> {
    const groups = new Map<string, Group>();
    const newGroup = (keys: Value[]): Group => ({
      keys,
      accs: this.calls.map((c) => c.def.make(ex.runtime.io)),
      seen: this.calls.map((c) => (c.distinct ? new Set<string>() : undefined)),
      distinctArgs: this.calls.map((c) => (c.distinct && c.order === undefined ? [] : undefined)),
      buffered: this.calls.map((c) => (c.order !== undefined ? [] : undefined)),
    });
    for (const r of this.input.rows(ex)) {
      const keys = this.groupBy.map((f) => f(r, ex));
      const k = groupKey(this.groupTypes, keys);
      let g = groups.get(k);
      if (g === undefined) {
        g = newGroup(keys);
        groups.set(k, g);
      }
      for (let i = 0; i < this.calls.length; i++) {
        const c = this.calls[i]!;
        if (c.filter !== undefined && c.filter(r, ex) !== true) continue;
        const args = c.args.map((f) => f(r, ex));
        const seen = g.seen[i];
        if (seen !== undefined) {
          if (c.def.keepsNulls !== true && args.some((a) => a === null)) continue;
          const dk = groupKey(c.argTypes, args);
          if (seen.has(dk)) continue;
          seen.add(dk);
          const dl = g.distinctArgs[i];
          if (dl !== undefined) {
            dl.push(args);
            continue;
          }
        }
        const buf = g.buffered[i];
        if (buf !== undefined) buf.push({ args, keys: c.order!.map((s) => s.eval(r, ex)) });
        else g.accs[i]!.add(args);
      }
    }
    if (groups.size === 0 && this.groupBy.length === 0) groups.set('', newGroup([]));
    for (const g of groups.values()) {
      g.distinctArgs.forEach((list, i) => {
        if (list === undefined) return;
        list.sort(compareArgs(this.calls[i]!.argTypes));
        for (const args of list) g.accs[i]!.add(args);
      });
      for (let i = 0; i < this.calls.length; i++) {
        const buf = g.buffered[i];
        if (buf === undefined) continue;
        const cmp = keyComparator(this.calls[i]!.order!);
        buf.sort((a, b) => cmp(a.keys, b.keys));
        for (const b of buf) g.accs[i]!.add(b.args);
      }
      yield [...g.keys, ...g.accs.map((a) => a.result())];
    }
  }

  explain(): string[] {
    return [this.groupBy.length > 0 ? 'HashAggregate' : 'Aggregate', ...indent(this.input.explain())];
  }
}
