/**
 * Column defaults: the DEFAULT expression (or the serial sequence), compiled to the column's type.
 */
import type { ColumnDef, TableDef } from '../catalog/table-def.js';
import { coerce } from '../expr/coerce.js';
import type { Compiled } from '../expr/context.js';
import type { Planner } from '../plan/planner.js';
import { Scope } from '../plan/scope.js';
import { castValue } from '../types/cast.js';
import { sqlType } from '../types/sql-type.js';

export function compileDefault(planner: Planner, table: TableDef, c: ColumnDef): Compiled | undefined {
  if (c.sequence !== undefined) {
    const id = c.sequence;
    const t = c.type;
    return {
      type: t,
      eval: (_r, ex) =>
        castValue(
          ex.runtime.nextSerialValue(table.name, c.name, id),
          sqlType('int8'),
          t,
          true,
          ex.runtime.io,
        ),
      correlated: false,
      volatile: true,
    };
  }
  if (c.default === undefined) return undefined;
  return coerce(
    planner,
    planner.compile(c.default, new Scope([]), 'DEFAULT'),
    c.type,
    'assignment',
    c.default.loc,
  );
}
