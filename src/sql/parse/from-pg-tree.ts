/**
 * Converts PostgreSQL's parse tree (libpg-query's JSON) into shale's syntax tree (../ast.ts). Node types
 * shale does not implement become 0A000 errors naming the construct, so valid SQL is never misread.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type {
  AlterAction,
  Assignment,
  CheckConstraint,
  ColumnDef,
  Cte,
  Expr,
  FromItem,
  KeyConstraint,
  Literal,
  OnConflict,
  RowLocking,
  Select,
  SelectItem,
  SequenceOptions,
  SortKey,
  Statement,
  TableRef,
  TypeName,
} from '../ast.js';
import { windowSpec, type Converters } from './window-def.js';
import { declareCursor, fetchStatement } from './cursor-statements.js';

/** PgNode is one node of the tree: an object with a single key, the node type. */
type PgNode = Record<string, unknown>;
type Fields = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function nodeType(n: PgNode): [string, Fields] {
  const k = Object.keys(n)[0];
  if (k === undefined) throw new SqlError(SqlState.INTERNAL_ERROR, 'empty parse tree node');
  return [k, n[k] as Fields];
}

function list(x: unknown): PgNode[] {
  return Array.isArray(x) ? (x as PgNode[]) : [];
}

function str(n: PgNode): string {
  const [t, f] = nodeType(n);
  if (t === 'String') return (f.sval as string | undefined) ?? '';
  if (t === 'A_Star') return '*';
  throw new SqlError(SqlState.INTERNAL_ERROR, `expected a name, found ${t}`);
}

function names(x: unknown): string[] {
  return list(x).map(str);
}

/** convertStatement converts one top-level statement. */
export function convertStatement(n: PgNode, _text: string): Statement {
  const [t, f] = nodeType(n);
  switch (t) {
    case 'SelectStmt':
      if (f.intoClause !== undefined) {
        // SELECT ... INTO t is CREATE TABLE t AS SELECT ...
        const { intoClause, ...rest } = f;
        return createTableAs(intoClause as Fields, convertSelect(rest), false);
      }
      return { kind: 'query', query: convertSelect(f) };
    case 'CreateTableAsStmt': {
      if (f.objtype !== 'OBJECT_TABLE') throw notSupported('CREATE MATERIALIZED VIEW');
      const [qt, q] = nodeType(f.query as PgNode);
      if (qt !== 'SelectStmt') throw notSupported(`CREATE TABLE AS ${statementName(qt)}`);
      return createTableAs(f.into as Fields, convertSelect(q), f.if_not_exists === true);
    }
    case 'InsertStmt':
      return convertInsert(f);
    case 'UpdateStmt':
      return {
        kind: 'update',
        ...withOf(f),
        table: rangeVar(f.relation),
        set: list(f.targetList).flatMap(assignment),
        from: list(f.fromClause).map(fromItem),
        where: optExpr(f.whereClause),
        returning: returningList(f),
      };
    case 'DeleteStmt':
      return {
        kind: 'delete',
        ...withOf(f),
        table: rangeVar(f.relation),
        using: list(f.usingClause).map(fromItem),
        where: optExpr(f.whereClause),
        returning: returningList(f),
      };
    case 'CreateStmt':
      return convertCreateTable(f);
    case 'DropStmt':
      return convertDrop(f);
    case 'TruncateStmt':
      // CASCADE also truncates tables whose foreign keys reference these; shale has no foreign keys.
      return {
        kind: 'truncate',
        tables: list(f.relations).map((r) => rangeVar(r)),
        restartIdentity: f.restart_seqs === true,
      };
    case 'LockStmt':
      // ONLY (no inheritance in shale) changes nothing.
      return {
        kind: 'lock',
        tables: list(f.relations).map((r) => rangeVar(r)),
        mode: (f.mode as number | undefined) ?? 8,
        nowait: f.nowait === true,
      };
    case 'IndexStmt':
      return {
        kind: 'createIndex',
        name: f.idxname as string | undefined,
        table: rangeVar(f.relation),
        unique: f.unique === true,
        ifNotExists: f.if_not_exists === true,
        columns: list(f.indexParams).map((p) => {
          const [, e] = nodeType(p);
          const desc = e.ordering === 'SORTBY_DESC';
          if (e.name === undefined) return { name: undefined, expr: expr(e.expr), desc };
          return { name: e.name as string, desc };
        }),
      };
    case 'AlterTableStmt':
      return convertAlter(f);
    case 'RenameStmt':
      return convertRename(f);
    case 'ViewStmt': {
      if (f.withCheckOption !== undefined && f.withCheckOption !== 'NO_CHECK_OPTION')
        throw notSupported('WITH CHECK OPTION');
      if (f.options !== undefined) throw notSupported('view options');
      const rv = unwrapRangeVar(f.view);
      if (rv.relpersistence === 't') throw notSupported('CREATE TEMPORARY VIEW');
      const [qt, q] = nodeType(f.query as PgNode);
      if (qt !== 'SelectStmt') throw notSupported(`CREATE VIEW AS ${statementName(qt)}`);
      return {
        kind: 'createView',
        name: rangeVar(f.view).name,
        replace: f.replace === true,
        columns: names(f.aliases),
        query: convertSelect(q),
      };
    }
    case 'CreateSeqStmt':
      return {
        kind: 'createSequence',
        name: rangeVar(f.sequence).name,
        ifNotExists: f.if_not_exists === true,
        options: sequenceOptions(f.options, false),
      };
    case 'AlterSeqStmt':
      return {
        kind: 'alterSequence',
        name: rangeVar(f.sequence).name,
        ifExists: f.missing_ok === true,
        options: sequenceOptions(f.options, true),
      };
    case 'TransactionStmt':
      return convertTransaction(f);
    case 'VariableSetStmt':
      return convertSet(f);
    case 'VariableShowStmt':
      return { kind: 'show', name: (f.name as string).toLowerCase() };
    case 'CopyStmt': {
      if (f.filename !== undefined) throw notSupported('COPY to or from a file (use STDIN / STDOUT)');
      if (f.whereClause !== undefined) throw notSupported('COPY ... WHERE');
      const options: Record<string, string> = {};
      for (const o of list(f.options)) {
        const [, d] = nodeType(o);
        options[d.defname as string] = d.arg === undefined ? 'true' : defValue(d.arg);
      }
      let query: Select | undefined;
      if (f.query !== undefined) {
        const [qt, q] = nodeType(f.query as PgNode);
        if (qt !== 'SelectStmt') throw notSupported(`COPY (${statementName(qt)})`);
        query = convertSelect(q);
      }
      return {
        kind: 'copy',
        query,
        table:
          query === undefined
            ? rangeVar(f.relation)
            : { kind: 'table', schema: undefined, name: '', alias: undefined, loc: 0 },
        columns: names(f.attlist),
        direction: f.is_from === true ? 'from' : 'to',
        options,
      };
    }
    case 'ExplainStmt':
      return { kind: 'explain', statement: convertStatement(f.query as PgNode, _text) };
    case 'VacuumStmt':
      return {
        kind: 'admin',
        command: f.is_vacuumcmd === true ? 'vacuum' : 'analyze',
        tables: list(f.rels).map((r) => rangeVar(nodeType(r)[1].relation)),
      };
    case 'CheckPointStmt':
      return { kind: 'admin', command: 'checkpoint', tables: [] };
    case 'DiscardStmt':
      return { kind: 'discard' };
    case 'DeclareCursorStmt':
      return declareCursor(f.portalname as string, (f.options as number | undefined) ?? 0, () =>
        convertSelect(nodeType(f.query as PgNode)[1]),
      );
    case 'FetchStmt':
      return fetchStatement(f);
    case 'PrepareStmt':
      return {
        kind: 'prepare',
        name: f.name as string,
        paramTypes: list(f.argtypes).map(typeName),
        statement: convertStatement(f.query as PgNode, _text),
      };
    case 'ExecuteStmt':
      return { kind: 'execute', name: f.name as string, params: list(f.params).map(expr) };
    case 'DeallocateStmt':
      return { kind: 'deallocate', name: f.isall === true ? undefined : (f.name as string) };
    case 'ListenStmt':
      return { kind: 'listen', unlisten: false };
    case 'UnlistenStmt':
      return { kind: 'listen', unlisten: true };
    case 'ClosePortalStmt':
      return { kind: 'closeCursor', name: f.portalname as string | undefined };
    default:
      throw notSupported(statementName(t));
  }
}

function statementName(t: string): string {
  return t
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

function defValue(arg: unknown): string {
  const [t, f] = nodeType(arg as PgNode);
  if (t === 'String') return f.sval as string;
  if (t === 'Integer') return String(f.ival ?? 0);
  if (t === 'Boolean') return String(f.boolval === true);
  if (t === 'A_Const') {
    const lit = literal(f);
    return lit.kind === 'null' ? '' : String(lit.value);
  }
  if (t === 'TypeName') return names(f.names).pop()!;
  if (t === 'List') return list(f.items).map(defValue).join(',');
  if (t === 'TypeCast' && names((f.typeName as Fields).names).pop() === 'interval') {
    // SET TIME ZONE INTERVAL '...': passed on as PostgreSQL flattens it. A bare number with a field
    // range (INTERVAL '5' HOUR) counts that field, which the interval reader here does not do.
    const text = defValue(f.arg);
    if ((f.typeName as Fields).typmods !== undefined && /^\s*[+-]?[\d.]+\s*$/.test(text))
      throw notSupported('INTERVAL with a field range on a bare number in SET');
    return `INTERVAL '${text.replace(/'/g, "''")}'`;
  }
  throw notSupported(`option value ${t}`);
}

/** unwrapRangeVar: fields typed RangeVar come bare ({relname...}); list items come wrapped ({RangeVar: ...}). */
function unwrapRangeVar(x: unknown): Fields {
  const o = x as Fields;
  if (o.relname !== undefined) return o;
  const [t, f] = nodeType(o as PgNode);
  if (t !== 'RangeVar') throw notSupported(t);
  return f;
}

function rangeVar(x: unknown): TableRef {
  const f = unwrapRangeVar(x);
  if (f.catalogname !== undefined) throw notSupported('cross-database references');
  return {
    kind: 'table',
    schema: f.schemaname as string | undefined,
    name: f.relname as string,
    alias: (f.alias as Fields | undefined)?.aliasname as string | undefined,
    loc: (f.location as number | undefined) ?? 0,
  };
}

function convertSelect(f: Fields): Select {
  const tail = {
    with: convertWith(f.withClause),
    orderBy: list(f.sortClause).map(sortKey),
    limit: optExpr(f.limitCount),
    offset: optExpr(f.limitOffset),
    locking: lockingOf(f.lockingClause),
    loc: 0,
  };
  if (f.limitOption === 'LIMIT_OPTION_WITH_TIES') throw notSupported('FETCH ... WITH TIES');
  if (f.intoClause !== undefined) throw notSupported('SELECT INTO');
  if (f.op !== undefined && f.op !== 'SETOP_NONE') {
    const op = f.op === 'SETOP_UNION' ? 'union' : f.op === 'SETOP_INTERSECT' ? 'intersect' : 'except';
    return {
      kind: 'setop',
      op,
      all: f.all === true,
      left: convertSelect(f.larg),
      right: convertSelect(f.rarg),
      ...tail,
    };
  }
  if (f.valuesLists !== undefined) {
    return {
      kind: 'values',
      rows: list(f.valuesLists).map((row) => list(nodeType(row)[1].items).map(expr)),
      ...tail,
    };
  }
  const dc = f.distinctClause as unknown[] | undefined;
  const distinct =
    dc === undefined
      ? false
      : dc.length === 1 && Object.keys(dc[0] as object).length === 0
        ? true
        : (dc as PgNode[]).map(expr);
  return {
    kind: 'select',
    distinct,
    items: list(f.targetList).map(selectItem),
    from: list(f.fromClause).map(fromItem),
    where: optExpr(f.whereClause),
    groupBy: list(f.groupClause).map((g) => {
      const [gt] = nodeType(g);
      if (gt === 'GroupingSet') throw notSupported('GROUPING SETS, ROLLUP and CUBE');
      return expr(g);
    }),
    having: optExpr(f.havingClause),
    ...(f.windowClause !== undefined
      ? {
          windows: list(f.windowClause).map((w) => {
            const [, wf] = nodeType(w);
            return { name: wf.name as string, spec: windowSpec(wf, WINDOW_CONVERTERS, true) };
          }),
        }
      : {}),
    ...tail,
  };
}

function lockingOf(x: unknown): RowLocking[] | undefined {
  const l = list(x);
  if (l.length === 0) return undefined;
  return l.map((c) => {
    const [, f] = nodeType(c);
    if (f.waitPolicy === 'LockWaitSkip') throw notSupported('SKIP LOCKED');
    return {
      strength: f.strength === 'LCS_FORUPDATE' || f.strength === 'LCS_FORNOKEYUPDATE' ? 'update' : 'share',
      of: list(f.lockedRels).map((r) => {
        const t = rangeVar(r);
        return { name: t.name, loc: t.loc };
      }),
      nowait: f.waitPolicy === 'LockWaitError',
    };
  });
}

/** withOf: the WITH clause of an INSERT, UPDATE or DELETE, when it has one. */
function withOf(f: Fields): { with?: Cte[] } {
  return f.withClause === undefined ? {} : { with: convertWith(f.withClause) };
}

function convertWith(x: unknown): Cte[] {
  if (x === undefined) return [];
  const w = x as Fields;
  const recursive = w.recursive === true;
  return list(w.ctes).map((c): Cte => {
    const [, f] = nodeType(c);
    if (f.search_clause !== undefined || f.cycle_clause !== undefined) throw notSupported('SEARCH and CYCLE');
    const [qt, q] = nodeType(f.ctequery as PgNode);
    const base = {
      name: f.ctename as string,
      columns: names(f.aliascolnames),
      recursive,
      ...(f.ctematerialized === 'CTEMaterializeAlways'
        ? { materialized: true }
        : f.ctematerialized === 'CTEMaterializeNever'
          ? { materialized: false }
          : {}),
    };
    if (qt === 'InsertStmt' || qt === 'UpdateStmt' || qt === 'DeleteStmt') {
      const dml = convertStatement(f.ctequery as PgNode, '');
      const empty: Select = {
        kind: 'values',
        rows: [],
        with: [],
        orderBy: [],
        limit: undefined,
        offset: undefined,
        locking: undefined,
        loc: 0,
      };
      return { ...base, query: empty, dml };
    }
    if (qt !== 'SelectStmt') throw notSupported(`${statementName(qt)} in WITH`);
    return { ...base, query: convertSelect(q) };
  });
}

const WINDOW_CONVERTERS: Converters = { expr: (n) => expr(n), sortKey: (n) => sortKey(n) };

function sortKey(n: PgNode): SortKey {
  const [, f] = nodeType(n);
  if (f.useOp !== undefined) throw notSupported('ORDER BY ... USING');
  return {
    expr: expr(f.node),
    desc: f.sortby_dir === 'SORTBY_DESC',
    nullsFirst:
      f.sortby_nulls === 'SORTBY_NULLS_FIRST'
        ? true
        : f.sortby_nulls === 'SORTBY_NULLS_LAST'
          ? false
          : undefined,
  };
}

function selectItem(n: PgNode): SelectItem {
  const [, f] = nodeType(n);
  if (f.indirection !== undefined) throw notSupported('subscripts in a target list');
  return {
    expr: expr(f.val),
    alias: f.name as string | undefined,
    loc: (f.location as number | undefined) ?? 0,
  };
}

function fromItem(n: PgNode): FromItem {
  const [t, f] = nodeType(n);
  switch (t) {
    case 'RangeVar':
      return rangeVar(n);
    case 'RangeSubselect': {
      const alias = f.alias as Fields | undefined;
      if (alias === undefined)
        throw new SqlError(SqlState.SYNTAX_ERROR, 'subquery in FROM must have an alias');
      return {
        kind: 'subquery',
        query: convertSelect(nodeType(f.subquery)[1]),
        alias: alias.aliasname as string,
        columnAliases: names(alias.colnames),
        lateral: f.lateral === true,
        loc: 0,
      };
    }
    case 'JoinExpr': {
      const jt = f.jointype as string;
      const type =
        jt === 'JOIN_LEFT'
          ? 'left'
          : jt === 'JOIN_RIGHT'
            ? 'right'
            : jt === 'JOIN_FULL'
              ? 'full'
              : f.quals === undefined && f.usingClause === undefined && f.isNatural !== true
                ? 'cross'
                : 'inner';
      if (f.alias !== undefined || f.join_using_alias !== undefined) throw notSupported('an alias on a join');
      return {
        kind: 'join',
        type,
        left: fromItem(f.larg),
        right: fromItem(f.rarg),
        on: optExpr(f.quals),
        using: names(f.usingClause),
        natural: f.isNatural === true,
        loc: 0,
      };
    }
    case 'RangeFunction': {
      const fns = list(f.functions);
      if (fns.length !== 1) throw notSupported('ROWS FROM');
      const items = list(nodeType(fns[0]!)[1].items);
      const alias = f.alias as Fields | undefined;
      if (f.coldeflist !== undefined) throw notSupported('a column definition list');
      return {
        kind: 'function',
        func: expr(items[0]!),
        alias: alias?.aliasname as string | undefined,
        columnAliases: names(alias?.colnames),
        ordinality: f.ordinality === true,
        loc: 0,
      };
    }
    default:
      throw notSupported(`${t} in FROM`);
  }
}

function convertInsert(f: Fields): Statement {
  const sel = f.selectStmt as PgNode | undefined;
  let onConflict: OnConflict | undefined;
  const oc = f.onConflictClause as Fields | undefined;
  if (oc !== undefined) {
    const infer = oc.infer as Fields | undefined;
    onConflict = {
      action: oc.action === 'ONCONFLICT_UPDATE' ? 'update' : 'nothing',
      ...(infer?.conname !== undefined ? { constraint: infer.conname as string } : {}),
      target: list(infer?.indexElems).map((e) => {
        const [, ef] = nodeType(e);
        if (ef.name === undefined) throw notSupported('an expression as ON CONFLICT target');
        return ef.name as string;
      }),
      set: list(oc.targetList).flatMap(assignment),
      where: optExpr(oc.whereClause),
    };
  }
  return {
    kind: 'insert',
    ...withOf(f),
    table: rangeVar(f.relation),
    columns: list(f.cols).map((c) => {
      const [, cf] = nodeType(c);
      if (cf.indirection !== undefined) throw notSupported('subscripts in INSERT column lists');
      return cf.name as string;
    }),
    columnLocs: list(f.cols).map((c) => (nodeType(c)[1].location as number | undefined) ?? -1),
    source: sel === undefined ? undefined : convertSelect(nodeType(sel)[1]),
    onConflict,
    overriding:
      f.override === 'OVERRIDING_SYSTEM_VALUE'
        ? 'system'
        : f.override === 'OVERRIDING_USER_VALUE'
          ? 'user'
          : undefined,
    returning: returningList(f),
  };
}

/** returningList reads RETURNING (PostgreSQL 18 wraps it in a ReturningClause, which may name OLD/NEW). */
function returningList(f: Fields): SelectItem[] {
  const rc = f.returningClause as Fields | undefined;
  if (rc !== undefined && rc.options !== undefined) throw notSupported('RETURNING WITH (OLD/NEW)');
  return list(rc?.exprs ?? f.returningList).map(selectItem);
}

function assignment(n: PgNode): Assignment[] {
  const [, f] = nodeType(n);
  if (f.indirection !== undefined) throw notSupported('subscripts in SET');
  const loc = (f.location as number | undefined) ?? 0;
  const [vt, vf] = nodeType(f.val as PgNode);
  if (vt === 'MultiAssignRef') {
    // SET (a, b) = (x, y): one assignment per column, each taking its element of the row.
    const [st, sf] = nodeType(vf.source as PgNode);
    if (st !== 'RowExpr') throw notSupported('SET (...) = (SELECT ...)', loc + 1);
    const args = list(sf.args);
    if (args.length !== vf.ncolumns)
      throw new SqlError(SqlState.SYNTAX_ERROR, 'number of columns does not match number of values', {
        position: ((sf.location as number | undefined) ?? loc) + 1,
      });
    return [{ column: f.name as string, value: expr(args[(vf.colno as number) - 1]!), loc }];
  }
  return [{ column: f.name as string, value: expr(f.val), loc }];
}

function typeName(x: unknown): TypeName {
  const f = (x as Fields).TypeName !== undefined ? ((x as Fields).TypeName as Fields) : (x as Fields);
  const parts = names(f.names);
  const name = parts.length === 2 && parts[0] === 'pg_catalog' ? parts[1]! : parts.join('.');
  const mods = list(f.typmods).map((m) => {
    const [mt, mf] = nodeType(m);
    if (mt !== 'A_Const') throw notSupported('a type modifier that is not a constant');
    const lit = literal(mf);
    if (lit.kind !== 'int')
      throw new SqlError(SqlState.SYNTAX_ERROR, 'type modifiers must be simple constants or identifiers');
    return Number(lit.value);
  });
  if (f.setof === true) throw notSupported('SETOF');
  return { name, mods, array: f.arrayBounds !== undefined, loc: (f.location as number | undefined) ?? 0 };
}

function columnDef(f: Fields): ColumnDef {
  let notNull = false;
  let primaryKey = false;
  let unique = false;
  let dflt: Expr | undefined;
  let identity: 'always' | 'byDefault' | undefined;
  let generated: Expr | undefined;
  let primaryKeyName: string | undefined;
  let uniqueName: string | undefined;
  const checks: CheckConstraint[] = [];
  for (const c of list(f.constraints)) {
    const [, cf] = nodeType(c);
    const conname = cf.conname as string | undefined;
    switch (cf.contype) {
      case 'CONSTR_NOTNULL':
        notNull = true;
        break;
      case 'CONSTR_NULL':
        break;
      case 'CONSTR_DEFAULT':
        dflt = expr(cf.raw_expr);
        break;
      case 'CONSTR_PRIMARY':
        primaryKey = true;
        primaryKeyName = conname;
        break;
      case 'CONSTR_UNIQUE':
        unique = true;
        uniqueName = conname;
        break;
      case 'CONSTR_CHECK':
        checks.push(checkConstraint(cf));
        break;
      case 'CONSTR_GENERATED':
        generated = expr(cf.raw_expr);
        break;
      case 'CONSTR_IDENTITY':
        if (list(cf.options).length > 0) throw notSupported('identity sequence options');
        identity = cf.generated_when === 'a' ? 'always' : 'byDefault';
        break;
      default:
        throw notSupported(constraintName(cf.contype as string) + ' constraints');
    }
  }
  if (f.collClause !== undefined) throw notSupported('COLLATE');
  return {
    name: f.colname as string,
    type: typeName(f.typeName),
    notNull,
    primaryKey,
    unique,
    default: dflt,
    identity,
    ...(generated !== undefined ? { generated } : {}),
    primaryKeyName,
    uniqueName,
    checks,
    loc: (f.location as number | undefined) ?? 0,
  };
}

function checkConstraint(cf: Fields): CheckConstraint {
  if (cf.skip_validation === true) throw notSupported('CHECK ... NOT VALID');
  if (cf.is_no_inherit === true) throw notSupported('CHECK ... NO INHERIT');
  return { name: cf.conname as string | undefined, expr: expr(cf.raw_expr) };
}

function constraintName(contype: string): string {
  return contype.replace('CONSTR_', '').replace('_', ' ');
}

function convertCreateTable(f: Fields): Statement {
  const rel = rangeVar(f.relation);
  const rv = unwrapRangeVar(f.relation);
  if (rv.relpersistence === 't') {
    // TEMP tables: accepted as ordinary tables would be wrong (they would outlive the session).
    throw notSupported('CREATE TEMPORARY TABLE');
  }
  if (f.inhRelations !== undefined) throw notSupported('INHERITS');
  if (f.partspec !== undefined) throw notSupported('PARTITION BY');
  const columns: ColumnDef[] = [];
  let primaryKey: KeyConstraint | undefined;
  const uniques: KeyConstraint[] = [];
  const checks: CheckConstraint[] = [];
  for (const e of list(f.tableElts)) {
    const [t, ef] = nodeType(e);
    if (t === 'ColumnDef') columns.push(columnDef(ef));
    else if (t === 'Constraint') {
      if (ef.contype === 'CONSTR_PRIMARY') {
        if (primaryKey !== undefined)
          throw new SqlError(
            SqlState.INVALID_TABLE_DEFINITION,
            `multiple primary keys for table "${rel.name}" are not allowed`,
          );
        primaryKey = { name: ef.conname as string | undefined, columns: names(ef.keys) };
      } else if (ef.contype === 'CONSTR_UNIQUE')
        uniques.push({ name: ef.conname as string | undefined, columns: names(ef.keys) });
      else if (ef.contype === 'CONSTR_CHECK') checks.push(checkConstraint(ef));
      else throw notSupported(constraintName(ef.contype as string) + ' constraints');
    } else throw notSupported(`${t} in CREATE TABLE`);
  }
  return {
    kind: 'createTable',
    table: rel,
    ifNotExists: f.if_not_exists === true,
    columns,
    primaryKey,
    uniques,
    checks,
  };
}

function convertDrop(f: Fields): Statement {
  const objects = list(f.objects).map((o) => names(nodeType(o)[1].items));
  // CASCADE drops what depends on the objects too: views (on tables and views), column defaults (on
  // sequences). No foreign key can depend on anything in shale.
  const cascade = f.behavior === 'DROP_CASCADE';
  if (f.removeType === 'OBJECT_VIEW')
    return {
      kind: 'dropView',
      ifExists: f.missing_ok === true,
      cascade,
      names: objects.map((p) => p[p.length - 1]!),
    };
  if (f.removeType === 'OBJECT_TABLE') {
    return {
      kind: 'dropTable',
      ifExists: f.missing_ok === true,
      cascade,
      tables: objects.map((parts) => ({
        kind: 'table',
        schema: parts.length > 1 ? parts[parts.length - 2] : undefined,
        name: parts[parts.length - 1]!,
        alias: undefined,
        loc: 0,
      })),
    };
  }
  if (f.removeType === 'OBJECT_INDEX') {
    return {
      kind: 'dropIndex',
      ifExists: f.missing_ok === true,
      names: objects.map((p) => p[p.length - 1]!),
    };
  }
  if (f.removeType === 'OBJECT_SEQUENCE')
    return {
      kind: 'dropSequence',
      ifExists: f.missing_ok === true,
      cascade,
      names: objects.map((p) => p[p.length - 1]!),
    };
  throw notSupported(`DROP ${String(f.removeType).replace('OBJECT_', '')}`);
}

function convertAlter(f: Fields): Statement {
  if (f.objtype !== undefined && f.objtype !== 'OBJECT_TABLE')
    throw notSupported(`ALTER ${String(f.objtype).replace('OBJECT_', '')}`);
  const actions: AlterAction[] = list(f.cmds).map((c): AlterAction => {
    const [, cf] = nodeType(c);
    const column = cf.name as string;
    switch (cf.subtype) {
      case 'AT_AddColumn':
        return {
          kind: 'addColumn',
          column: columnDef(nodeType(cf.def)[1]),
          ifNotExists: cf.missing_ok === true,
        };
      case 'AT_AddConstraint': {
        const [, k] = nodeType(cf.def);
        const name = k.conname as string | undefined;
        if (k.contype === 'CONSTR_PRIMARY') return { kind: 'addPrimaryKey', columns: names(k.keys), name };
        if (k.contype === 'CONSTR_UNIQUE') return { kind: 'addUnique', columns: names(k.keys), name };
        if (k.contype === 'CONSTR_CHECK') return { kind: 'addCheck', check: checkConstraint(k) };
        throw notSupported(`ALTER TABLE ADD ${constraintName(k.contype as string)}`);
      }
      case 'AT_ColumnDefault':
        return { kind: 'setDefault', column, default: optExpr(cf.def) };
      case 'AT_SetNotNull':
        return { kind: 'setNotNull', column, notNull: true };
      case 'AT_DropNotNull':
        return { kind: 'setNotNull', column, notNull: false };
      case 'AT_AlterColumnType': {
        const [, d] = nodeType(cf.def);
        if (d.collClause !== undefined) throw notSupported('COLLATE');
        return { kind: 'alterType', column, type: typeName(d.typeName), using: optExpr(d.raw_default) };
      }
      case 'AT_DropColumn':
        return { kind: 'dropColumn', column, ifExists: cf.missing_ok === true };
      case 'AT_DropConstraint':
        return { kind: 'dropConstraint', name: column, ifExists: cf.missing_ok === true };
      default:
        throw notSupported(`ALTER TABLE ${String(cf.subtype).replace('AT_', '')}`);
    }
  });
  return { kind: 'alterTable', table: rangeVar(f.relation), ifExists: f.missing_ok === true, actions };
}

function sequenceOptions(x: unknown, alter: boolean): SequenceOptions {
  const out: { start?: bigint; increment?: bigint; restart?: bigint | null } = {};
  const int = (arg: unknown): bigint => {
    const [t, v] = nodeType(arg as PgNode);
    if (t === 'Integer') return BigInt((v.ival as number | undefined) ?? 0);
    if (t === 'Float') return BigInt(v.fval as string);
    throw new SqlError(SqlState.SYNTAX_ERROR, 'sequence options must be integers');
  };
  for (const o of list(x)) {
    const [, d] = nodeType(o);
    const name = d.defname as string;
    if (name === 'start') out.start = int(d.arg);
    else if (name === 'increment') out.increment = int(d.arg);
    else if (name === 'restart' && alter) out.restart = d.arg === undefined ? null : int(d.arg);
    else if (name === 'cache')
      int(d.arg); // a cache only changes performance; shale caches blocks anyway
    else if ((name === 'minvalue' || name === 'maxvalue') && d.arg === undefined) continue;
    else if (name === 'cycle' && d.arg !== undefined && nodeType(d.arg as PgNode)[1].boolval !== true)
      continue;
    else throw notSupported(`sequence option ${name.toUpperCase().replace('_', ' ')}`);
  }
  if (out.increment !== undefined && out.increment <= 0n)
    throw notSupported('a sequence with a negative or zero INCREMENT');
  return out;
}

function createTableAs(into: Fields, query: Select, ifNotExists: boolean): Statement {
  if (unwrapRangeVar(into.rel).relpersistence === 't') throw notSupported('CREATE TEMPORARY TABLE');
  if (into.options !== undefined) throw notSupported('WITH (storage options)');
  if (into.accessMethod !== undefined) throw notSupported('USING (access method)');
  if (into.tableSpaceName !== undefined) throw notSupported('TABLESPACE');
  if (into.onCommit !== undefined && into.onCommit !== 'ONCOMMIT_NOOP') throw notSupported('ON COMMIT');
  return {
    kind: 'createTableAs',
    table: rangeVar(into.rel),
    ifNotExists,
    columns: names(into.colNames),
    query,
    withData: into.skipData !== true,
  };
}

function convertRename(f: Fields): Statement {
  const ifExists = f.missing_ok === true;
  switch (f.renameType) {
    case 'OBJECT_TABLE':
      return {
        kind: 'alterTable',
        table: rangeVar(f.relation),
        ifExists,
        actions: [{ kind: 'renameTable', to: f.newname as string }],
      };
    case 'OBJECT_COLUMN':
      if (f.relationType !== 'OBJECT_TABLE') throw notSupported('ALTER ... RENAME COLUMN');
      return {
        kind: 'alterTable',
        table: rangeVar(f.relation),
        ifExists,
        actions: [{ kind: 'renameColumn', column: f.subname as string, to: f.newname as string }],
      };
    case 'OBJECT_INDEX':
      return { kind: 'renameIndex', name: rangeVar(f.relation).name, to: f.newname as string, ifExists };
    default:
      throw notSupported(`ALTER ${String(f.renameType).replace('OBJECT_', '')} ... RENAME`);
  }
}

function transactionOptions(x: unknown): { isolation: string | undefined; readOnly: boolean | undefined } {
  let isolation: string | undefined;
  let readOnly: boolean | undefined;
  for (const o of list(x)) {
    const [, d] = nodeType(o);
    if (d.defname === 'transaction_isolation') isolation = defValue(d.arg).toLowerCase();
    else if (d.defname === 'transaction_read_only')
      readOnly = defValue(d.arg) === '1' || defValue(d.arg) === 'true';
    else if (d.defname === 'transaction_deferrable') continue;
  }
  return { isolation, readOnly };
}

function convertTransaction(f: Fields): Statement {
  switch (f.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return { kind: 'begin', start: f.kind === 'TRANS_STMT_START', ...transactionOptions(f.options) };
    case 'TRANS_STMT_COMMIT':
      if (f.chain === true) throw notSupported('COMMIT AND CHAIN');
      return { kind: 'commit' };
    case 'TRANS_STMT_ROLLBACK':
      if (f.chain === true) throw notSupported('ROLLBACK AND CHAIN');
      return { kind: 'rollback' };
    case 'TRANS_STMT_SAVEPOINT':
      return { kind: 'savepoint', name: f.savepoint_name as string };
    case 'TRANS_STMT_RELEASE':
      return { kind: 'release', name: f.savepoint_name as string };
    case 'TRANS_STMT_ROLLBACK_TO':
      return { kind: 'rollbackTo', name: f.savepoint_name as string };
    default:
      throw notSupported(String(f.kind).replace('TRANS_STMT_', '').replace('_', ' '));
  }
}

function convertSet(f: Fields): Statement {
  const local = f.is_local === true;
  switch (f.kind) {
    case 'VAR_SET_VALUE':
      return {
        kind: 'set',
        name: (f.name as string).toLowerCase(),
        value: list(f.args).map(defValue).join(', '),
        local,
      };
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      return { kind: 'set', name: (f.name as string).toLowerCase(), value: undefined, local };
    case 'VAR_RESET_ALL':
      return { kind: 'set', name: 'all', value: undefined, local };
    case 'VAR_SET_MULTI': {
      const name = f.name as string;
      if (name === 'TRANSACTION' || name === 'SESSION CHARACTERISTICS') {
        const o = transactionOptions(f.args);
        const key = name === 'TRANSACTION' ? 'transaction_isolation' : 'default_transaction_isolation';
        if (o.isolation !== undefined)
          return { kind: 'set', name: key, value: o.isolation, local: name === 'TRANSACTION' };
        return {
          kind: 'set',
          name: name === 'TRANSACTION' ? 'transaction_read_only' : 'default_transaction_read_only',
          value: o.readOnly ? 'on' : 'off',
          local,
        };
      }
      throw notSupported(`SET ${name}`);
    }
    default:
      throw notSupported(`SET ${String(f.kind)}`);
  }
}

function optExpr(x: unknown): Expr | undefined {
  return x === undefined ? undefined : expr(x as PgNode);
}

/** literal reads an A_Const. */
function literal(f: Fields): Literal {
  if (f.isnull === true) return { kind: 'null' };
  if (f.ival !== undefined) return { kind: 'int', value: String((f.ival as Fields).ival ?? 0) };
  if (f.fval !== undefined) return { kind: 'float', value: (f.fval as Fields).fval as string };
  if (f.sval !== undefined)
    return { kind: 'string', value: ((f.sval as Fields).sval as string | undefined) ?? '' };
  if (f.boolval !== undefined) return { kind: 'bool', value: (f.boolval as Fields).boolval === true };
  if (f.bsval !== undefined) throw notSupported('bit string literals');
  throw new SqlError(SqlState.INTERNAL_ERROR, 'unknown constant');
}

const SPECIALS: Record<
  string,
  Expr extends infer E ? (E extends { kind: 'special'; name: infer N } ? N : never) : never
> = {
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'current_user',
  SVFOP_SESSION_USER: 'current_user',
  SVFOP_CURRENT_ROLE: 'current_user',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
};

/** expr converts an expression node. */
export function expr(n: PgNode): Expr {
  const [t, f] = nodeType(n);
  const loc = (f.location as number | undefined) ?? -1;
  switch (t) {
    case 'A_Const':
      return { kind: 'literal', literal: literal(f), loc };
    case 'ParamRef':
      return { kind: 'param', index: f.number as number, loc };
    case 'ColumnRef': {
      const parts = names(f.fields);
      const last = parts[parts.length - 1]!;
      if (parts.length > 3 || (parts.length === 3 && parts[0] !== 'public' && parts[0] !== 'pg_catalog'))
        throw notSupported('cross-database references', loc + 1);
      const table = parts.length >= 2 ? parts[parts.length - 2] : undefined;
      if (last === '*') return { kind: 'star', table, loc };
      return { kind: 'column', table, name: last, loc };
    }
    case 'TypeCast':
      return { kind: 'cast', arg: expr(f.arg), type: typeName(f.typeName), loc };
    case 'A_Expr':
      return aExpr(f, loc);
    case 'BoolExpr': {
      const args = list(f.args).map(expr);
      if (f.boolop === 'NOT_EXPR') return { kind: 'not', arg: args[0]!, loc };
      return { kind: f.boolop === 'AND_EXPR' ? 'and' : 'or', args, loc };
    }
    case 'NullTest':
      return { kind: 'isNull', arg: expr(f.arg), negated: f.nulltesttype === 'IS_NOT_NULL', loc };
    case 'BooleanTest': {
      const bt = f.booltesttype as string;
      const value = bt.includes('TRUE') ? true : bt.includes('FALSE') ? false : null;
      return { kind: 'isBool', arg: expr(f.arg), value, negated: bt.includes('NOT'), loc };
    }
    case 'FuncCall': {
      if (f.agg_within_group === true) throw notSupported('WITHIN GROUP', loc + 1);
      if (f.func_variadic === true) throw notSupported('VARIADIC', loc + 1);
      const parts = names(f.funcname);
      const name = parts.length === 2 && parts[0] === 'pg_catalog' ? parts[1]! : parts.join('.');
      for (const a of list(f.args))
        if (nodeType(a)[0] === 'NamedArgExpr') throw notSupported('named arguments', loc + 1);
      return {
        kind: 'func',
        name,
        args: list(f.args).map(expr),
        star: f.agg_star === true,
        distinct: f.agg_distinct === true,
        ...(f.agg_filter !== undefined ? { filter: expr(f.agg_filter) } : {}),
        ...(f.agg_order !== undefined ? { orderBy: list(f.agg_order).map(sortKey) } : {}),
        ...(f.over !== undefined ? { over: windowSpec(f.over as Fields, WINDOW_CONVERTERS, false) } : {}),
        loc,
      };
    }
    case 'CaseExpr':
      return {
        kind: 'case',
        arg: optExpr(f.arg),
        whens: list(f.args).map((w) => {
          const [, wf] = nodeType(w);
          return { when: expr(wf.expr), then: expr(wf.result) };
        }),
        else: optExpr(f.defresult),
        loc,
      };
    case 'CoalesceExpr':
      return { kind: 'coalesce', args: list(f.args).map(expr), loc };
    case 'MinMaxExpr':
      return {
        kind: 'minmax',
        op: f.op === 'IS_GREATEST' ? 'greatest' : 'least',
        args: list(f.args).map(expr),
        loc,
      };
    case 'SubLink': {
      const query = convertSelect(nodeType(f.subselect)[1]);
      switch (f.subLinkType) {
        case 'EXPR_SUBLINK':
          return { kind: 'subquery', mode: 'scalar', query, arg: undefined, negated: false, loc };
        case 'EXISTS_SUBLINK':
          return { kind: 'subquery', mode: 'exists', query, arg: undefined, negated: false, loc };
        case 'ARRAY_SUBLINK':
          return { kind: 'subquery', mode: 'array', query, arg: undefined, negated: false, loc };
        case 'ANY_SUBLINK': {
          const op = f.operName === undefined ? '=' : names(f.operName).pop()!;
          if (op !== '=')
            return {
              kind: 'quantified',
              op,
              arg: expr(f.testexpr),
              all: false,
              query,
              loc,
            };
          return { kind: 'subquery', mode: 'in', query, arg: expr(f.testexpr), negated: false, loc };
        }
        case 'ALL_SUBLINK': {
          const op = names(f.operName).pop()!;
          return { kind: 'quantified', op, arg: expr(f.testexpr), all: true, query, loc };
        }
        default:
          throw notSupported(`${String(f.subLinkType).replace('_SUBLINK', '')} subqueries`, loc + 1);
      }
    }
    case 'SQLValueFunction': {
      const name = SPECIALS[f.op as string];
      if (name === undefined) throw notSupported(String(f.op).replace('SVFOP_', ''), loc + 1);
      return { kind: 'special', name, loc };
    }
    case 'SetToDefault':
      return { kind: 'default', loc };
    case 'CollateClause': {
      // shale compares text in the C collation only: naming it (or the database default) changes nothing.
      const coll = names(f.collname);
      const name = coll[coll.length - 1]!;
      if (
        (coll.length === 2 && coll[0] !== 'pg_catalog') ||
        !['default', 'C', 'POSIX', 'ucs_basic'].includes(name)
      )
        throw notSupported(`COLLATE "${coll.join('.')}"`, loc + 1);
      return expr(f.arg);
    }
    case 'A_ArrayExpr':
      return { kind: 'array', elements: list(f.elements).map(expr), loc };
    case 'RowExpr':
      return { kind: 'row', args: list(f.args).map(expr), loc };
    case 'A_Indirection': {
      const ind = list(f.indirection);
      const [it, idx] = nodeType(ind[0] ?? {});
      if (ind.length !== 1 || it !== 'A_Indices' || idx.is_slice === true || idx.uidx === undefined)
        throw notSupported('subscripts other than one array index, and field selection', loc + 1);
      const index = expr(idx.uidx as PgNode);
      return { kind: 'subscript', arg: expr(f.arg), index, loc: index.loc - 1 };
    }
    case 'ResTarget':
      return expr(f.val);
    default:
      throw notSupported(exprName(t), loc >= 0 ? loc + 1 : undefined);
  }
}

function exprName(t: string): string {
  const known: Record<string, string> = {
    GroupingFunc: 'GROUPING',
    XmlExpr: 'XML functions',
  };
  return known[t] ?? t;
}

function aExpr(f: Fields, loc: number): Expr {
  const op = names(f.name).pop() ?? '';
  const left = optExpr(f.lexpr);
  const right = f.rexpr as PgNode | PgNode[] | undefined;
  const rightExpr = (): Expr => expr(right as PgNode);
  switch (f.kind) {
    case 'AEXPR_OP':
      if (names(f.name).length > 1 && names(f.name)[0] !== 'pg_catalog')
        throw notSupported('OPERATOR(schema.op)', loc + 1);
      return { kind: 'op', op, left, right: rightExpr(), loc };
    case 'AEXPR_DISTINCT':
      return { kind: 'op', op: 'is distinct from', left, right: rightExpr(), loc };
    case 'AEXPR_NOT_DISTINCT':
      return { kind: 'op', op: 'is not distinct from', left, right: rightExpr(), loc };
    case 'AEXPR_NULLIF':
      return { kind: 'nullif', left: left!, right: rightExpr(), loc };
    case 'AEXPR_IN':
      return {
        kind: 'inList',
        arg: left!,
        list: list(nodeType(right as PgNode)[1].items ?? right).map(expr),
        negated: op === '<>',
        loc,
      };
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      if (
        (f.rexpr as PgNode) !== undefined &&
        nodeType(f.rexpr as PgNode)[0] === 'FuncCall' &&
        names(nodeType(f.rexpr as PgNode)[1].funcname).includes('like_escape')
      ) {
        const [pattern, escape] = list(nodeType(f.rexpr as PgNode)[1].args).map(expr);
        return {
          kind: 'like',
          arg: left!,
          pattern: pattern!,
          escape: escape!,
          negated: op.startsWith('!'),
          insensitive: f.kind === 'AEXPR_ILIKE',
          loc,
        };
      }
      return {
        kind: 'like',
        arg: left!,
        pattern: rightExpr(),
        negated: op.startsWith('!'),
        insensitive: f.kind === 'AEXPR_ILIKE',
        loc,
      };
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const bounds = list(nodeType(right as PgNode)[1].items ?? right).map(expr);
      return {
        kind: 'between',
        arg: left!,
        low: bounds[0]!,
        high: bounds[1]!,
        negated: (f.kind as string).includes('NOT'),
        symmetric: (f.kind as string).includes('SYM'),
        loc,
      };
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return { kind: 'anyAll', op, left: left!, right: rightExpr(), all: f.kind === 'AEXPR_OP_ALL', loc };
    case 'AEXPR_SIMILAR':
      throw notSupported('SIMILAR TO', loc + 1);
    default:
      throw notSupported(String(f.kind), loc + 1);
  }
}
