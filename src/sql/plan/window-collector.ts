/**
 * WindowCollector gathers the window function calls of one query level (its target list, ORDER BY and
 * DISTINCT ON), as the aggregate Collector gathers aggregates: it resolves OVER clauses against the WINDOW
 * clause, compiles each distinct window (PARTITION BY, ORDER BY, frame) once and each call's arguments, in
 * the scope of the rows the window plan reads (the grouped rows of a grouped query). `finish` puts the
 * WindowPlan over those rows; each call reads its result from a column appended after them.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Expr, NamedWindow, WindowSpec } from '../ast.js';
import { AGGREGATES, resolveAggregateCall } from '../expr/aggregates.js';
import { numericOp } from '../expr/arithmetic.js';
import { coerce, settle } from '../expr/coerce.js';
import { compileExpr } from '../expr/compile.js';
import type { Compiled, WindowCollectorHook } from '../expr/context.js';
import type { Planner } from './planner.js';
import { isWindowFunction, refusing, resolveWindowFunction } from '../expr/window-functions.js';
import { compareFor } from '../types/compare.js';
import { isInteger, sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { TYPE_INFO } from '../types/sql-type.js';
import type { Plan } from './plan.js';
import { Scope, type ColumnInfo } from './scope.js';
import type { SortSpec } from './sort.js';
import {
  DEFAULT_FRAME,
  WindowPlan,
  type FrameBoundSpec,
  type FrameSpec,
  type RangeArithmetic,
  type WindowCall,
  type WindowDef,
} from './window.js';

type FuncCall = Extract<Expr, { kind: 'func' }>;

const NESTED = refusing(SqlState.WINDOWING_ERROR, 'window function calls cannot be nested');
const IN_DEFINITION = refusing(
  SqlState.WINDOWING_ERROR,
  'window functions are not allowed in window definitions',
);

export class WindowCollector implements WindowCollectorHook {
  private readonly named = new Map<string, WindowSpec>();
  private readonly windows: WindowDef[] = [];
  private readonly windowKeys: string[] = [];
  private readonly calls: WindowCall[] = [];
  private readonly columns: ColumnInfo[] = [];
  /** base: where the appended columns start in the window plan's rows (known at finish). */
  private base = 0;

  constructor(
    private readonly an: Planner,
    named: readonly NamedWindow[],
  ) {
    for (const w of named) {
      if (this.named.has(w.name))
        throw new SqlError(SqlState.WINDOWING_ERROR, `window "${w.name}" is already defined`, {
          position: w.spec.loc + 1,
        });
      this.named.set(w.name, this.resolve(w.spec));
    }
  }

  add(e: FuncCall, scope: Scope): Compiled {
    const spec = this.resolve(e.over!);
    const window = this.window(spec, scope);
    const saved = this.an.windows;
    this.an.windows = NESTED;
    let args: Compiled[];
    let filter: Compiled | undefined;
    try {
      args = e.star ? [] : e.args.map((a) => compileExpr(this.an, a, scope));
      filter = e.filter === undefined ? undefined : compileExpr(this.an, e.filter, scope);
    } finally {
      this.an.windows = saved;
    }
    let type: SqlType;
    if (isWindowFunction(e.name)) {
      if (e.distinct) throw notSupported('DISTINCT in window functions', e.loc + 1);
      if (filter !== undefined) throw notSupported('FILTER in non-aggregate window functions', e.loc + 1);
      const r = resolveWindowFunction(this.an, e.name, args, e.loc);
      this.calls.push({ window, kind: 'function', def: r.def, args: r.args.map((c) => c.eval) });
      type = r.def.result;
    } else if (Object.hasOwn(AGGREGATES, e.name)) {
      if (e.distinct) throw notSupported('DISTINCT in window functions', e.loc + 1);
      if (e.orderBy !== undefined && e.orderBy.length > 0)
        throw notSupported('ORDER BY in aggregates used as window functions', e.loc + 1);
      const r = resolveAggregateCall(this.an, e.name, args, e.star, e.loc);
      if (filter !== undefined && filter.type.id !== 'bool')
        throw new SqlError(SqlState.DATATYPE_MISMATCH, 'argument of FILTER must be type boolean', {
          position: e.filter!.loc + 1,
        });
      this.calls.push({
        window,
        kind: 'aggregate',
        def: r.def,
        args: r.args.map((c) => c.eval),
        filter:
          filter === undefined ? undefined : coerce(this.an, filter, sqlType('bool'), 'implicit', e.loc).eval,
      });
      type = r.def.result;
    } else
      throw new SqlError(
        SqlState.WRONG_OBJECT_TYPE,
        `OVER specified, but ${e.name} is not a window function nor an aggregate function`,
        { position: e.loc + 1 },
      );
    this.columns.push({ name: e.name, type, table: undefined, tableOid: 0, attnum: 0, hidden: true });
    const k = this.calls.length - 1;
    return { type, eval: (row) => row[this.base + k]!, correlated: args.some((a) => a.correlated) };
  }

  /** finish puts the window plan over `input` (the rows the calls were compiled against). */
  finish(input: Plan): Plan {
    this.base = input.columns.length;
    return new WindowPlan(input, this.windows, this.calls, [...input.columns, ...this.columns]);
  }

  /** resolve applies a reference to a named window: OVER w uses it, OVER (w ...) copies and extends it. */
  private resolve(spec: WindowSpec): WindowSpec {
    if (spec.ref === undefined) return spec;
    const name = spec.ref.name;
    const base = this.named.get(name);
    if (base === undefined)
      throw new SqlError(SqlState.UNDEFINED_OBJECT, `window "${name}" does not exist`, {
        position: spec.loc + 1,
      });
    if (!spec.ref.copy) return base;
    const fail = (message: string, hint?: string): SqlError =>
      new SqlError(SqlState.WINDOWING_ERROR, message, {
        position: spec.loc + 1,
        ...(hint === undefined ? {} : { hint }),
      });
    if (spec.partitionBy.length > 0) throw fail(`cannot override PARTITION BY clause of window "${name}"`);
    if (spec.orderBy.length > 0 && base.orderBy.length > 0)
      throw fail(`cannot override ORDER BY clause of window "${name}"`);
    if (base.frame !== undefined)
      throw fail(
        `cannot copy window "${name}" because it has a frame clause`,
        spec.orderBy.length === 0 && spec.frame === undefined
          ? 'Omit the parentheses in this OVER clause.'
          : undefined,
      );
    return {
      ref: undefined,
      partitionBy: base.partitionBy,
      orderBy: spec.orderBy.length > 0 ? spec.orderBy : base.orderBy,
      frame: spec.frame,
      loc: spec.loc,
    };
  }

  /** window returns the index of an equal window, compiling a new one when there is none. */
  private window(spec: WindowSpec, scope: Scope): number {
    const key = JSON.stringify([spec.partitionBy, spec.orderBy, spec.frame], (k, v) =>
      k === 'loc' ? undefined : (v as unknown),
    );
    const found = this.windowKeys.indexOf(key);
    if (found >= 0) return found;
    const saved = this.an.windows;
    this.an.windows = IN_DEFINITION;
    try {
      const sortSpec = (
        e: Expr,
        desc: boolean,
        nullsFirst: boolean | undefined,
        clause: string,
      ): SortSpec => {
        const c = settle(this.an, this.an.compile(e, scope, clause), e.loc);
        return { eval: c.eval, type: c.type, desc, nullsFirst };
      };
      const partition = spec.partitionBy.map((e) => sortSpec(e, false, undefined, 'window PARTITION BY'));
      const order = spec.orderBy.map((k) => sortSpec(k.expr, k.desc, k.nullsFirst, 'window ORDER BY'));
      this.windows.push({ partition, order, frame: this.frame(spec, order) });
    } finally {
      this.an.windows = saved;
    }
    this.windowKeys.push(key);
    return this.windows.length - 1;
  }

  private frame(spec: WindowSpec, order: readonly SortSpec[]): FrameSpec {
    const f = spec.frame;
    if (f === undefined) return DEFAULT_FRAME;
    const fail = (message: string): SqlError =>
      new SqlError(SqlState.WINDOWING_ERROR, message, { position: spec.loc + 1 });
    if (f.mode === 'groups' && order.length === 0) throw fail('GROUPS mode requires an ORDER BY clause');
    const hasOffset = (b: typeof f.start): boolean => b.kind === 'preceding' || b.kind === 'following';
    let range: RangeArithmetic | undefined;
    let offsetType = sqlType('int8');
    if (f.mode === 'range' && (hasOffset(f.start) || hasOffset(f.end))) {
      if (order.length !== 1)
        throw fail('RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column');
      const t = order[0]!.type;
      range = rangeArithmetic(t, spec.loc);
      offsetType = isInteger(t.id) ? sqlType('int8') : t;
    }
    const empty = new Scope([]);
    const bound = (b: typeof f.start): FrameBoundSpec => {
      if (b.kind !== 'preceding' && b.kind !== 'following') return { kind: b.kind };
      const c = this.an.compile(b.offset, empty, 'window frame');
      return { kind: b.kind, offset: coerce(this.an, c, offsetType, 'implicit', b.offset.loc).eval };
    };
    return {
      mode: f.mode,
      start: bound(f.start),
      end: bound(f.end),
      exclude: f.exclude,
      ...(range === undefined ? {} : { range }),
    };
  }
}

/** rangeArithmetic: RANGE offsets for numeric ORDER BY types (PostgreSQL's in_range functions). */
function rangeArithmetic(t: SqlType, loc: number): RangeArithmetic {
  switch (t.id) {
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
      return {
        shift: (v, k, sign) => (v as number) + sign * Number(k),
        negative: (k) => Number(k) < 0 || Number.isNaN(k),
        compare: compareFor('float8'),
      };
    case 'int8':
      return {
        shift: (v, k, sign) => (v as bigint) + BigInt(sign) * (k as bigint),
        negative: (k) => (k as bigint) < 0n,
        compare: compareFor('int8'),
      };
    case 'numeric':
      return {
        shift: (v, k, sign): Value => numericOp(sign > 0 ? '+' : '-', v as string, k as string),
        negative: (k) => (k as string).startsWith('-') || k === 'NaN',
        compare: compareFor('numeric'),
      };
    default:
      // PostgreSQL also has date and time types (offsets of type interval); shale does not yet.
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `RANGE with offset PRECEDING/FOLLOWING is not supported for column type ${TYPE_INFO[t.id].pgName}`,
        { position: loc + 1 },
      );
  }
}
