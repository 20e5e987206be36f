/**
 * Access paths: how a table's rows are reached for a WHERE clause. From the conjuncts of the form
 * `column op expression` (the expression not naming the table itself) the planner picks a primary-key point
 * get, a primary-key range, a secondary-index lookup or range, or a full scan. An access path only narrows
 * what is read: the whole WHERE clause is still applied to every row it yields, so a path can never change
 * an answer, only its cost.
 */
import { SqlError } from '../errors.js';
import type { Expr } from '../ast.js';
import type { TableDef, IndexDef } from '../catalog/table-def.js';
import { columnIndex } from '../catalog/table-def.js';
import { compileExpr } from '../expr/compile.js';
import { coerce, isUntyped } from '../expr/coerce.js';
import type { Analyzer, Compiled, ExecContext } from '../expr/context.js';
import { KeyWriter, prefixEnd } from '../storage/key-codec.js';
import { indexPrefix, rowPrefix } from '../storage/keyspace.js';
import { isInteger, type SqlType } from '../types/sql-type.js';
import { Scope } from './scope.js';
import { TS_NEG_INFINITY, TS_POS_INFINITY } from '../types/datetime.js';
import { localOf } from '../types/time-zone.js';

interface Bound {
  readonly expr: Compiled;
  readonly inclusive: boolean;
}

/** KeyRange is the part of a key space an access path reads. */
export interface KeyRange {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array | undefined;
  /** point: exactly one key (gte) can match. */
  readonly point: boolean;
}

export interface AccessPath {
  /** index: undefined for the primary key (the rows themselves). */
  readonly index: IndexDef | undefined;
  readonly eq: readonly Compiled[];
  readonly lower: Bound | undefined;
  readonly upper: Bound | undefined;
  /** unique: the equalities cover a unique key, so at most one row matches. */
  readonly point: boolean;
  readonly columnTypes: readonly SqlType[];
  readonly desc: readonly boolean[];
  readonly describe: string;
}

/** conjuncts splits an AND tree into its parts. */
export function conjuncts(e: Expr | undefined): Expr[] {
  if (e === undefined) return [];
  if (e.kind === 'and') return e.args.flatMap(conjuncts);
  return [e];
}

const FLIP: Record<string, string> = { '=': '=', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

interface Condition {
  readonly column: number;
  readonly op: string;
  readonly value: Compiled;
}

/** sameKeyFamily: a value of type v can be encoded as a key of column type c without changing its order. */
function sameKeyFamily(c: SqlType, v: SqlType): boolean {
  if (c.id === v.id) return c.id !== 'bpchar' && c.id !== 'jsonb' && c.id !== 'interval'; // their equality is not byte equality
  if (isInteger(c.id) && isInteger(v.id)) return true;
  if ((c.id === 'text' || c.id === 'varchar') && (v.id === 'text' || v.id === 'varchar')) return true;
  if ((c.id === 'timestamp' || c.id === 'timestamptz') && (v.id === 'timestamp' || v.id === 'timestamptz'))
    return true;
  return false;
}

/** ZONE_MARGIN_US: more than any zone's offsets ever differ (Pacific/Apia moved by a day in 2011). */
const ZONE_MARGIN_US = 2n * 86_400_000_000n;

/**
 * zonedKeyValue bounds a timestamp key by a timestamptz value or the reverse, which compare in the
 * session's zone (undefined: not as a key). A timestamptz column takes the value as the comparison
 * converts it. A timestamp column is compared as the instants its wall-clock times name, which is not
 * monotonic across a DST change (a skipped 02:30 names a later instant than 03:00): in a zone with
 * changes the bound is widened past any offset, and equality is no key at all (the WHERE still decides).
 */
function zonedKeyValue(
  an: Analyzer,
  colType: SqlType,
  value: Compiled,
  op: string,
  loc: number,
): Compiled | undefined {
  if (colType.id === 'timestamptz') return coerce(an, value, colType, 'implicit', loc);
  if (op === '=') return undefined;
  const inner = value.eval;
  const widen = op === '<' || op === '<=' ? ZONE_MARGIN_US : -ZONE_MARGIN_US;
  return {
    ...value,
    type: colType,
    eval: (row, ex) => {
      const v = inner(row, ex) as bigint | null;
      if (v === null || v === TS_NEG_INFINITY || v === TS_POS_INFINITY) return v;
      const zone = ex.runtime.io.zone;
      const local = localOf(zone, v);
      return zone.fixed !== undefined ? local : local + widen;
    },
  };
}

function conditions(
  an: Analyzer,
  table: TableDef,
  alias: string,
  where: readonly Expr[],
  outer: Scope | undefined,
): Condition[] {
  const out: Condition[] = [];
  const boundScope = new Scope([], outer);
  for (const c of where) {
    if (c.kind !== 'op' || c.left === undefined || !(c.op in FLIP)) {
      if (c.kind === 'between' && !c.negated && !c.symmetric) {
        out.push(
          ...conditions(
            an,
            table,
            alias,
            [
              { kind: 'op', op: '>=', left: c.arg, right: c.low, loc: c.loc },
              { kind: 'op', op: '<=', left: c.arg, right: c.high, loc: c.loc },
            ],
            outer,
          ),
        );
      }
      continue;
    }
    for (const [col, other, op] of [
      [c.left, c.right, c.op],
      [c.right, c.left, FLIP[c.op]!],
    ] as const) {
      if (col.kind !== 'column' || (col.table !== undefined && col.table !== alias)) continue;
      const ci = columnIndex(table, col.name);
      if (ci < 0) continue;
      const colType = table.columns[ci]!.type;
      let value: Compiled;
      try {
        value = compileExpr(an, other, boundScope);
        if (isUntyped(value)) value = coerce(an, value, colType, 'implicit', other.loc);
      } catch (err) {
        if (err instanceof SqlError) continue;
        throw err;
      }
      if (value.volatile === true || !sameKeyFamily(colType, value.type)) continue;
      if (colType.id !== value.type.id && (colType.id === 'timestamp' || colType.id === 'timestamptz')) {
        const keyed = zonedKeyValue(an, colType, value, op, other.loc);
        if (keyed === undefined) continue;
        value = keyed;
      }
      out.push({ column: ci, op, value });
      break;
    }
  }
  return out;
}

function pathFor(
  index: IndexDef | undefined,
  cols: readonly number[],
  desc: readonly boolean[],
  unique: boolean,
  table: TableDef,
  conds: readonly Condition[],
): AccessPath | undefined {
  const eq: Compiled[] = [];
  for (const col of cols) {
    const c = conds.find((x) => x.column === col && x.op === '=');
    if (c === undefined) break;
    eq.push(c.value);
  }
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  if (eq.length < cols.length) {
    const next = cols[eq.length]!;
    const d = desc[eq.length] === true;
    for (const c of conds) {
      if (c.column !== next) continue;
      const isLower = (c.op === '>' || c.op === '>=') !== d;
      const inclusive = c.op === '>=' || c.op === '<=';
      if (c.op === '=') continue;
      if (isLower) lower ??= { expr: c.value, inclusive };
      else upper ??= { expr: c.value, inclusive };
    }
  }
  if (eq.length === 0 && lower === undefined && upper === undefined) return undefined;
  const names = cols.map((c) => table.columns[c]!.name);
  const describe =
    index === undefined
      ? `${eq.length === cols.length ? 'Point Get' : 'Range Scan'} on ${table.name} using ${table.primaryKeyName ?? 'primary key'} (${names.join(', ')})`
      : `Index Scan using ${index.name} on ${table.name} (${names.join(', ')})`;
  return {
    index,
    eq,
    lower,
    upper,
    point: unique && eq.length === cols.length,
    columnTypes: cols.map((c) => table.columns[c]!.type),
    desc,
    describe,
  };
}

function score(p: AccessPath): number {
  return (
    (p.point ? 1000 : 0) +
    p.eq.length * 10 +
    (p.lower !== undefined ? 1 : 0) +
    (p.upper !== undefined ? 1 : 0) +
    (p.index === undefined ? 0.5 : 0)
  );
}

/** chooseAccessPath picks the narrowest path for a table and its WHERE conjuncts (undefined: full scan). */
export function chooseAccessPath(
  an: Analyzer,
  table: TableDef,
  alias: string,
  where: readonly Expr[],
  outer: Scope | undefined,
): AccessPath | undefined {
  const conds = conditions(an, table, alias, where, outer);
  if (conds.length === 0) return undefined;
  const candidates: AccessPath[] = [];
  if (table.primaryKey.length > 0) {
    const p = pathFor(
      undefined,
      table.primaryKey,
      table.primaryKey.map(() => false),
      true,
      table,
      conds,
    );
    if (p !== undefined) candidates.push(p);
  }
  for (const ix of table.indexes) {
    // Indexes on expressions are kept up to date but not read (no access path matches expressions yet).
    if (ix.columns.some((c) => c.expr !== undefined)) continue;
    const p = pathFor(
      ix,
      ix.columns.map((c) => c.column),
      ix.columns.map((c) => c.desc),
      ix.unique,
      table,
      conds,
    );
    if (p !== undefined) candidates.push(p);
  }
  if (candidates.length === 0) return undefined;
  return candidates.sort((a, b) => score(b) - score(a))[0];
}

/** keyRange computes the keys a path reads for the current parameters and outer rows (undefined: none). */
export function keyRange(
  path: AccessPath,
  table: TableDef,
  row: never[],
  ex: ExecContext,
): KeyRange | undefined {
  const w = new KeyWriter(path.index === undefined ? rowPrefix(table.id) : indexPrefix(path.index.id));
  for (let i = 0; i < path.eq.length; i++) {
    const v = path.eq[i]!.eval(row, ex);
    if (v === null) return undefined;
    w.value(path.columnTypes[i]!, v, path.desc[i]);
  }
  const prefix = w.finish();
  if (path.point && path.index === undefined) return { gte: prefix, lt: undefined, point: true };
  let gte = prefix;
  let lt = prefixEnd(prefix);
  const k = path.eq.length;
  const bound = (b: Bound): Uint8Array | null => {
    const v = b.expr.eval(row, ex);
    if (v === null) return null;
    return new KeyWriter(prefix).value(path.columnTypes[k]!, v, path.desc[k]).finish();
  };
  if (path.lower !== undefined) {
    const b = bound(path.lower);
    if (b === null) return undefined;
    gte = path.lower.inclusive ? b : (prefixEnd(b) ?? b);
  }
  if (path.upper !== undefined) {
    const b = bound(path.upper);
    if (b === null) return undefined;
    lt = path.upper.inclusive ? prefixEnd(b) : b;
  }
  return { gte, lt, point: path.point && path.index === undefined };
}
