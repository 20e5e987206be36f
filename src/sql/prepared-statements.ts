/**
 * SQL-level prepared statements of one session: PREPARE name [(types)] AS statement, EXECUTE name
 * [(values)], DEALLOCATE [PREPARE] name | ALL. A statement is planned at PREPARE (its errors surface
 * there, and the types of parameters not declared are inferred); EXECUTE evaluates its arguments, brings
 * them to the parameter types as an assignment would, and runs the statement with them, under the
 * statement's own command tag. They are separate from the protocol's named statements, as in PostgreSQL.
 */
import { SqlError, SqlState } from './errors.js';
import type { Statement } from './ast.js';
import { coerce } from './expr/coerce.js';
import type { ExecContext } from './expr/context.js';
import { resolveTypeName } from './expr/type-name.js';
import type { Planner } from './plan/planner.js';
import { Scope } from './plan/scope.js';
import type { SqlType, Value } from './types/sql-type.js';
import { doneCursor, type Cursor } from './exec/executable.js';

/** PreparedLike: what the session keeps of a prepared statement (its Prepared). */
export interface PreparedLike {
  readonly columns: readonly unknown[] | undefined;
  paramTypes: SqlType[];
}

type Prepare = Extract<Statement, { kind: 'prepare' }>;
type Execute = Extract<Statement, { kind: 'execute' }>;

export class PreparedStatements<P extends PreparedLike> {
  private readonly byName = new Map<string, P>();

  /** prepare plans the statement with `make` (given the declared parameter types) and keeps it. */
  prepare(s: Prepare, make: (declared: SqlType[]) => P): Cursor {
    if (this.byName.has(s.name))
      throw new SqlError(
        SqlState.DUPLICATE_PREPARED_STATEMENT,
        `prepared statement "${s.name}" already exists`,
      );
    this.byName.set(s.name, make(s.paramTypes.map(resolveTypeName)));
    return doneCursor('PREPARE');
  }

  /** get finds a prepared statement (undefined when there is none). */
  get(name: string): P | undefined {
    return this.byName.get(name);
  }

  /** argumentsOf evaluates EXECUTE's arguments as the prepared statement's parameter values. */
  argumentsOf(s: Execute, planner: Planner, ex: ExecContext): { prepared: P; values: Value[] } {
    const p = this.byName.get(s.name);
    if (p === undefined)
      throw new SqlError(
        SqlState.INVALID_SQL_STATEMENT_NAME,
        `prepared statement "${s.name}" does not exist`,
      );
    if (s.params.length !== p.paramTypes.length)
      throw new SqlError(
        SqlState.SYNTAX_ERROR,
        `wrong number of parameters for prepared statement "${s.name}"`,
        {
          detail: `Expected ${p.paramTypes.length} parameters but got ${s.params.length}.`,
        },
      );
    const empty = new Scope([]);
    const values = s.params.map((e, i) =>
      coerce(planner, planner.compile(e, empty, 'EXECUTE'), p.paramTypes[i]!, 'assignment', e.loc).eval(
        [],
        ex,
      ),
    );
    return { prepared: p, values };
  }

  /** deallocate runs DEALLOCATE name / DEALLOCATE ALL. */
  deallocate(name: string | undefined): Cursor {
    if (name === undefined) {
      this.byName.clear();
      return doneCursor('DEALLOCATE ALL');
    }
    if (!this.byName.delete(name))
      throw new SqlError(SqlState.INVALID_SQL_STATEMENT_NAME, `prepared statement "${name}" does not exist`);
    return doneCursor('DEALLOCATE');
  }

  /** clear forgets them all (DISCARD ALL). */
  clear(): void {
    this.byName.clear();
  }
}
