/**
 * RETURNING lists: compiled against the target table's row, evaluated on each row written.
 */
import type { SelectItem } from '../ast.js';
import type { Compiled } from '../expr/context.js';
import { settle } from '../expr/coerce.js';
import type { Planner } from '../plan/planner.js';
import { figureName } from '../plan/planner.js';
import type { ColumnInfo, Scope } from '../plan/scope.js';

export interface Returning {
  readonly columns: ColumnInfo[];
  readonly exprs: Compiled[];
}

/** compileReturning compiles a RETURNING list (undefined when there is none). */
export function compileReturning(
  planner: Planner,
  items: readonly SelectItem[],
  scope: Scope,
): Returning | undefined {
  if (items.length === 0) return undefined;
  const columns: ColumnInfo[] = [];
  const exprs: Compiled[] = [];
  for (const it of items) {
    if (it.expr.kind === 'star') {
      scope.columns.forEach((c, i) => {
        if (c.hidden === true) return;
        columns.push({ ...c, table: undefined });
        exprs.push({ type: c.type, eval: (r) => r[i]!, correlated: false });
      });
      continue;
    }
    const c = settle(planner, planner.compile(it.expr, scope, 'RETURNING'), it.expr.loc);
    exprs.push(c);
    const src =
      it.expr.kind === 'column'
        ? scope.columns.find((x) => x.name === (it.expr as { name: string }).name)
        : undefined;
    columns.push({
      name: it.alias ?? figureName(it.expr) ?? '?column?',
      type: c.type,
      table: undefined,
      tableOid: src?.tableOid ?? 0,
      attnum: src?.attnum ?? 0,
    });
  }
  return { columns, exprs };
}
