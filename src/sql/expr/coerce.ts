/**
 * Implicit coercion and the common type of two operands, as PostgreSQL's type resolution picks them for the
 * types shale has: numbers widen int2 → int4 → int8 → numeric → float4 → float8, strings meet as text, a
 * date meets a timestamp as a timestamp; an untyped literal or parameter takes the other side's type.
 */
import { SqlError, SqlState } from '../errors.js';
import { castValue } from '../types/cast.js';
import { parseValue } from '../types/text-io.js';
import {
  TYPE_INFO,
  arrayElement,
  arrayOf,
  isNumericType,
  isStringType,
  sqlType,
  type SqlType,
  type TypeId,
} from '../types/sql-type.js';
import type { Analyzer, Compiled } from './context.js';

const NUMERIC_RANK: Partial<Record<TypeId, number>> = {
  int2: 1,
  int4: 2,
  int8: 3,
  oid: 3,
  regclass: 3,
  regtype: 3,
  regnamespace: 3,
  numeric: 4,
  float4: 5,
  float8: 6,
};

/** isUntyped: an untyped literal or an undecided parameter. */
export function isUntyped(c: Compiled): boolean {
  return c.unknownLiteral !== undefined || c.paramIndex !== undefined || c.nullLiteral === true;
}

/** PARSE_TYPMOD: types whose typmod a literal's input applies (rounding); varchar(n) is checked below. */
const PARSE_TYPMOD = new Set<TypeId>(['numeric', 'timestamp', 'timestamptz', 'time']);

/** commonType picks the type two operands meet in, or undefined when they do not meet. */
export function commonType(a: SqlType, b: SqlType): SqlType | undefined {
  const ae = arrayElement(a.id);
  const be = arrayElement(b.id);
  if (ae !== undefined || be !== undefined) {
    if (ae === undefined || be === undefined) return undefined;
    const e = commonType(sqlType(ae), sqlType(be));
    const id = e === undefined ? undefined : arrayOf(e.id);
    return id === undefined ? undefined : sqlType(id);
  }
  if (a.id === b.id)
    return a.id === 'varchar' || a.id === 'bpchar'
      ? sqlType(a.id)
      : a.typmod === b.typmod
        ? a
        : sqlType(a.id);
  if (isNumericType(a.id) && isNumericType(b.id)) {
    // float4 meets anything but float4 as float8 (PostgreSQL's preferred type of the numeric category).
    if (a.id === 'float4' || b.id === 'float4') return sqlType('float8');
    return NUMERIC_RANK[a.id]! >= NUMERIC_RANK[b.id]! ? sqlType(a.id) : sqlType(b.id);
  }
  if (isStringType(a.id) && isStringType(b.id))
    return sqlType(a.id === 'unknown' ? b.id : b.id === 'unknown' ? a.id : 'text');
  const dt = new Set([a.id, b.id]);
  if (dt.has('date') && (dt.has('timestamp') || dt.has('timestamptz')))
    return sqlType(dt.has('timestamptz') ? 'timestamptz' : 'timestamp');
  if (dt.has('timestamp') && dt.has('timestamptz')) return sqlType('timestamptz');
  if (dt.has('json') && dt.has('jsonb')) return undefined;
  return undefined;
}

/** canCoerceImplicitly: PostgreSQL would convert a to b without a cast. */
export function canCoerceImplicitly(a: SqlType, b: SqlType, assignment: boolean): boolean {
  if (a.id === b.id) return true;
  if (a.id === 'unknown') return true;
  const ae = arrayElement(a.id);
  const be = arrayElement(b.id);
  if (ae !== undefined || be !== undefined)
    return ae !== undefined && be !== undefined && canCoerceImplicitly(sqlType(ae), sqlType(be), assignment);
  if (isNumericType(a.id) && isNumericType(b.id))
    return assignment || NUMERIC_RANK[a.id]! <= NUMERIC_RANK[b.id]!;
  if (isStringType(a.id) && isStringType(b.id)) return true;
  if (assignment && isStringType(b.id)) return true;
  if (a.id === 'date' && (b.id === 'timestamp' || b.id === 'timestamptz')) return true;
  if (
    (a.id === 'timestamp' || a.id === 'timestamptz') &&
    (b.id === 'timestamp' || b.id === 'timestamptz' || (assignment && b.id === 'date'))
  )
    return true;
  // A record is stored into a text column as its text output (PostgreSQL's I/O conversion casts).
  if (assignment && a.id === 'record' && isStringType(b.id)) return true;
  if (assignment && ((a.id === 'json' && b.id === 'jsonb') || (a.id === 'jsonb' && b.id === 'json')))
    return true;
  return false;
}

/**
 * coerce converts a compiled expression to type `to`: untyped literals are parsed now (so bad input fails
 * at analysis, as in PostgreSQL), undecided parameters take the type, anything else converts when run.
 */
export function coerce(
  an: Analyzer,
  c: Compiled,
  to: SqlType,
  mode: 'implicit' | 'assignment' | 'explicit',
  loc: number,
): Compiled {
  if (c.nullLiteral === true) return { type: to, eval: () => null, correlated: false };
  if (c.unknownLiteral !== undefined) {
    let v;
    try {
      // An explicit cast of a literal truncates to varchar(n) / char(n) as a cast of a text value does.
      v =
        mode === 'explicit' && (to.id === 'varchar' || to.id === 'bpchar')
          ? castValue(c.unknownLiteral, sqlType('text'), to, true, an.io)
          : parseValue(PARSE_TYPMOD.has(to.id) ? to : sqlType(to.id), c.unknownLiteral, an.io);
    } catch (err) {
      if (err instanceof SqlError && err.position === undefined && loc >= 0) err.position = loc + 1;
      throw err;
    }
    // The length of varchar(n) / char(n) is checked after parsing, without a position (as PostgreSQL).
    if (
      v !== null &&
      mode !== 'explicit' &&
      (to.id === 'varchar' || to.id === 'bpchar') &&
      to.typmod !== -1
    ) {
      const parsed = v;
      const from = sqlType(to.id);
      return { type: to, eval: () => castValue(parsed, from, to, false, an.io), correlated: false };
    }
    return { type: to, eval: () => v, correlated: false };
  }
  if (c.paramIndex !== undefined) {
    const i = c.paramIndex;
    an.params[i] ??= to.typmod === -1 ? to : sqlType(to.id);
    const declared = an.params[i]!;
    if (declared.id === to.id && to.typmod === -1)
      return { type: to, eval: (_r, ex) => ex.params[i]!, correlated: false };
    return converting(
      { type: declared, eval: (_r, ex) => ex.params[i]!, correlated: false },
      to,
      mode !== 'implicit',
    );
  }
  if (c.type.id === to.id && (to.typmod === -1 || c.type.typmod === to.typmod)) return c;
  if (mode !== 'explicit' && !canCoerceImplicitly(c.type, to, mode === 'assignment')) {
    const what = mode === 'assignment' ? 'is of type' : 'cannot be matched';
    throw new SqlError(
      SqlState.DATATYPE_MISMATCH,
      mode === 'assignment'
        ? `column ${what} ${TYPE_INFO[to.id].pgName} but expression is of type ${TYPE_INFO[c.type.id].pgName}`
        : `argument of type ${TYPE_INFO[c.type.id].pgName} ${what} to ${TYPE_INFO[to.id].pgName}`,
      { position: loc + 1 },
    );
  }
  // A record casts to text (its output) and to record only; refused here to report the position.
  if (c.type.id === 'record' && to.id !== 'record' && !isStringType(to.id))
    throw new SqlError(SqlState.CANNOT_COERCE, `cannot cast type record to ${TYPE_INFO[to.id].pgName}`, {
      position: loc + 1,
    });
  return converting(c, to, mode === 'explicit');
}

function converting(c: Compiled, to: SqlType, explicit: boolean): Compiled {
  const from = c.type;
  const inner = c.eval;
  return {
    type: to,
    eval: (row, ex) => castValue(inner(row, ex), from, to, explicit, ex.runtime.io),
    correlated: c.correlated,
    volatile: c.volatile,
  };
}

/** resolveTyped gives an untyped operand a type of its own (text for literals and parameters). */
export function settle(an: Analyzer, c: Compiled, loc: number): Compiled {
  return isUntyped(c) ? coerce(an, c, sqlType('text'), 'implicit', loc) : c;
}
