/**
 * planStatement turns a data statement (a query, INSERT, UPDATE, DELETE, or DDL) into an Executable.
 */
import { SqlError, SqlState } from '../errors.js';
import type { Statement } from '../ast.js';
import type { Planner } from '../plan/planner.js';
import { sqlType, type SqlType } from '../types/sql-type.js';
import { rowsCursor, type Executable } from './executable.js';
import { planInsert } from './insert.js';
import { planDelete, planUpdate } from './update-delete.js';
import { runDdl } from './ddl.js';
import { indent } from '../plan/plan.js';

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

export function planStatement(planner: Planner, s: Statement): Executable {
  switch (s.kind) {
    case 'query': {
      const plan = planner.planQuery(s.query, undefined);
      const exe = {
        columns: plan.columns,
        writes: s.query.kind === 'select' && s.query.locking !== undefined,
        run: (ex: Parameters<Executable['run']>[0]) =>
          rowsCursor(plan.columns, plan.rows(ex), (n) => `SELECT ${n}`),
        explain: () => plan.explain(),
      };
      return { ...exe, writes: false, paramTypes: paramTypes(planner) };
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
