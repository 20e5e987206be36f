/**
 * FunctionScan: a set-returning function in FROM, generate_series(start, stop [, step]) over integers or
 * unnest(array). Its arguments may refer to FROM items to its left (PostgreSQL lets functions in FROM do so
 * without LATERAL) and to enclosing queries. The single output column is named by the alias, else by the
 * function.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { FromItem } from '../ast.js';
import { coerce, isUntyped } from '../expr/coerce.js';
import type { Compiled, ExecContext } from '../expr/context.js';
import { arrayElement, sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { checkInt, checkInt8 } from '../types/text-io.js';
import type { Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';
import type { Planner } from './planner.js';
import { Scope } from './scope.js';

type Generator = (args: Value[]) => Iterable<Value>;

export class FunctionScan implements Plan {
  constructor(
    readonly columns: readonly ColumnInfo[],
    private readonly name: string,
    private readonly args: readonly Compiled[],
    private readonly generate: Generator,
  ) {}
  *rows(ex: ExecContext): Iterable<Row> {
    const vs = this.args.map((a) => a.eval([], ex));
    if (vs.some((v) => v === null)) return;
    for (const v of this.generate(vs)) yield [v];
  }
  explain(): string[] {
    return [`Function Scan on ${this.name}`];
  }
}

function* series(start: bigint, stop: bigint, step: bigint, int8: boolean): Iterable<Value> {
  if (step === 0n) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'step size cannot equal zero');
  for (let i = start; step > 0n ? i <= stop : i >= stop; i += step)
    yield int8 ? checkInt8(i) : checkInt('int4', Number(i));
}

/** planFunctionScan plans a function in FROM. */
export function planFunctionScan(
  planner: Planner,
  item: Extract<FromItem, { kind: 'function' }>,
  outer: Scope | undefined,
): FunctionScan {
  const f = item.func;
  if (f.kind !== 'func') throw notSupported('this expression in FROM');
  const scope = new Scope([], outer);
  const raw = f.args.map((a) => planner.compile(a, scope, 'FROM'));
  let type: SqlType;
  let args: Compiled[];
  let generate: Generator;
  if (f.name === 'generate_series' && (raw.length === 2 || raw.length === 3)) {
    const int8 = raw.some((a) => !isUntyped(a) && a.type.id === 'int8');
    const bad = raw.find((a) => !isUntyped(a) && !['int2', 'int4', 'int8'].includes(a.type.id));
    if (bad !== undefined) throw notSupported(`generate_series over ${bad.type.id}`, f.loc + 1);
    type = sqlType(int8 ? 'int8' : 'int4');
    args = raw.map((a, i) => coerce(planner, a, sqlType('int8'), 'implicit', f.args[i]!.loc));
    generate = ([a, b, s]) => series(a as bigint, b as bigint, (s as bigint | undefined) ?? 1n, int8);
  } else if (f.name === 'unnest' && raw.length === 1) {
    const a = raw[0]!;
    const elem = isUntyped(a) ? undefined : arrayElement(a.type.id);
    if (elem === undefined)
      throw new SqlError(SqlState.UNDEFINED_FUNCTION, 'function unnest(unknown) is not unique', {
        position: f.loc + 1,
      });
    type = sqlType(elem);
    args = [a];
    generate = ([v]) => v as readonly Value[];
  } else throw notSupported(`function ${f.name} in FROM`, f.loc + 1);
  const table = item.alias ?? f.name;
  const name = item.columnAliases[0] ?? item.alias ?? f.name;
  return new FunctionScan([{ name, type, table, tableOid: 0, attnum: 0 }], f.name, args, generate);
}
