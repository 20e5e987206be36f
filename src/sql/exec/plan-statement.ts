/**
 * planStatement turns a data statement (a query, INSERT, UPDATE, DELETE, or DDL) into an Executable.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Cte, Statement } from '../ast.js';
import type { ExecContext } from '../expr/context.js';
import { planRowLocks } from './row-locks.js';
import { mentionsTable, type Planner } from '../plan/planner.js';
import type { Plan } from '../plan/plan.js';
import { sqlType, type SqlType } from '../types/sql-type.js';
import { doneCursor, rowsCursor, type Cursor, type Executable } from './executable.js';
import { planInsert } from './insert.js';
import { planDelete, planUpdate } from './update-delete.js';
import { runDdl } from './ddl.js';
import { planCreateTableAs } from './create-table-as.js';
import { planLockTable } from './lock-table.js';
import { indent } from '../plan/plan.js';
import type { ColumnInfo, Row } from '../plan/scope.js';
import { isRegType, regOut } from '../expr/reg-types.js';
import { TableLockMode } from '../plan/table-locks.js';

function paramTypes(planner: Planner): SqlType[] {
  // A parameter no context gave a type (SELECT $1 IS NULL; $1 unused while $2 is used) is 42P18.
  const missing = planner.params.findIndex((t) => t === undefined);
  if (missing >= 0)
    throw new SqlError(
      SqlState.INDETERMINATE_DATATYPE,
      `could not determine data type of parameter $${missing + 1}`,
    );
  return planner.params.map((t) => (t === undefined || t.id === 'unknown' ? sqlType('text') : t));
}

/** targetTable resolves the table a statement writes (or locks rows of: ROW SHARE), and asks for its lock. */
function targetTable(
  planner: Planner,
  name: string,
  schema: string | undefined,
  loc: number,
  mode: TableLockMode = TableLockMode.ROW_EXCLUSIVE,
) {
  if (schema !== undefined && schema !== 'public') {
    if (schema === 'pg_catalog' || schema === 'information_schema')
      throw new SqlError('42809', `cannot change system relation "${name}"`);
    throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${schema}.${name}" does not exist`, {
      position: loc + 1,
    });
  }
  if (planner.catalog.view(name) !== undefined) throw notSupported('INSERT, UPDATE or DELETE on a view');
  const t = planner.catalog.table(name, loc + 1);
  planner.tableLocks.add(t, mode);
  return t;
}

/**
 * ddlLocks asks for the table locks of a DDL statement on existing tables: ACCESS EXCLUSIVE for TRUNCATE,
 * ALTER TABLE, DROP TABLE and DROP INDEX (its table), SHARE for CREATE INDEX (which writes no rows of the
 * table). A table that does not exist is left to the statement's own error.
 */
function ddlLocks(planner: Planner, s: Statement): void {
  const catalog = planner.catalog;
  const lock = (name: string, mode: TableLockMode): void => {
    const t = catalog.get(name);
    if (t !== undefined) planner.tableLocks.add(t, mode);
  };
  const exclusive = TableLockMode.ACCESS_EXCLUSIVE;
  switch (s.kind) {
    case 'truncate':
    case 'dropTable':
      for (const t of s.tables) lock(t.name, exclusive);
      return;
    case 'alterTable':
      lock(s.table.name, exclusive);
      return;
    case 'createIndex':
      lock(s.table.name, TableLockMode.SHARE);
      return;
    case 'dropIndex':
      for (const n of s.names) {
        const t = catalog.indexOwner(n);
        if (t !== undefined) lock(t.name, exclusive);
      }
      return;
    default:
      return;
  }
}

/**
 * namingRegTypes prints regclass, regtype and regnamespace results as names: their text output needs the
 * catalog, which the wire protocol's value formatting does not have, so it is done as rows leave the query.
 */
function namingRegTypes(columns: readonly ColumnInfo[], rows: Iterable<Row>, ex: ExecContext): Iterable<Row> {
  const reg = columns.flatMap((c, i) => (isRegType(c.type.id) ? [i] : []));
  return (function* () {
    for (const r of rows) {
      const out = [...r];
      for (const i of reg)
        if (out[i] !== null) out[i] = regOut(ex.runtime, columns[i]!.type, out[i] as number);
      yield out;
    }
  })();
}

/**
 * dmlPlan plans a data-modifying WITH query as a plan of its RETURNING rows, computed once per execution.
 * PostgreSQL's outer query reads the tables as they were before the WITH query changed them; shale's would
 * see the changes, so reading a changed table in the same statement is refused.
 */
/** DmlPlan is a data-modifying WITH query: prime() runs it (it may wait for row locks), rows() reads its result. */
interface DmlPlan extends Plan {
  prime(ex: ExecContext): Promise<void>;
}

function dmlPlan(planner: Planner, d: Statement, outer: { readonly with: readonly Cte[] }): DmlPlan {
  if (d.kind !== 'insert' && d.kind !== 'update' && d.kind !== 'delete')
    throw new SqlError(SqlState.INTERNAL_ERROR, `not a data-modifying statement: ${d.kind}`);
  const t = targetTable(planner, d.table.name, d.table.schema, d.table.loc);
  const others = { ...outer, with: outer.with.filter((c) => c.dml === undefined) };
  const siblings = outer.with.filter((c) => c.dml !== undefined && c.dml !== d).map((c) => c.dml);
  if (mentionsTable(others, t.name) || mentionsTable(siblings, t.name))
    throw notSupported('a query that reads or changes a table its data-modifying WITH query changes');
  const e =
    d.kind === 'insert'
      ? planInsert(planner, d, t)
      : d.kind === 'update'
        ? planUpdate(planner, d, t)
        : planDelete(planner, d, t);
  const key = {};
  return {
    columns: e.columns ?? [],
    async prime(ex) {
      if (ex.cache.has(key)) return;
      const c = await e.run(ex);
      ex.cache.set(key, c.next(0).rows);
      c.close();
    },
    rows(ex) {
      const rows = ex.cache.get(key) as Row[] | undefined;
      if (rows === undefined)
        throw new SqlError(SqlState.INTERNAL_ERROR, 'a data-modifying WITH query did not run first');
      return rows;
    },
    explain: () => [`${d.kind[0]!.toUpperCase()}${d.kind.slice(1)} on ${t.name}`],
  };
}

const selectTag = (n: number): string => `SELECT ${n}`;

export function planStatement(planner: Planner, s: Statement): Executable {
  if ((s.kind === 'insert' || s.kind === 'update' || s.kind === 'delete') && s.with !== undefined)
    return planWithDml(planner, s);
  switch (s.kind) {
    case 'declareCursor':
      return planDeclareCursor(planner, s);
    case 'query': {
      planner.planDml = (d) => dmlPlan(planner, d, s.query);
      const plan = planner.planQuery(s.query, undefined);
      const locking =
        s.query.kind === 'select' && s.query.locking !== undefined
          ? planRowLocks(planner, s.query, (t) =>
              targetTable(planner, t.name, t.schema, t.loc, TableLockMode.ROW_SHARE),
            )
          : undefined;
      const dml = planner.dmlPlans as DmlPlan[];
      const named = plan.columns.some((c) => isRegType(c.type.id));
      return {
        columns: plan.columns,
        writes: locking !== undefined || dml.length > 0,
        paramTypes: paramTypes(planner),
        run: (ex) => {
          const cursor = (): Cursor => {
            const rows = plan.rows(ex);
            return rowsCursor(plan.columns, named ? namingRegTypes(plan.columns, rows, ex) : rows, selectTag);
          };
          // A plain query starts at once (no promise); locks and data-modifying WITH queries come first.
          if (locking === undefined && dml.length === 0) return cursor();
          return (async () => {
            if (locking !== undefined) await locking(ex);
            // Data-modifying WITH queries run once, first, whether the query reads them or not.
            for (const p of dml) await p.prime(ex);
            return cursor();
          })();
        },
        explain: () => plan.explain(),
      };
    }
    case 'insert': {
      const t = targetTable(planner, s.table.name, s.table.schema, s.table.loc);
      const e = planInsert(planner, s, t);
      return { ...e, paramTypes: paramTypes(planner), explain: () => [`Insert on ${t.name}`] };
    }
    case 'update': {
      const t = targetTable(planner, s.table.name, s.table.schema, s.table.loc);
      const e = planUpdate(planner, s, t);
      return {
        ...e,
        paramTypes: paramTypes(planner),
        explain: () => [`Update on ${t.name}`, ...indent(e.explainScan?.() ?? [])],
      };
    }
    case 'delete': {
      const t = targetTable(planner, s.table.name, s.table.schema, s.table.loc);
      const e = planDelete(planner, s, t);
      return {
        ...e,
        paramTypes: paramTypes(planner),
        explain: () => [`Delete on ${t.name}`, ...indent(e.explainScan?.() ?? [])],
      };
    }
    case 'lock':
      return planLockTable(planner, s);
    case 'createTableAs': {
      const e = planCreateTableAs(planner, s);
      return { ...e, paramTypes: paramTypes(planner), explain: () => [] };
    }
    case 'createTable':
    case 'dropTable':
    case 'truncate':
    case 'createIndex':
    case 'dropIndex':
    case 'alterTable':
    case 'renameIndex':
    case 'createView':
    case 'dropView':
    case 'createSequence':
    case 'alterSequence':
    case 'dropSequence':
      ddlLocks(planner, s);
      return {
        columns: undefined,
        writes: true,
        paramTypes: paramTypes(planner),
        run: (ex) => runDdl(planner, s, ex),
        explain: () => [],
      };
    default:
      throw new SqlError(SqlState.INTERNAL_ERROR, `statement ${s.kind} is not planned`);
  }
}

/**
 * planWithDml plans INSERT, UPDATE or DELETE with a WITH clause: its queries are in scope while the
 * statement is planned, and its data-modifying ones run first (each once), as for a query.
 */
function planWithDml(
  planner: Planner,
  s: Extract<Statement, { kind: 'insert' | 'update' | 'delete' }>,
): Executable {
  const ctes = s.with!;
  const main = { ...s, with: undefined };
  const outer = { ...main, with: ctes };
  planner.planDml = (d) => dmlPlan(planner, d, outer);
  const e = planner.withCtes(ctes, () => planStatement(planner, main));
  const dml = planner.dmlPlans as DmlPlan[];
  return {
    ...e,
    writes: true,
    run: async (ex) => {
      for (const p of dml) await p.prime(ex);
      return e.run(ex);
    },
  };
}

/** planDeclareCursor plans DECLARE ... CURSOR FOR query: running it starts the query and keeps it open. */
function planDeclareCursor(planner: Planner, s: Extract<Statement, { kind: 'declareCursor' }>): Executable {
  const q = s.query;
  if (q.with.some((c) => c.dml !== undefined))
    throw notSupported('DECLARE CURSOR with data-modifying statements in WITH');
  if (q.kind === 'select' && q.locking !== undefined && (s.hold || s.scroll === true))
    throw notSupported(`DECLARE ${s.hold ? 'CURSOR WITH HOLD' : 'SCROLL CURSOR'} ... FOR UPDATE/SHARE`);
  const query = planStatement(planner, { kind: 'query', query: q });
  const columns = query.columns ?? [];
  return {
    columns: undefined,
    writes: query.writes,
    paramTypes: query.paramTypes,
    run: async (ex) => {
      ex.runtime.declareCursor(s.name, columns, await query.run(ex), { hold: s.hold, scroll: s.scroll });
      return doneCursor('DECLARE CURSOR');
    },
    ...(query.explain === undefined ? {} : { explain: query.explain }),
  };
}
