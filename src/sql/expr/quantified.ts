/**
 * x op ANY (subquery) and x op ALL (subquery), for the comparison operators (over arrays: compileAnyAll
 * in arrays.ts), with SQL's three-valued results: ANY is true if some comparison is true, else NULL if some is
 * NULL, else false (false over no rows); ALL is false if some comparison is false, else NULL if some is
 * NULL, else true (true over no rows).
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Expr } from '../ast.js';
import type { Scope } from '../plan/scope.js';
import { castValue } from '../types/cast.js';
import { compareFor } from '../types/compare.js';
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { coerce, commonType, isUntyped } from './coerce.js';
import { compileExpr, comparisonTest, noOperator } from './compile.js';
import type { Analyzer, Compiled, ExecContext } from './context.js';
import type { Row } from '../plan/scope.js';

const OPERATORS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=']);

/** compileQuantified compiles arg op ANY/ALL (subquery). */
export function compileQuantified(
  an: Analyzer,
  e: Extract<Expr, { kind: 'quantified' }>,
  scope: Scope,
): Compiled {
  const what = `${e.op} ${e.all ? 'ALL' : 'ANY'}`;
  if (!OPERATORS.has(e.op)) throw notSupported(`${what} (subquery)`, e.loc + 1);
  if (e.arg.kind === 'row') throw notSupported('row constructors compared with a subquery', e.loc + 1);
  let a = compileExpr(an, e.arg, scope);
  const sub = an.planSubquery(e.query, an.aggregates?.outputScope ?? scope);
  if (sub.columns.length !== 1)
    throw new SqlError(SqlState.SYNTAX_ERROR, 'subquery has too many columns', { position: e.loc + 1 });
  const colType = sub.columns[0]!.type;
  const t = isUntyped(a) ? colType : commonType(a.type, colType);
  if (t === undefined || t.id === 'json') throw noOperator(e.op, a.type, colType, e.loc);
  const elemType: SqlType = t;
  const key = {};
  const values = (row: Row, ex: ExecContext): Value[] => {
    if (!sub.correlated && ex.cache.has(key)) return ex.cache.get(key) as Value[];
    const out: Value[] = [];
    ex.outer.push(row);
    try {
      for (const r of sub.rows(ex)) out.push(castValue(r[0]!, colType, t, false, ex.runtime.io));
    } finally {
      ex.outer.pop();
    }
    if (!sub.correlated) ex.cache.set(key, out);
    return out;
  };
  const correlated = sub.correlated;
  a = coerce(an, a, elemType, 'implicit', e.loc);
  const cmp = compareFor(elemType.id === 'unknown' ? sqlType('text').id : elemType.id);
  const test = comparisonTest(e.op);
  const fa = a.eval;
  const all = e.all;
  return {
    type: sqlType('bool'),
    eval: (row, ex) => {
      const vs = values(row, ex);
      const x = fa(row, ex);
      let sawNull = false;
      for (const y of vs) {
        if (x === null || y === null) {
          sawNull = true;
          continue;
        }
        const ok = test(cmp(x, y));
        if (ok && !all) return true;
        if (!ok && all) return false;
      }
      return sawNull ? null : all;
    },
    correlated: correlated || a.correlated,
    volatile: true,
  };
}
