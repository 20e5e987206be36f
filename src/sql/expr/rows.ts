/**
 * Row expressions: row constructors (`ROW(a, b)`, `(a, b)`), whole-row references (`t` for a FROM item),
 * and comparisons between two row constructors, which PostgreSQL expands field by field
 * (make_row_comparison_op): `=` is the AND of the fields' `=`, `<>` the OR of their `<>`, and `<`, `<=`,
 * `>`, `>=` are decided by the first pair of fields that differ (NULL when that pair holds a NULL).
 * Comparisons of record values (not both constructors) are record_cmp (types/record.ts).
 */
import { SqlError, SqlState, notSupported } from '../errors.js';
import type { Compare } from '../types/compare.js';
import { RecordValue, anonymousNames } from '../types/record.js';
import { sqlType, type Value } from '../types/sql-type.js';
import type { WholeRow } from '../plan/scope.js';
import type { Compiled, Evaluator } from './context.js';

const RECORD = sqlType('record');
const BOOL = sqlType('bool');

/** compileRow builds ROW(f1, f2, ...) from its compiled fields (untyped literals stay unknown, as in PG). */
export function compileRow(fields: readonly Compiled[], names: readonly string[] | undefined): Compiled {
  const fs = fields.map((c) => c.eval);
  const types = fields.map((c) => c.type);
  const fieldNames = names ?? anonymousNames(fields.length);
  return {
    type: RECORD,
    eval: (r, ex) =>
      new RecordValue(
        fs.map((f) => f(r, ex)),
        types,
        fieldNames,
      ),
    correlated: fields.some((c) => c.correlated),
    volatile: fields.some((c) => c.volatile),
  };
}

/**
 * checkWholeRow checks that a whole-row reference can be built: shale cannot tell a NULL-extended row of
 * an outer join (whose whole-row value is NULL in PostgreSQL) from a row of NULLs (a record of NULLs).
 */
export function checkWholeRow(name: string, w: WholeRow, loc: number): void {
  if (w.columns.some((c) => c.nullable === true))
    throw notSupported(`whole-row references ("${name}") to the nullable side of an outer join`, loc + 1);
}

/** RowPair is one pair of fields of a row comparison, brought to one type, with that type's order. */
export interface RowPair {
  readonly a: Compiled;
  readonly b: Compiled;
  readonly cmp: Compare;
}

/** checkRowLengths: both constructors of a comparison have the same, non-zero, number of fields. */
export function checkRowLengths(left: number, right: number, loc: number): void {
  if (left !== right)
    throw new SqlError(SqlState.SYNTAX_ERROR, 'unequal number of entries in row expressions', {
      position: loc + 1,
    });
  if (left === 0)
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'cannot compare rows of zero length', {
      position: loc + 1,
    });
}

/** compileRowComparison compiles `ROW(...) op ROW(...)` from its field pairs (see the file comment). */
export function compileRowComparison(op: string, pairs: readonly RowPair[]): Compiled {
  const as = pairs.map((p) => p.a.eval);
  const bs = pairs.map((p) => p.b.eval);
  const cmps = pairs.map((p) => p.cmp);
  const n = pairs.length;
  // field(i): -2 when either side is NULL, else the order of the pair.
  const field = (i: number, r: Value[], ex: Parameters<Evaluator>[1]): number => {
    const x = as[i]!(r, ex);
    const y = bs[i]!(r, ex);
    if (x === null || y === null) return x === y ? NULLS_BOTH : NULL_ONE;
    return Math.sign(cmps[i]!(x, y));
  };
  let eval_: Evaluator;
  switch (op) {
    case '=':
    case '<>':
    case '!=': {
      // = is the AND of the fields' =; <> the OR of their <> (NOT of the same three-valued result).
      const eq = op === '=';
      eval_ = (r, ex) => {
        let sawNull = false;
        for (let i = 0; i < n; i++) {
          const c = field(i, r, ex);
          if (c < -1) sawNull = true;
          else if (c !== 0) return !eq;
        }
        return sawNull ? null : eq;
      };
      break;
    }
    case 'is distinct from':
    case 'is not distinct from': {
      const distinct = op === 'is distinct from';
      eval_ = (r, ex) => {
        for (let i = 0; i < n; i++) {
          const c = field(i, r, ex);
          if (c !== 0 && c !== NULLS_BOTH) return distinct;
        }
        return !distinct;
      };
      break;
    }
    default: {
      const strict = op === '<' || op === '>';
      const less = op === '<' || op === '<=';
      eval_ = (r, ex) => {
        for (let i = 0; i < n; i++) {
          const c = field(i, r, ex);
          if (c < -1) return null;
          if (c !== 0) return less ? c < 0 : c > 0;
        }
        return !strict;
      };
    }
  }
  return {
    type: BOOL,
    eval: eval_,
    correlated: pairs.some((p) => p.a.correlated || p.b.correlated),
    volatile: pairs.some((p) => p.a.volatile || p.b.volatile),
  };
}

/** NULLS_BOTH, NULL_ONE: what field() reports for a pair with two NULLs, resp. one. */
const NULLS_BOTH = -3;
const NULL_ONE = -2;
