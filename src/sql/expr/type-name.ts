/**
 * resolveTypeName turns a type as written (int, varchar(10), numeric(10,2), timestamp with time zone) into a
 * SqlType with PostgreSQL's typmod encoding. serial types are handled by CREATE TABLE, not here.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { TypeName } from '../ast.js';
import { TYPE_INFO, arrayOf, sqlType, typeIdByName, type SqlType } from '../types/sql-type.js';

export function resolveTypeName(t: TypeName): SqlType {
  if (t.array) {
    const e = resolveTypeName({ ...t, array: false });
    const a = arrayOf(e.id);
    if (a === undefined) throw notSupported(`arrays of ${TYPE_INFO[e.id].pgName}`, t.loc + 1);
    return sqlType(a, e.typmod);
  }
  const id = typeIdByName(t.name);
  if (id === undefined) {
    if (
      ['timetz', 'uuid', 'money', 'inet', 'cidr', 'xml', 'bit', 'varbit', 'point', 'tsvector'].includes(
        t.name,
      )
    )
      throw notSupported(`type ${t.name}`, t.loc + 1);
    throw new SqlError(SqlState.UNDEFINED_OBJECT, `type "${t.name}" does not exist`, { position: t.loc + 1 });
  }
  if (id === 'varchar' || id === 'bpchar') {
    if (t.mods.length === 0) return sqlType(id);
    const n = t.mods[0]!;
    if (n < 1)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `length for type ${id} must be at least 1`, {
        position: t.loc + 1,
      });
    if (n > 10485760)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `length for type ${id} cannot exceed 10485760`, {
        position: t.loc + 1,
      });
    return sqlType(id, n + 4);
  }
  if (id === 'numeric') {
    if (t.mods.length === 0) return sqlType(id);
    const p = t.mods[0]!;
    const s = t.mods[1] ?? 0;
    if (p < 1 || p > 1000)
      throw new SqlError(
        SqlState.INVALID_PARAMETER_VALUE,
        `NUMERIC precision ${p} must be between 1 and 1000`,
        { position: t.loc + 1 },
      );
    // Since PostgreSQL 15 the scale may exceed the precision (numeric(3, 4)) or be negative.
    if (s < -1000 || s > 1000)
      throw new SqlError(
        SqlState.INVALID_PARAMETER_VALUE,
        `NUMERIC scale ${s} must be between -1000 and 1000`,
        {
          position: t.loc + 1,
        },
      );
    if (s < 0) throw notSupported('a negative NUMERIC scale', t.loc + 1);
    return sqlType(id, ((p << 16) | s) + 4);
  }
  if (id === 'time' && t.mods.length > 0) {
    const p = t.mods[0]!;
    if (p < 0)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `TIME(${p}) precision must not be negative`, {
        position: t.loc + 1,
      });
    return sqlType(id, Math.min(p, 6));
  }
  if ((id === 'timestamp' || id === 'timestamptz') && t.mods.length > 0) {
    // timestamp(p): values round to p fractional digits; above 6 PostgreSQL reduces it to 6.
    const p = t.mods[0]!;
    const name = id === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMP WITH TIME ZONE';
    if (p < 0)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `${name}(${p}) precision must not be negative`, {
        position: t.loc + 1,
      });
    return sqlType(id, Math.min(p, 6));
  }
  if (id === 'float8' && t.mods.length > 0) return sqlType(t.mods[0]! <= 24 ? 'float4' : 'float8');
  return sqlType(id);
}
