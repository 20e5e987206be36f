/**
 * planStatement turns a data statement (a query, INSERT, UPDATE, DELETE, or DDL) into an Executable.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Select, Statement } from '../ast.js';
import type { ExecContext } from '../expr/context.js';
import { collect, matching, relock } from './update-delete.js';
import type { Planner } from '../plan/planner.js';
import { sqlType, type SqlType } from '../types/sql-type.js';
import { rowsCursor, type Executable } from './executable.js';
import { planInsert } from './insert.js';
import { planDelete, planUpdate } from './update-delete.js';
import { runDdl } from './ddl.js';
import { indent } from '../plan/plan.js';
import type { ColumnInfo, Row } from '../plan/scope.js';
import { isRegType, regOut } from '../expr/reg-types.js';

function paramTypes(planner: Planner): SqlType[] {
  return planner.params.map((t) => (t === undefined || t.id === 'unknown' ? sqlType('text') : t));
}

function targetTable(planner: Planner, name: string, schema: string | undefined, loc: number) {
  if (schema !== undefined && schema !== 'public') {
    if (schema === 'pg_catalog' || schema === 'information_schema')
      throw new SqlError('42809', `cannot change system relation "${name}"`);
    throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${schema}.${name}" does not exist`, {
      position: loc + 1,
    });
  }
  return planner.catalog.table(name, loc + 1);
}

/**
 * namingRegTypes prints regclass, regtype and regnamespace results as names: their text output needs the
 * catalog, which the wire protocol's value formatting does not have, so it is done as rows leave the query.
 */
function namingRegTypes(columns: readonly ColumnInfo[], rows: Iterable<Row>, ex: ExecContext): Iterable<Row> {
  const reg = columns.flatMap((c, i) => (isRegType(c.type.id) ? [i] : []));
  if (reg.length === 0) return rows;
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
 * planRowLocks: SELECT ... FOR UPDATE / FOR SHARE of one table locks the rows its WHERE selects before the
 * query runs (waiting for their holders); under READ COMMITTED the query then reads a fresh snapshot, which
 * shows the locked rows as last committed; under REPEATABLE READ a row changed after the snapshot is 40001.
 */
function planRowLocks(
  planner: Planner,
  q: Extract<Select, { kind: 'select' }>,
): (ex: ExecContext) => Promise<void> {
  const from = q.from[0];
  if (q.from.length !== 1 || from?.kind !== 'table' || q.groupBy.length > 0 || q.distinct !== false)
    throw notSupported('FOR UPDATE or FOR SHARE other than on one table without GROUP BY or DISTINCT');
  const table = targetTable(planner, from.name, from.schema, from.loc);
  const { scan, filter } = matching(planner, table, from.alias ?? table.name, q.where);
  return async (ex) => {
    for (const e of collect(scan, filter, ex)) {
      if (ex.lockRows === true) await relock(ex, table, e, filter);
      else await ex.txn.getForUpdate(e.key);
    }
    if (ex.lockRows === true) ex.txn.refreshReadSnapshot();
  };
}

export function planStatement(planner: Planner, s: Statement): Executable {
  switch (s.kind) {
    case 'query': {
      const plan = planner.planQuery(s.query, undefined);
      const locking =
        s.query.kind === 'select' && s.query.locking !== undefined
          ? planRowLocks(planner, s.query)
          : undefined;
      return {
        columns: plan.columns,
        writes: locking !== undefined,
        paramTypes: paramTypes(planner),
        run: async (ex) => {
          if (locking !== undefined) await locking(ex);
          return rowsCursor(
            plan.columns,
            namingRegTypes(plan.columns, plan.rows(ex), ex),
            (n) => `SELECT ${n}`,
          );
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
    case 'createTable':
    case 'dropTable':
    case 'truncate':
    case 'createIndex':
    case 'dropIndex':
    case 'alterTable':
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
