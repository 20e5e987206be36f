/**
 * FunctionScan: a set-returning function in FROM, generate_series(start, stop [, step]) over integers or
 * numeric, unnest(array), regexp_matches and regexp_split_to_table, or one of the JSON functions of json-table-functions.ts (json(b)_each, ...). Its arguments may refer to FROM items to its left (PostgreSQL lets functions
 * in FROM do so without LATERAL) and to enclosing queries. The column is named after the alias (FROM f(...)
 * AS g gives column g; AS g(x) column x), else after the function, as PostgreSQL names them.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { FromItem } from '../ast.js';
import { coerce, isUntyped } from '../expr/coerce.js';
import type { Analyzer, Compiled, ExecContext } from '../expr/context.js';
import { numericOp } from '../expr/arithmetic.js';
import { regexpMatches, regexpSplit } from '../expr/regex.js';
import { compareNumeric } from '../types/numeric.js';
import { compareInterval, timestampPlusInterval } from '../types/interval.js';
import type { TimeZone } from '../types/time-zone.js';
import { timestamptzPlusInterval } from '../types/zoned-arith.js';
import {
  arrayElement,
  sqlType,
  TYPE_INFO,
  type SqlType,
  type TypeId,
  type Value,
} from '../types/sql-type.js';
import { JSON_TABLE_FUNCTIONS, type JsonTableFunction } from './json-table-functions.js';
import type { Plan } from './plan.js';
import type { Planner } from './planner.js';
import { Scope, type ColumnInfo, type Row } from './scope.js';

type Series = (args: readonly Value[], ex: ExecContext) => Iterable<Value>;

function seriesType(types: readonly SqlType[]): TypeId | undefined {
  const ids = types.map((t) => t.id);
  if (ids.every((t) => t === 'int2' || t === 'int4' || t === 'unknown')) return 'int4';
  if (ids.every((t) => t === 'int2' || t === 'int4' || t === 'int8' || t === 'unknown')) return 'int8';
  if (ids.every((t) => t === 'int2' || t === 'int4' || t === 'int8' || t === 'numeric' || t === 'unknown'))
    return 'numeric';
  return undefined;
}

/**
 * timestampSeriesType: generate_series(start, stop, interval) over timestamps: timestamp when both ends
 * are, else timestamptz (dates too, as PostgreSQL resolves them).
 */
function timestampSeriesType(args: readonly Compiled[]): TypeId | undefined {
  if (args.length !== 3) return undefined;
  const [a, b, s] = args.map((c) => (isUntyped(c) ? 'unknown' : c.type.id));
  const ends = [a, b];
  if (s !== 'interval' && s !== 'unknown') return undefined;
  if (!ends.every((t) => t === 'date' || t === 'timestamp' || t === 'timestamptz' || t === 'unknown'))
    return undefined;
  if (ends.every((t) => t === 'unknown')) return undefined;
  return ends.every((t) => t === 'timestamp' || t === 'unknown') ? 'timestamp' : 'timestamptz';
}

/** timestampSeries steps a timestamp, or a timestamptz in wall-clock time of `zone` (as its + does). */
function* timestampSeries(
  start: bigint,
  stop: bigint,
  step: string,
  zone: TimeZone | undefined,
): Iterable<Value> {
  const sign = compareInterval(step, '0 0 0');
  if (sign === 0) throw zeroStep();
  const next = (v: bigint): bigint =>
    zone === undefined ? timestampPlusInterval(v, step, 1) : timestamptzPlusInterval(v, step, 1, zone);
  for (let v = start; sign > 0 ? v <= stop : v >= stop; v = next(v)) yield v;
}

function zeroStep(): SqlError {
  return new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot equal zero');
}

function* intSeries(start: number, stop: number, step: number): Iterable<Value> {
  if (step === 0) throw zeroStep();
  for (let v = start; step > 0 ? v <= stop : v >= stop; v += step) yield v;
}

function* int8Series(start: bigint, stop: bigint, step: bigint): Iterable<Value> {
  if (step === 0n) throw zeroStep();
  for (let v = start; step > 0n ? v <= stop : v >= stop; v += step) yield v;
}

function* numericSeries(start: string, stop: string, step: string): Iterable<Value> {
  if (start === 'NaN' || stop === 'NaN' || step === 'NaN')
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'start value cannot be NaN');
  const sign = compareNumeric(step, '0');
  if (sign === 0) throw zeroStep();
  for (let v = start; sign > 0 ? compareNumeric(v, stop) <= 0 : compareNumeric(v, stop) >= 0;) {
    yield v;
    v = numericOp('+', v, step);
  }
}

function resolveSeries(
  an: Analyzer,
  args: Compiled[],
  loc: number,
): { type: SqlType; run: Series; args: Compiled[] } {
  if (args.length !== 2 && args.length !== 3) throw noFunction(args, loc);
  const time = timestampSeriesType(args);
  if (time !== undefined) {
    const t = sqlType(time);
    const cs = [
      ...args.slice(0, 2).map((a) => coerce(an, a, t, 'implicit', loc)),
      coerce(an, args[2]!, sqlType('interval'), 'implicit', loc),
    ];
    const zoned = time === 'timestamptz';
    return {
      type: t,
      run: ([a, b, s], ex) =>
        timestampSeries(a as bigint, b as bigint, s as string, zoned ? ex.runtime.io.zone : undefined),
      args: cs,
    };
  }
  const id = seriesType(args.map((a) => (isUntyped(a) ? sqlType('unknown') : a.type)));
  if (id === undefined) throw noFunction(args, loc);
  const t = sqlType(id);
  const cs = args.map((a) => coerce(an, a, t, 'implicit', loc));
  const run: Series =
    id === 'int4'
      ? ([a, b, s]) => intSeries(a as number, b as number, (s as number | undefined) ?? 1)
      : id === 'int8'
        ? ([a, b, s]) => int8Series(a as bigint, b as bigint, (s as bigint | undefined) ?? 1n)
        : ([a, b, s]) => numericSeries(a as string, b as string, (s as string | undefined) ?? '1');
  return { type: t, run, args: cs };
}

function noFunction(args: readonly Compiled[], loc: number): SqlError {
  return new SqlError(
    SqlState.UNDEFINED_FUNCTION,
    `function generate_series(${args.map((a) => (isUntyped(a) ? 'unknown' : a.type.id)).join(', ')}) does not exist`,
    {
      position: loc + 1,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    },
  );
}

/** TableFunction: a function's rows for its argument values (none of them NULL). */
export type TableFunction = (args: readonly Value[], ex: ExecContext) => Iterable<Row>;

function* singleColumn(values: Iterable<Value>): Iterable<Row> {
  for (const v of values) yield [v];
}

/** FunctionScan runs a function in FROM once per execution of its level. */
export class FunctionScan implements Plan {
  constructor(
    readonly columns: readonly ColumnInfo[],
    private readonly args: readonly Compiled[],
    private readonly run: TableFunction,
    private readonly name: string,
  ) {}
  *rows(ex: ExecContext): Iterable<Row> {
    const vs = this.args.map((a) => a.eval([], ex));
    if (vs.some((v) => v === null)) return;
    yield* this.run(vs, ex);
  }
  explain(): string[] {
    return [`Function Scan on ${this.name}`];
  }
}

/**
 * ResolvedFunction: a set-returning call resolved for its arguments: its columns (`named` false: one column,
 * named after its alias or the function), its coerced arguments and its rows.
 */
export interface ResolvedFunction {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly named: boolean;
  readonly args: readonly Compiled[];
  readonly run: TableFunction;
}

/**
 * resolveTableFunction resolves `name(raw...)`, a set-returning function (FROM and select lists share it);
 * undefined when shale does not run one of that name.
 */
export function resolveTableFunction(
  an: Analyzer,
  name: string,
  raw: Compiled[],
  loc: number,
): ResolvedFunction | undefined {
  const json = Object.hasOwn(JSON_TABLE_FUNCTIONS, name) ? JSON_TABLE_FUNCTIONS[name] : undefined;
  if (json !== undefined) return resolveJsonFunction(an, name, json, raw, loc);
  let r: { type: SqlType; run: Series; args: Compiled[] };
  if (name === 'generate_series') r = resolveSeries(an, raw, loc);
  else if (name === 'unnest' && raw.length === 1) {
    const a = raw[0]!;
    const elem = isUntyped(a) ? undefined : arrayElement(a.type.id);
    if (elem === undefined)
      throw new SqlError(SqlState.UNDEFINED_FUNCTION, 'function unnest(unknown) is not unique', {
        position: loc + 1,
      });
    r = { type: sqlType(elem), args: [a], run: ([v]) => v as readonly Value[] };
  } else if (
    (name === 'regexp_matches' || name === 'regexp_split_to_table') &&
    (raw.length === 2 || raw.length === 3)
  ) {
    const text = sqlType('text');
    const args = raw.map((a) => coerce(an, a, text, 'implicit', loc));
    // Strict, as every function here: FunctionScan and ProjectSet give no rows for a NULL argument.
    const flags = (f: Value | undefined): string => (f ?? '') as string;
    r =
      name === 'regexp_matches'
        ? {
            type: sqlType('_text'),
            args,
            run: ([s, p, f]) => regexpMatches(s as string, p as string, flags(f)),
          }
        : {
            type: text,
            args,
            run: ([s, p, f]) => regexpSplit(s as string, p as string, flags(f), name),
          };
  } else return undefined;
  const series = r.run;
  return {
    columns: [{ name, type: r.type }],
    named: false,
    args: r.args,
    run: (vs, ex) => singleColumn(series(vs, ex)),
  };
}

/** planFunctionScan plans `FROM f(args) [AS alias [(column)]]`. */
export function planFunctionScan(
  planner: Planner,
  item: Extract<FromItem, { kind: 'function' }>,
  outer: Scope | undefined,
): FunctionScan {
  const f = item.func;
  if (f.kind !== 'func') throw notSupported('this expression in FROM', item.loc + 1);
  const scope = new Scope([], outer);
  const raw = f.args.map((a) => planner.compile(a, scope, 'FROM'));
  const r = resolveTableFunction(planner, f.name, raw, f.loc);
  if (r === undefined) throw notSupported(`function ${f.name} in FROM`, f.loc + 1);
  const aliases = item.columnAliases;
  const table = item.alias ?? f.name;
  const available = r.columns.length + (item.ordinality ? 1 : 0);
  if (aliases.length > available) throw tooManyAliases(table, available, aliases.length, item.loc);
  const names = r.named
    ? r.columns.map((c, i) => aliases[i] ?? c.name)
    : [aliases[0] ?? item.alias ?? r.columns[0]!.name];
  let run = r.run;
  const produced = [...r.columns];
  if (item.ordinality) {
    names.push(aliases[r.columns.length] ?? 'ordinality');
    produced.push({ name: 'ordinality', type: sqlType('int8') });
    run = withOrdinality(r.run);
  }
  const columns: ColumnInfo[] = produced.map((c, i) => ({
    name: names[i]!,
    type: c.type,
    table,
    tableOid: 0,
    attnum: 0,
  }));
  return new FunctionScan(columns, r.args, run, f.name);
}

/** withOrdinality: the rows of `run`, each followed by its number (bigint, from 1). */
function withOrdinality(run: TableFunction): TableFunction {
  return function* (vs, ex) {
    let n = 0n;
    for (const row of run(vs, ex)) yield [...row, ++n];
  };
}

function tooManyAliases(table: string, available: number, given: number, loc: number): SqlError {
  return new SqlError(
    '42P10',
    `table "${table}" has ${available} columns available but ${given} columns specified`,
    { position: loc + 1 },
  );
}

/** resolveJsonFunction resolves json(b)_each and the other JSON functions of json-table-functions.ts. */
function resolveJsonFunction(
  an: Analyzer,
  name: string,
  fn: JsonTableFunction,
  raw: readonly Compiled[],
  loc: number,
): ResolvedFunction {
  const types = raw.map((a) => (isUntyped(a) ? 'unknown' : TYPE_INFO[a.type.id].pgName));
  const noFunction = (): SqlError =>
    new SqlError(SqlState.UNDEFINED_FUNCTION, `function ${name}(${types.join(', ')}) does not exist`, {
      position: loc + 1,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
    });
  if (raw.length !== 1) throw noFunction();
  let arg: Compiled;
  try {
    arg = coerce(an, raw[0]!, fn.argType, 'implicit', loc);
  } catch (err) {
    if (err instanceof SqlError && err.code === SqlState.DATATYPE_MISMATCH) throw noFunction();
    throw err;
  }
  return {
    columns: fn.columns,
    named: fn.named,
    args: [arg],
    run: ([v]) => fn.rows(v as string),
  };
}
