/**
 * The window functions proper (row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead,
 * first_value, last_value, nth_value), with PostgreSQL's result types and argument errors. Each computes a
 * whole partition at once from the peer groups and frames the window plan (plan/window.ts) worked out.
 * Aggregates used with OVER are folded by the plan itself.
 */
import { SqlError, SqlState } from '../errors.js';
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import type { Row } from '../plan/scope.js';
import { coerce, commonType, isUntyped, settle } from './coerce.js';
import type { Analyzer, Compiled, Evaluator, ExecContext, WindowCollectorHook } from './context.js';

/** FrameRanges: a row's frame as ranges [start, end) of partition positions, in order (EXCLUDE splits it). */
export type FrameRanges = readonly (readonly [number, number])[];

/**
 * WindowPartition is one partition's rows in window order. Positions are 0-based; peers are rows equal on
 * the window's ORDER BY (all rows, without one).
 */
export interface WindowPartition {
  readonly size: number;
  row(i: number): Row;
  /** peerStart, peerEnd: the positions [start, end) of row i's peer group. */
  peerStart(i: number): number;
  peerEnd(i: number): number;
  /** group: the index of row i's peer group (0 for the first). */
  group(i: number): number;
  frame(i: number): FrameRanges;
}

export interface WindowFunctionDef {
  readonly result: SqlType;
  /** compute returns the function's value at each position of the partition. */
  compute(p: WindowPartition, args: readonly Evaluator[], ex: ExecContext): Value[];
}

const INT8 = sqlType('int8');
const INT4 = sqlType('int4');
const FLOAT8 = sqlType('float8');

type Resolver = (an: Analyzer, args: Compiled[], loc: number) => { def: WindowFunctionDef; args: Compiled[] };

function fill(p: WindowPartition, f: (i: number) => Value): Value[] {
  const out: Value[] = new Array(p.size);
  for (let i = 0; i < p.size; i++) out[i] = f(i);
  return out;
}

function noArgs(name: string, result: SqlType, f: (p: WindowPartition, i: number) => Value): Resolver {
  return (_an, args, loc) => {
    if (args.length !== 0) throw noSuchFunction(name, args, loc);
    return { def: { result, compute: (p) => fill(p, (i) => f(p, i)) }, args };
  };
}

function noSuchFunction(name: string, args: readonly Compiled[], loc: number): SqlError {
  return new SqlError(
    SqlState.UNDEFINED_FUNCTION,
    `function ${name}(${args.map((a) => a.type.id).join(', ')}) does not exist`,
    {
      position: loc + 1,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    },
  );
}

/** ntileBucket: PostgreSQL's ntile: the first n % k buckets get one row more. */
function ntileBucket(n: number, k: number, i: number): number {
  const per = Math.floor(n / k);
  const extra = n % k;
  const big = extra * (per + 1);
  return i < big ? Math.floor(i / (per + 1)) + 1 : extra + Math.floor((i - big) / per) + 1;
}

/** frameRow: the position of the k-th (0-based) row of a frame, or -1 when the frame is shorter. */
function frameRow(ranges: FrameRanges, k: number): number {
  for (const [s, e] of ranges) {
    if (k < e - s) return s + k;
    k -= e - s;
  }
  return -1;
}

function lastFrameRow(ranges: FrameRanges): number {
  for (let j = ranges.length - 1; j >= 0; j--) if (ranges[j]![1] > ranges[j]![0]) return ranges[j]![1] - 1;
  return -1;
}

/** lagLead: lag (direction -1) and lead (+1) with an optional offset and default. */
function lagLead(name: string, direction: number): Resolver {
  return (an, args, loc) => {
    if (args.length < 1 || args.length > 3) throw noSuchFunction(name, args, loc);
    const offset = args[1] === undefined ? undefined : coerce(an, args[1], INT4, 'implicit', loc);
    let value = settle(an, args[0]!, loc);
    let dflt: Compiled | undefined;
    if (args[2] !== undefined) {
      // lag(anycompatible, integer, anycompatible): the value and the default meet in a common type.
      const t = isUntyped(args[2]) ? value.type : commonType(value.type, args[2].type);
      if (t === undefined) throw noSuchFunction(name, args, loc);
      value = coerce(an, value, t, 'implicit', loc);
      dflt = coerce(an, args[2], t, 'implicit', loc);
    }
    const out = [value, ...(offset === undefined ? [] : [offset]), ...(dflt === undefined ? [] : [dflt])];
    return {
      args: out,
      def: {
        result: value.type,
        compute: (p, fs, ex) =>
          fill(p, (i) => {
            const r = p.row(i);
            const off = fs[1] === undefined ? 1 : fs[1](r, ex);
            if (off === null) return null;
            const j = i + direction * (off as number);
            if (j < 0 || j >= p.size) return fs[2] === undefined ? null : fs[2](r, ex);
            return fs[0]!(p.row(j), ex);
          }),
      },
    };
  };
}

function positiveArg(v: Value, fn: string, code: string): number {
  const n = v as number;
  if (n <= 0) throw new SqlError(code, `argument of ${fn} must be greater than zero`);
  return n;
}

const WINDOW_FUNCTIONS: Record<string, Resolver> = {
  row_number: noArgs('row_number', INT8, (_p, i) => BigInt(i + 1)),
  rank: noArgs('rank', INT8, (p, i) => BigInt(p.peerStart(i) + 1)),
  dense_rank: noArgs('dense_rank', INT8, (p, i) => BigInt(p.group(i) + 1)),
  percent_rank: noArgs('percent_rank', FLOAT8, (p, i) => (p.size > 1 ? p.peerStart(i) / (p.size - 1) : 0)),
  cume_dist: noArgs('cume_dist', FLOAT8, (p, i) => p.peerEnd(i) / p.size),
  ntile: (an, args, loc) => {
    if (args.length !== 1) throw noSuchFunction('ntile', args, loc);
    const k = coerce(an, args[0]!, INT4, 'implicit', loc);
    return {
      args: [k],
      def: {
        result: INT4,
        compute: (p, fs, ex) => {
          // PostgreSQL reads the bucket count once per partition, at its first row.
          const v = fs[0]!(p.row(0), ex);
          if (v === null) return fill(p, () => null);
          const n = positiveArg(v, 'ntile', '22014');
          return fill(p, (i) => ntileBucket(p.size, Math.min(n, p.size), i));
        },
      },
    };
  },
  lag: lagLead('lag', -1),
  lead: lagLead('lead', 1),
  first_value: valueAt('first_value', (ranges) => frameRow(ranges, 0)),
  last_value: valueAt('last_value', lastFrameRow),
  nth_value: (an, args, loc) => {
    if (args.length !== 2) throw noSuchFunction('nth_value', args, loc);
    const value = settle(an, args[0]!, loc);
    const n = coerce(an, args[1]!, INT4, 'implicit', loc);
    return {
      args: [value, n],
      def: {
        result: value.type,
        compute: (p, fs, ex) =>
          fill(p, (i) => {
            const k = fs[1]!(p.row(i), ex);
            if (k === null) return null;
            const j = frameRow(p.frame(i), positiveArg(k, 'nth_value', '22016') - 1);
            return j < 0 ? null : fs[0]!(p.row(j), ex);
          }),
      },
    };
  },
};

function valueAt(name: string, pick: (ranges: FrameRanges) => number): Resolver {
  return (an, args, loc) => {
    if (args.length !== 1) throw noSuchFunction(name, args, loc);
    const value = settle(an, args[0]!, loc);
    return {
      args: [value],
      def: {
        result: value.type,
        compute: (p, fs, ex) =>
          fill(p, (i) => {
            const j = pick(p.frame(i));
            return j < 0 ? null : fs[0]!(p.row(j), ex);
          }),
      },
    };
  };
}

/** isWindowFunction: `name` is a window function proper (it needs OVER). */
export function isWindowFunction(name: string): boolean {
  return Object.hasOwn(WINDOW_FUNCTIONS, name);
}

/** resolveWindowFunction checks a window function's arguments and coerces them to what it takes. */
export function resolveWindowFunction(
  an: Analyzer,
  name: string,
  args: Compiled[],
  loc: number,
): { def: WindowFunctionDef; args: Compiled[] } {
  return WINDOW_FUNCTIONS[name]!(an, args, loc);
}

/** refusing: a window hook for places window calls may not appear, failing with PostgreSQL's error. */
export function refusing(code: string, message: string): WindowCollectorHook {
  return {
    add: (e) => {
      throw new SqlError(code, message, { position: e.loc + 1 });
    },
  };
}
