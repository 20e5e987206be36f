/**
 * Bitwise operators on integers: & | # (xor) ~ (not) << >>, with PostgreSQL's types (the wider operand type
 * for & | #; the left operand's type for shifts, whose right operand is int4) and C's shift semantics on
 * x86-64 (the count is taken modulo the width, as PostgreSQL's int4shl/int8shl compiled there do).
 */
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { coerce, commonType } from './coerce.js';
import { noOperator, strictBinary } from './compile.js';
import type { Analyzer, Compiled } from './context.js';

/** BITWISE_OPERATORS: the binary bitwise operators. */
export const BITWISE_OPERATORS = new Set(['&', '|', '#', '<<', '>>']);

function isInt(t: SqlType): boolean {
  return t.id === 'int2' || t.id === 'int4' || t.id === 'int8';
}

function narrow(id: string, v: number): number {
  return id === 'int2' ? (v << 16) >> 16 : v | 0;
}

/** compileBitwise compiles l op r for a bitwise operator. */
export function compileBitwise(an: Analyzer, op: string, l: Compiled, r: Compiled, loc: number): Compiled {
  if (!isInt(l.type) || !isInt(r.type)) throw noOperator(op, l.type, r.type, loc);
  if (op === '<<' || op === '>>') {
    const t = l.type;
    const b = coerce(an, r, sqlType('int4'), 'implicit', loc);
    const left = op === '<<';
    if (t.id === 'int8')
      return strictBinary(t, l, b, (x, y) => {
        const n = BigInt((y as number) & 63);
        return BigInt.asIntN(64, left ? (x as bigint) << n : (x as bigint) >> n);
      });
    return strictBinary(t, l, b, (x, y) => {
      const n = (y as number) & 31;
      const v = x as number;
      return narrow(t.id, left ? v << n : v >> n);
    });
  }
  const t = commonType(l.type, r.type)!;
  const a = coerce(an, l, t, 'implicit', loc);
  const b = coerce(an, r, t, 'implicit', loc);
  if (t.id === 'int8') {
    const f =
      op === '&'
        ? (x: bigint, y: bigint) => x & y
        : op === '|'
          ? (x: bigint, y: bigint) => x | y
          : (x: bigint, y: bigint) => x ^ y;
    return strictBinary(t, a, b, (x, y) => BigInt.asIntN(64, f(x as bigint, y as bigint)));
  }
  const f =
    op === '&'
      ? (x: number, y: number) => x & y
      : op === '|'
        ? (x: number, y: number) => x | y
        : (x: number, y: number) => x ^ y;
  return strictBinary(t, a, b, (x: Value, y: Value) => narrow(t.id, f(x as number, y as number)));
}

/** bitwiseNot is ~ on an integer. */
export function bitwiseNot(c: Compiled): Compiled {
  const f = c.eval;
  const id = c.type.id;
  return {
    type: c.type,
    eval: (r, ex) => {
      const v = f(r, ex);
      if (v === null) return null;
      return id === 'int8' ? BigInt.asIntN(64, ~(v as bigint)) : narrow(id, ~(v as number));
    },
    correlated: c.correlated,
    volatile: c.volatile,
  };
}
