/**
 * SQL text of catalog objects as PostgreSQL's ruleutils.c prints it: column defaults (pg_get_expr of
 * pg_attrdef.adbin), index definitions (pg_get_indexdef) and constraint definitions (pg_get_constraintdef).
 * Defaults print as PostgreSQL prints the analysed expression: implicit casts hidden, an untyped string
 * literal as a constant of the type it was coerced to ('x'::text), negative constants quoted.
 */
import type { Expr, Literal } from '../ast.js';
import { notSupported, SqlError, SqlState } from '../errors.js';
import { parseValue, formatValue } from '../types/text-io.js';
import { formatType, sqlType, type SqlType } from '../types/sql-type.js';
import { resolveTypeName } from '../expr/type-name.js';
import type { ColumnDef, TableDef } from './table-def.js';
import { sequenceName, type IndexInfo } from './pg-objects.js';
import { DEFAULT_IO } from '../types/io-settings.js';

/** Reserved words quote_ident quotes (PostgreSQL's RESERVED_KEYWORD and COL_NAME_KEYWORD lists, abridged). */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint ' +
    'create current_catalog current_date current_role current_time current_timestamp current_user default ' +
    'deferrable desc distinct do else end except false fetch for foreign from grant group having in ' +
    'initially intersect into lateral leading limit localtime localtimestamp not null offset on only or ' +
    'order placing primary references returning select session_user some symmetric table then to ' +
    'trailing true union unique user using variadic when where window with authorization binary ' +
    'collation concurrently cross current_schema freeze full ilike inner is isnull join left like ' +
    'natural notnull outer overlaps right similar tablesample verbose between bigint bit boolean char ' +
    'character coalesce dec decimal exists extract float greatest grouping inout int integer interval ' +
    'least national nchar none normalize nullif numeric out overlay position precision real row setof ' +
    'smallint substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement ' +
    'xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
);

/** quoteIdent quotes an identifier when PostgreSQL's quote_ident would. */
export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s) && !RESERVED.has(s)) return s;
  return '"' + s.replace(/"/g, '""') + '"';
}

function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** constant prints a constant of a type as get_const_expr does. */
function constant(t: SqlType, text: string): string {
  switch (t.id) {
    case 'int4':
      return text.startsWith('-') ? `${quoteLiteral(text)}::integer` : text;
    case 'numeric':
      return /^\d/.test(text) && /[.eE]/.test(text) ? text : `${quoteLiteral(text)}::numeric`;
    case 'bool':
      return text === 't' || text === 'true' ? 'true' : 'false';
    default:
      return `${quoteLiteral(text)}::${t.id === 'bpchar' ? 'bpchar' : formatType(sqlType(t.id))}`;
  }
}

function literal(l: Literal, target: SqlType | undefined): string {
  switch (l.kind) {
    case 'null':
      return target === undefined || target.id === 'unknown'
        ? 'NULL'
        : `NULL::${formatType(sqlType(target.id))}`;
    case 'bool':
      return l.value ? 'true' : 'false';
    case 'int': {
      const n = BigInt(l.value);
      if (n >= -2147483648n && n <= 2147483647n) return constant(sqlType('int4'), l.value);
      if (n >= -(2n ** 63n) && n < 2n ** 63n) return constant(sqlType('int8'), l.value);
      return constant(sqlType('numeric'), l.value);
    }
    case 'float':
      // The lexer makes an integer too big for int4 a float token; it is an int8 when it fits.
      if (/^-?\d+$/.test(l.value) && BigInt(l.value) >= -(2n ** 63n) && BigInt(l.value) < 2n ** 63n)
        return constant(sqlType('int8'), l.value);
      return constant(sqlType('numeric'), l.value);
    case 'string': {
      const t = target === undefined || target.id === 'unknown' ? sqlType('text') : sqlType(target.id);
      try {
        // Printed as a session with the default settings would print it (the text is only shown).
        const v = parseValue(t, l.value, DEFAULT_IO);
        return constant(
          t,
          v === null ? l.value : t.id === 'bool' ? (v ? 't' : 'f') : formatValue(t, v, DEFAULT_IO),
        );
      } catch {
        return constant(t, l.value);
      }
    }
  }
}

const PRECEDENCE: Record<string, number> = { '+': 1, '-': 1, '*': 2, '/': 2, '%': 2, '^': 3 };

const SPECIAL_NAMES: Record<Extract<Expr, { kind: 'special' }>['name'], string> = {
  current_timestamp: 'CURRENT_TIMESTAMP',
  current_date: 'CURRENT_DATE',
  localtimestamp: 'LOCALTIMESTAMP',
  current_user: 'CURRENT_USER',
  current_schema: 'CURRENT_SCHEMA',
  current_catalog: 'CURRENT_CATALOG',
};

/**
 * deparseExpr prints an expression; `target` is the type an untyped literal at the top is coerced to. Pretty
 * output (psql's \\d) parenthesises operators only where precedence needs it; plain output (pg_get_expr
 * without its pretty flag, information_schema) parenthesises every operator expression.
 */
export function deparseExpr(e: Expr, target: SqlType | undefined, pretty: boolean): string {
  const sub = (x: Expr, parent: number, right: boolean): string => {
    const s = deparseExpr(x, undefined, pretty);
    if (!pretty || x.kind !== 'op' || x.left === undefined) return s;
    const p = PRECEDENCE[x.op] ?? 0;
    return p > parent || (p === parent && !right && p > 0) ? s : `(${s})`;
  };
  switch (e.kind) {
    case 'literal':
      return literal(e.literal, target);
    case 'column':
      return quoteIdent(e.name);
    case 'special':
      return SPECIAL_NAMES[e.name];
    case 'func':
      return `${e.name}(${e.args.map((a) => deparseExpr(a, undefined, pretty)).join(', ')})`;
    case 'cast': {
      const t = resolveTypeName(e.type);
      if (e.arg.kind === 'literal' && e.arg.literal.kind === 'string') return literal(e.arg.literal, t);
      return `(${deparseExpr(e.arg, t, pretty)})::${formatType(t)}`;
    }
    case 'op': {
      let out: string;
      if (e.left === undefined) out = `${e.op}${pretty ? '' : ' '}${sub(e.right, 9, true)}`;
      else {
        const p = PRECEDENCE[e.op] ?? 0;
        const strings = e.op === '||' ? sqlType('text') : undefined;
        const l = strings !== undefined ? deparseExpr(e.left, strings, pretty) : sub(e.left, p, false);
        const r = strings !== undefined ? deparseExpr(e.right, strings, pretty) : sub(e.right, p, true);
        out = `${l} ${e.op} ${r}`;
      }
      return pretty ? out : `(${out})`;
    }
    case 'coalesce':
      return `COALESCE(${e.args.map((a) => deparseExpr(a, target, pretty)).join(', ')})`;
    case 'minmax':
      return `${e.op.toUpperCase()}(${e.args.map((a) => deparseExpr(a, target, pretty)).join(', ')})`;
    case 'nullif':
      return `NULLIF(${deparseExpr(e.left, target, pretty)}, ${deparseExpr(e.right, target, pretty)})`;
    case 'case': {
      // ruleutils always indents CASE (PRETTYFLAG_INDENT is on with and without the pretty flag), and a
      // CASE without ELSE gets ELSE NULL of its type.
      const arg = e.arg === undefined ? '' : ` ${deparseExpr(e.arg, undefined, pretty)}`;
      const whens = e.whens
        .map(
          (w) =>
            `\n    WHEN ${deparseExpr(w.when, undefined, pretty)} THEN ${deparseExpr(w.then, target, pretty)}`,
        )
        .join('');
      const other =
        e.else === undefined ? literal({ kind: 'null' }, target) : deparseExpr(e.else, target, pretty);
      return `\nCASE${arg}${whens}\n    ELSE ${other}\nEND`;
    }
    case 'and':
    case 'or': {
      const out = e.args.map((a) => deparseExpr(a, undefined, pretty)).join(` ${e.kind.toUpperCase()} `);
      return pretty ? out : `(${out})`;
    }
    case 'not': {
      const out = `NOT ${deparseExpr(e.arg, undefined, pretty)}`;
      return pretty ? out : `(${out})`;
    }
    case 'isNull': {
      const out = `${deparseExpr(e.arg, undefined, pretty)} IS ${e.negated ? 'NOT ' : ''}NULL`;
      return pretty ? out : `(${out})`;
    }
    default:
      throw notSupported(`printing a ${e.kind} expression`);
  }
}

/** defaultTree is a column default as pg_attrdef.adbin holds it (shale's tree as JSON, for pg_get_expr). */
export function defaultTree(t: TableDef, c: ColumnDef): string | undefined {
  if (c.sequence === undefined && c.default === undefined) return undefined;
  // PostgreSQL stores no default for DEFAULT NULL.
  const d = c.default;
  if (d?.kind === 'literal' && d.literal.kind === 'null') return undefined;
  if (d?.kind === 'cast' && d.arg.kind === 'literal' && d.arg.literal.kind === 'null') return undefined;
  return JSON.stringify({
    expr: c.default ?? null,
    type: c.type,
    sequence: c.sequence === undefined ? null : sequenceName(t, c.name),
  });
}

/** treeText is pg_get_expr: the text of a tree made by defaultTree. */
export function treeText(tree: string, pretty: boolean): string {
  let d: { expr: Expr | null; type: SqlType; sequence: string | null };
  try {
    d = JSON.parse(tree) as typeof d;
  } catch {
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'input is not a valid expression tree');
  }
  if (d.sequence !== null) return `nextval(${quoteLiteral(d.sequence)}::regclass)`;
  // An untyped literal at the top takes the column's type; one inside a call is text (lower('A'::text)).
  return deparseExpr(d.expr!, d.type, pretty);
}

/** defaultText is a column's default as pg_get_expr prints it, or undefined when it has none. */
export function defaultText(t: TableDef, c: ColumnDef, pretty: boolean): string | undefined {
  const tree = defaultTree(t, c);
  return tree === undefined ? undefined : treeText(tree, pretty);
}

function indexColumns(t: TableDef, ix: IndexInfo): string {
  return ix.columns.map((k) => quoteIdent(t.columns[k.column]!.name) + (k.desc ? ' DESC' : '')).join(', ');
}

/** indexDef is pg_get_indexdef's text: CREATE [UNIQUE] INDEX name ON public.table USING btree (cols). */
export function indexDef(t: TableDef, ix: IndexInfo): string {
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(ix.name)} ON public.${quoteIdent(t.name)} USING btree (${indexColumns(t, ix)})`;
}

/** constraintDef is pg_get_constraintdef's text for a PRIMARY KEY or UNIQUE constraint. */
export function constraintDef(t: TableDef, ix: IndexInfo): string {
  return `${ix.primary ? 'PRIMARY KEY' : 'UNIQUE'} (${indexColumns(t, ix)})`;
}
