/**
 * Array expressions: ARRAY[...] constructors, subscripts (a[i], 1-based, NULL out of range), `x op ANY/ALL
 * (array)` and array || array, with PostgreSQL's NULL rules.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { castValue } from '../types/cast.js';
import { compareFor } from '../types/compare.js';
import { TYPE_INFO, arrayElement, arrayOf, sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { coerce, commonType, isUntyped } from './coerce.js';
import type { Analyzer, Compiled } from './context.js';

/** arrayTypeOf returns the array type of an element type, or throws 0A000 when shale has none. */
export function arrayTypeOf(elem: SqlType, loc: number): SqlType {
  const id = elem.id === 'unknown' ? arrayOf('text') : arrayOf(elem.id);
  if (id === undefined) throw notSupported(`arrays of ${TYPE_INFO[elem.id].pgName}`, loc + 1);
  return sqlType(id);
}

/** lowerBound: an array's first subscript (1; 0 for int2vector, as PostgreSQL builds those). */
export function lowerBound(t: SqlType): number {
  return t.id === 'int2vector' ? 0 : 1;
}

/** compileArray builds ARRAY[e1, e2, ...] from elements already brought to one type. */
export function compileArray(elems: Compiled[], elemType: SqlType, loc: number): Compiled {
  const type = arrayTypeOf(elemType, loc);
  const fs = elems.map((c) => c.eval);
  return {
    type,
    eval: (r, ex) => fs.map((f) => f(r, ex)),
    correlated: elems.some((c) => c.correlated),
    volatile: elems.some((c) => c.volatile),
  };
}

/** compileSubscript compiles a[i]. */
export function compileSubscript(an: Analyzer, a: Compiled, i: Compiled, loc: number): Compiled {
  const elem = arrayElement(a.type.id);
  if (elem === undefined)
    throw new SqlError(
      SqlState.DATATYPE_MISMATCH,
      `cannot subscript type ${TYPE_INFO[a.type.id].pgName} because it does not support subscripting`,
      { position: loc + 1 },
    );
  const idx = coerce(an, i, sqlType('int4'), 'implicit', loc);
  const fa = a.eval;
  const fi = idx.eval;
  const lower = lowerBound(a.type);
  return {
    type: sqlType(elem),
    eval: (r, ex) => {
      const v = fa(r, ex) as readonly Value[] | null;
      const k = fi(r, ex) as number | null;
      if (v === null || k === null || k < lower || k >= v.length + lower) return null;
      return v[k - lower]!;
    },
    correlated: a.correlated || i.correlated,
    volatile: a.volatile || i.volatile,
  };
}

const TESTS: Record<string, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '<>': (c) => c !== 0,
  '!=': (c) => c !== 0,
  '<': (c) => c < 0,
  '>': (c) => c > 0,
  '<=': (c) => c <= 0,
  '>=': (c) => c >= 0,
};

/** compileAnyAll compiles `l op ANY (r)` or `l op ALL (r)` for a comparison operator. */
export function compileAnyAll(
  an: Analyzer,
  op: string,
  l: Compiled,
  r: Compiled,
  all: boolean,
  loc: number,
): Compiled {
  const test = TESTS[op];
  if (test === undefined) throw notSupported(`${op} ${all ? 'ALL' : 'ANY'} (array)`, loc + 1);
  let left = l;
  let right = r;
  if (isUntyped(right)) {
    const lt = isUntyped(left) ? sqlType('text') : left.type;
    right = coerce(an, right, arrayTypeOf(lt, loc), 'implicit', loc);
  }
  const elem = arrayElement(right.type.id);
  if (elem === undefined)
    throw new SqlError('42809', `op ANY/ALL (array) requires array on right side`, { position: loc + 1 });
  if (isUntyped(left)) left = coerce(an, left, sqlType(elem), 'implicit', loc);
  const t = commonType(left.type, sqlType(elem));
  if (t === undefined)
    throw new SqlError(
      SqlState.UNDEFINED_FUNCTION,
      `operator does not exist: ${TYPE_INFO[left.type.id].pgName} ${op} ${TYPE_INFO[elem].pgName}`,
      { position: loc + 1 },
    );
  const lc = coerce(an, left, t, 'implicit', loc);
  const et = sqlType(elem);
  const cmp = compareFor(t.id);
  const fl = lc.eval;
  const fr = right.eval;
  return {
    type: sqlType('bool'),
    eval: (row, ex) => {
      const x = fl(row, ex);
      const arr = fr(row, ex) as readonly Value[] | null;
      if (arr === null) return null;
      if (arr.length === 0) return all;
      if (x === null) return null;
      let sawNull = false;
      for (const e of arr) {
        if (e === null) {
          sawNull = true;
          continue;
        }
        const hit = test(cmp(x, castValue(e, et, t, false, ex.runtime.io)!));
        if (hit && !all) return true;
        if (!hit && all) return false;
      }
      return sawNull ? null : all;
    },
    correlated: l.correlated || r.correlated,
    volatile: l.volatile || r.volatile,
  };
}

/** compileArrayConcat compiles array || array (both of one element type). */
export function compileArrayConcat(an: Analyzer, l: Compiled, r: Compiled, loc: number): Compiled {
  const type = isUntyped(l) ? r.type : l.type;
  const a = coerce(an, l, type, 'implicit', loc);
  const b = coerce(an, r, type, 'implicit', loc);
  const fa = a.eval;
  const fb = b.eval;
  return {
    type,
    eval: (row, ex) => {
      const x = fa(row, ex) as readonly Value[] | null;
      const y = fb(row, ex) as readonly Value[] | null;
      if (x === null) return y;
      if (y === null) return x;
      return [...x, ...y];
    },
    correlated: a.correlated || b.correlated,
    volatile: a.volatile || b.volatile,
  };
}
