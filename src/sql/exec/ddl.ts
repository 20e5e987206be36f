/**
 * DDL: CREATE/DROP TABLE, TRUNCATE, CREATE/DROP INDEX, ALTER INDEX ... RENAME, CREATE/ALTER/DROP SEQUENCE,
 * and ALTER TABLE (alter-table.ts). Every change goes through the transaction (catalog entries, rows, index
 * entries), so DDL commits and rolls back like any other write.
 */
import { SqlError, SqlState } from '../errors.js';
import { TableLockMode } from '../plan/table-locks.js';
import type { Expr, Statement } from '../ast.js';
import { columnIndex, type IndexDef, type TableDef } from '../catalog/table-def.js';
import type { ExecContext } from '../expr/context.js';
import { mentionsTable, type Planner } from '../plan/planner.js';
import type { CatalogView } from '../catalog/catalog.js';
import { indexPrefix, sequenceKey } from '../storage/keyspace.js';
import { compileDefault } from './defaults.js';
import { compileCheck, compileGenerated, compileIndexExpr, newCheck } from './checks.js';
import { doneCursor, type Cursor } from './executable.js';
import { alterTable } from './alter-table.js';
import {
  addIndex,
  checkName,
  clearTable,
  skipExisting,
  checkColumnType,
  columnFrom,
  deleteRange,
  keyName,
} from './table-ops.js';

/** runDdl executes a DDL statement. */
export function runDdl(planner: Planner, s: Statement, ex: ExecContext): Cursor {
  const catalog = ex.runtime.catalog;
  switch (s.kind) {
    case 'createTable': {
      const name = s.table.name;
      if (s.table.schema !== undefined && s.table.schema !== 'public')
        throw new SqlError('3F000', `schema "${s.table.schema}" does not exist`);
      if (skipExisting(ex, name, s.ifNotExists)) return doneCursor('CREATE TABLE');
      const seen = new Set<string>();
      for (const c of s.columns) {
        if (seen.has(c.name))
          throw new SqlError(SqlState.DUPLICATE_COLUMN, `column "${c.name}" specified more than once`);
        seen.add(c.name);
      }
      const id = catalog.allocateId();
      let columns = s.columns.map((c) => columnFrom(catalog, c, name));
      const inline = s.columns.filter((c) => c.primaryKey);
      if (inline.length > 1 || (inline.length === 1 && s.primaryKey !== undefined))
        throw new SqlError(
          SqlState.INVALID_TABLE_DEFINITION,
          `multiple primary keys for table "${name}" are not allowed`,
        );
      const pk =
        s.primaryKey ??
        (inline.length === 1 ? { name: inline[0]!.primaryKeyName, columns: [inline[0]!.name] } : undefined);
      const primaryKey = (pk?.columns ?? []).map((n) => {
        const ci = columns.findIndex((c) => c.name === n);
        if (ci < 0)
          throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" named in key does not exist`);
        return ci;
      });
      columns = columns.map((c, i) => (primaryKey.includes(i) ? { ...c, notNull: true } : c));
      let def: TableDef = {
        id,
        name,
        columns,
        primaryKey,
        primaryKeyName: undefined,
        rowIdSequence: primaryKey.length > 0 ? undefined : catalog.allocateId(),
        indexes: [],
        checks: [],
      };
      // Constraints are named in PostgreSQL's order: CHECKs, then the primary key, then UNIQUEs.
      for (const c of s.columns)
        for (const k of c.checks ?? [])
          def = { ...def, checks: [...def.checks!, newCheck(def, k.name, k.expr, c.name)] };
      for (const k of s.checks) def = { ...def, checks: [...def.checks!, newCheck(def, k.name, k.expr)] };
      if (primaryKey.length > 0)
        def = { ...def, primaryKeyName: keyName(catalog, def, pk!.name, `${name}_pkey`) };
      const uniques = [
        ...s.columns.filter((c) => c.unique).map((c) => ({ name: c.uniqueName, columns: [c.name] })),
        ...s.uniques,
      ];
      for (const u of uniques) {
        const ix: IndexDef = {
          id: catalog.allocateId(),
          name: keyName(catalog, def, u.name, `${name}_${u.columns.join('_')}_key`),
          columns: u.columns.map((n) => {
            const ci = columns.findIndex((c) => c.name === n);
            if (ci < 0)
              throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${n}" named in key does not exist`);
            return { column: ci, desc: false };
          }),
          unique: true,
          constraint: true,
        };
        def = { ...def, indexes: [...def.indexes, ix] };
      }
      for (const k of def.checks!) compileCheck(planner, def, k.expr);
      compileGenerated(planner, def);
      for (const c of columns) if (c.default !== undefined) compileDefault(planner, def, c);
      catalog.put(def);
      // Nobody else sees the new table before the commit; holding it exclusively, writes need no row locks.
      ex.txn.tryLockTable(def.id, TableLockMode.ACCESS_EXCLUSIVE);
      return doneCursor('CREATE TABLE');
    }
    case 'dropTable': {
      for (const t of s.tables) {
        const def = catalog.get(t.name);
        if (def === undefined) {
          if (s.ifExists) {
            ex.runtime.notice(
              'NOTICE',
              SqlState.UNDEFINED_TABLE,
              `table "${t.name}" does not exist, skipping`,
            );
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_TABLE, `table "${t.name}" does not exist`);
        }
        dropDependentViews(ex, catalog, 'table', t.name, s.cascade === true);
        clearTable(ex, def);
        // Serial and identity counters go with the table, in its transaction (ids are never reused).
        for (const c of def.columns) if (c.sequence !== undefined) ex.txn.delete(sequenceKey(c.sequence));
        catalog.drop(t.name);
      }
      return doneCursor('DROP TABLE');
    }
    case 'truncate': {
      for (const t of s.tables) {
        const def = catalog.table(t.name);
        clearTable(ex, def);
        if (s.restartIdentity)
          for (const c of def.columns) if (c.sequence !== undefined) ex.runtime.dropSequence(c.sequence);
      }
      return doneCursor('TRUNCATE TABLE');
    }
    case 'createIndex': {
      const t = catalog.table(s.table.name);
      const cols = s.columns.map((c) => {
        if (c.expr !== undefined) {
          // An expression column: checked now (columns exist, types resolve), evaluated on every write.
          compileIndexExpr(planner, t, c.expr);
          return { column: -1, desc: c.desc, expr: c.expr };
        }
        const ci = columnIndex(t, c.name!);
        if (ci < 0) throw new SqlError(SqlState.UNDEFINED_COLUMN, `column "${c.name}" does not exist`);
        return { column: ci, desc: c.desc };
      });
      // PostgreSQL names an expression column after its function, or "expr".
      const parts = s.columns
        .map((c) => c.name ?? (c.expr?.kind === 'func' ? c.expr.name : 'expr'))
        .join('_');
      let name = s.name ?? `${t.name}_${parts}_idx`;
      if (s.name === undefined)
        for (let i = 1; catalog.entry(name) !== undefined || catalog.indexOwner(name) !== undefined; i++)
          name = `${t.name}_${parts}_idx${i}`;
      if (skipExisting(ex, name, s.ifNotExists)) return doneCursor('CREATE INDEX');
      const ix: IndexDef = {
        id: catalog.allocateId(),
        name,
        columns: cols,
        unique: s.unique,
        constraint: false,
      };
      addIndex(planner, ex, catalog, t, ix);
      return doneCursor('CREATE INDEX');
    }
    case 'dropIndex': {
      for (const name of s.names) {
        const t = catalog.indexOwner(name);
        const ix = t?.indexes.find((i) => i.name === name);
        if (t === undefined || ix === undefined) {
          if (t !== undefined)
            throw new SqlError(
              '2BP01',
              `cannot drop index ${name} because constraint ${name} on table ${t.name} requires it`,
            );
          if (s.ifExists) {
            ex.runtime.notice(
              'NOTICE',
              SqlState.UNDEFINED_OBJECT,
              `index "${name}" does not exist, skipping`,
            );
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_OBJECT, `index "${name}" does not exist`);
        }
        if (ix.constraint)
          throw new SqlError(
            '2BP01',
            `cannot drop index ${name} because constraint ${name} on table ${t.name} requires it`,
          );
        deleteRange(ex, indexPrefix(ix.id));
        catalog.put({ ...t, indexes: t.indexes.filter((i) => i !== ix) });
      }
      return doneCursor('DROP INDEX');
    }
    case 'alterTable': {
      if (s.ifExists && catalog.get(s.table.name) === undefined) {
        ex.runtime.notice(
          'NOTICE',
          SqlState.UNDEFINED_TABLE,
          `relation "${s.table.name}" does not exist, skipping`,
        );
        return doneCursor('ALTER TABLE');
      }
      for (const a of s.actions) alterTable(planner, ex, catalog, s.table.name, a);
      return doneCursor('ALTER TABLE');
    }
    case 'createView': {
      const existing = catalog.view(s.name);
      if (existing === undefined || !s.replace) checkName(catalog, s.name);
      const p = planner.planQuery(s.query, undefined);
      if (s.columns.length > p.columns.length)
        throw new SqlError(SqlState.SYNTAX_ERROR, 'CREATE VIEW specifies more column names than columns');
      const columns = p.columns.map((c, i) => s.columns[i] ?? c.name);
      p.columns.forEach((c, i) => checkColumnType(columns[i]!, c.type));
      const seen = new Set<string>();
      for (const c of columns) {
        if (seen.has(c))
          throw new SqlError(SqlState.DUPLICATE_COLUMN, `column "${c}" specified more than once`);
        seen.add(c);
      }
      if (existing !== undefined) {
        if (columns.length < existing.columns.length)
          throw new SqlError(SqlState.INVALID_TABLE_DEFINITION, 'cannot drop columns from view');
        existing.columns.forEach((c, i) => {
          if (columns[i] !== c)
            throw new SqlError(
              SqlState.INVALID_TABLE_DEFINITION,
              `cannot change name of view column "${c}" to "${columns[i]}"`,
              { hint: 'Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead.' },
            );
        });
      }
      catalog.put({
        kind: 'view',
        id: existing?.id ?? catalog.allocateId(),
        name: s.name,
        columns,
        query: s.query,
      });
      return doneCursor('CREATE VIEW');
    }
    case 'dropView': {
      for (const name of s.names) {
        if (catalog.view(name) === undefined) {
          if (s.ifExists) {
            ex.runtime.notice('NOTICE', SqlState.UNDEFINED_TABLE, `view "${name}" does not exist, skipping`);
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_TABLE, `view "${name}" does not exist`);
        }
        dropDependentViews(ex, catalog, 'view', name, s.cascade);
        catalog.drop(name);
      }
      return doneCursor('DROP VIEW');
    }
    case 'createSequence': {
      if (skipExisting(ex, s.name, s.ifNotExists)) return doneCursor('CREATE SEQUENCE');
      const start = s.options.start ?? 1n;
      checkSequenceStart(start);
      catalog.put({
        kind: 'sequence',
        id: catalog.allocateId(),
        name: s.name,
        start: start.toString(),
        increment: (s.options.increment ?? 1n).toString(),
      });
      return doneCursor('CREATE SEQUENCE');
    }
    case 'alterSequence': {
      const seq = catalog.sequence(s.name);
      if (seq === undefined) {
        if (s.ifExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.UNDEFINED_TABLE,
            `relation "${s.name}" does not exist, skipping`,
          );
          return doneCursor('ALTER SEQUENCE');
        }
        throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${s.name}" does not exist`);
      }
      const start = s.options.start ?? BigInt(seq.start);
      const increment = s.options.increment ?? BigInt(seq.increment);
      checkSequenceStart(start);
      catalog.put({ ...seq, start: start.toString(), increment: increment.toString() });
      if (s.options.restart !== undefined) {
        const next = s.options.restart ?? start;
        checkSequenceStart(next, 'RESTART');
        ex.runtime.restartSequence(seq.id, next, increment);
      }
      return doneCursor('ALTER SEQUENCE');
    }
    case 'dropSequence': {
      for (const name of s.names) {
        const seq = catalog.sequence(name);
        if (seq === undefined) {
          if (s.ifExists) {
            ex.runtime.notice(
              'NOTICE',
              SqlState.UNDEFINED_TABLE,
              `sequence "${name}" does not exist, skipping`,
            );
            continue;
          }
          throw new SqlError(SqlState.UNDEFINED_TABLE, `sequence "${name}" does not exist`);
        }
        // Column defaults that call nextval on it depend on it: an error, or dropped too with CASCADE.
        for (const t of catalog.all()) {
          const users = t.columns.filter((c) => c.default !== undefined && callsNextval(c.default, name));
          if (users.length === 0) continue;
          const what = (c: { name: string }): string =>
            `default value for column ${c.name} of table ${t.name}`;
          if (!s.cascade)
            throw new SqlError('2BP01', `cannot drop sequence ${name} because other objects depend on it`, {
              detail: users.map((c) => `${what(c)} depends on sequence ${name}`).join('\n'),
              hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
            });
          for (const c of users) ex.runtime.notice('NOTICE', '00000', `drop cascades to ${what(c)}`);
          catalog.put({
            ...t,
            columns: t.columns.map((c) => (users.includes(c) ? { ...c, default: undefined } : c)),
          });
        }
        // The counter goes with the definition, in the same transaction (ids are never reused).
        ex.txn.delete(sequenceKey(seq.id));
        catalog.drop(name);
      }
      return doneCursor('DROP SEQUENCE');
    }
    case 'renameIndex': {
      const t = catalog.indexOwner(s.name);
      if (t === undefined) {
        if (s.ifExists) {
          ex.runtime.notice(
            'NOTICE',
            SqlState.UNDEFINED_TABLE,
            `relation "${s.name}" does not exist, skipping`,
          );
          return doneCursor('ALTER INDEX');
        }
        throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${s.name}" does not exist`);
      }
      checkName(catalog, s.to);
      catalog.put({
        ...t,
        primaryKeyName: t.primaryKeyName === s.name ? s.to : t.primaryKeyName,
        indexes: t.indexes.map((i) => (i.name === s.name ? { ...i, name: s.to } : i)),
      });
      return doneCursor('ALTER INDEX');
    }
    default:
      throw new SqlError(SqlState.INTERNAL_ERROR, `not a DDL statement: ${s.kind}`);
  }
}

/** checkSequenceStart: START (or RESTART) must lie within the sequence's bounds, 1 .. int8 max. */
function checkSequenceStart(v: bigint, what = 'START'): void {
  if (v < 1n)
    throw new SqlError(
      SqlState.INVALID_PARAMETER_VALUE,
      `${what} value (${v}) cannot be less than MINVALUE (1)`,
    );
  if (v > 2n ** 63n - 1n)
    throw new SqlError(
      SqlState.INVALID_PARAMETER_VALUE,
      `${what} value (${v}) cannot be greater than MAXVALUE (9223372036854775807)`,
    );
}

/** callsNextval: the expression calls nextval (or setval, currval) on the sequence `name`. */
function callsNextval(e: Expr, name: string): boolean {
  let found = false;
  const walk = (x: unknown): void => {
    if (found || x === null || typeof x !== 'object') return;
    if (Array.isArray(x)) {
      for (const y of x) walk(y);
      return;
    }
    const o = x as Record<string, unknown>;
    if (o.kind === 'func' && ['nextval', 'currval', 'setval'].includes(o.name as string)) {
      const a = (o.args as Expr[])[0];
      const lit = a?.kind === 'cast' ? a.arg : a;
      if (
        lit?.kind === 'literal' &&
        lit.literal.kind === 'string' &&
        lit.literal.value.replace(/^public\./, '') === name
      )
        found = true;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return found;
}

/**
 * dropDependentViews handles the views that read relation `name` (found by name in their queries): without
 * CASCADE they make the DROP fail (2BP01); with it they are dropped first, views on them included.
 */
function dropDependentViews(
  ex: ExecContext,
  catalog: CatalogView,
  kind: 'table' | 'view',
  name: string,
  cascade: boolean,
): void {
  const deps = catalog.views().filter((v) => v.name !== name && mentionsTable(v.query, name));
  if (deps.length === 0) return;
  if (!cascade)
    throw new SqlError('2BP01', `cannot drop ${kind} ${name} because other objects depend on it`, {
      detail: deps.map((v) => `view ${v.name} depends on ${kind} ${name}`).join('\n'),
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  for (const v of deps) {
    if (catalog.view(v.name) === undefined) continue;
    ex.runtime.notice('NOTICE', '00000', `drop cascades to view ${v.name}`);
    dropDependentViews(ex, catalog, 'view', v.name, true);
    catalog.drop(v.name);
  }
}
