/**
 * The object identifier types regclass, regtype and regnamespace: an OID that reads and prints as the
 * object's name ('users'::regclass, 16385::regclass::text → users). Both directions need the catalog, so
 * the conversions run here, with the statement's runtime, rather than in types/cast.ts.
 */
import { SqlError, SqlState } from '../errors.js';
import { NAMESPACES, relationByName, relationByOid } from '../catalog/pg-objects.js';
import { quoteIdent } from '../catalog/deparse.js';
import { SYSTEM_RELATION_OIDS } from '../catalog/system-tables.js';
import type { Runtime } from '../runtime.js';
import {
  TYPE_INFO,
  isStringType,
  sqlType,
  typeByOid,
  typeIdByName,
  type SqlType,
  type Value,
} from '../types/sql-type.js';
import { coerce, isUntyped } from './coerce.js';
import type { Analyzer, Compiled } from './context.js';

/** isRegType: regclass, regtype or regnamespace. */
export function isRegType(id: string): boolean {
  return id === 'regclass' || id === 'regtype' || id === 'regnamespace';
}

/** splitName reads a possibly schema-qualified, possibly quoted name ("public"."T" → [public, T]). */
function splitName(s: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i <= s.length) {
    let part = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && !(s[i] === '"' && s[i + 1] !== '"')) {
        if (s[i] === '"') i++;
        part += s[i++];
      }
      i++;
    } else {
      while (i < s.length && s[i] !== '.') part += s[i++];
      part = part.trim().toLowerCase();
    }
    parts.push(part);
    if (s[i] !== '.') break;
    i++;
  }
  return parts;
}

/** regIn converts a name to the OID of the object it names. */
export function regIn(rt: Runtime, type: SqlType, text: string): number {
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  if (type.id === 'regtype') {
    const id = typeIdByName(
      text
        .trim()
        .toLowerCase()
        .replace(/^pg_catalog\./, ''),
    );
    if (id === undefined) throw new SqlError(SqlState.UNDEFINED_OBJECT, `type "${text}" does not exist`);
    return TYPE_INFO[id].oid;
  }
  const parts = splitName(text);
  const name = parts[parts.length - 1]!;
  if (type.id === 'regnamespace') {
    const n = parts.length === 1 ? NAMESPACES.find((x) => x.name === name) : undefined;
    if (n === undefined) throw new SqlError(SqlState.UNDEFINED_OBJECT, `schema "${text}" does not exist`);
    return n.oid;
  }
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  if (parts.length <= 2) {
    if (schema === undefined || schema === 'public') {
      const r = relationByName(rt.catalog, name);
      if (r !== undefined) return r.oid;
    }
    if ((schema === undefined || schema === 'pg_catalog') && Object.hasOwn(SYSTEM_RELATION_OIDS, name))
      return SYSTEM_RELATION_OIDS[name]!;
  }
  throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${text}" does not exist`);
}

/** regOut prints an OID as its object's name (the number itself when there is no such object). */
export function regOut(rt: Runtime, type: SqlType, oid: number): string {
  if (type.id === 'regtype') {
    const id = typeByOid(oid);
    return id === undefined ? String(oid) : TYPE_INFO[id].pgName;
  }
  if (type.id === 'regnamespace') return NAMESPACES.find((n) => n.oid === oid)?.name ?? String(oid);
  const r = relationByOid(rt.catalog, oid);
  if (r !== undefined) return quoteIdent(r.name);
  for (const [name, o] of Object.entries(SYSTEM_RELATION_OIDS)) if (o === oid) return name;
  return String(oid);
}

/** regCast compiles a cast to a reg type from text, or from a reg type to text; undefined for other casts. */
export function regCast(an: Analyzer, a: Compiled, to: SqlType, loc: number): Compiled | undefined {
  if (isRegType(to.id) && (isUntyped(a) || isStringType(a.type.id))) {
    const s = coerce(an, a, sqlType('text'), 'implicit', loc).eval;
    return {
      type: to,
      eval: (r, ex) => {
        const v = s(r, ex);
        return v === null ? null : regIn(ex.runtime, to, v as string);
      },
      correlated: a.correlated,
      volatile: a.volatile,
    };
  }
  if (isRegType(a.type.id) && isStringType(to.id)) {
    const f = a.eval;
    const from = a.type;
    const text: Compiled = {
      type: sqlType('text'),
      eval: (r, ex) => {
        const v: Value = f(r, ex);
        return v === null ? null : regOut(ex.runtime, from, v as number);
      },
      correlated: a.correlated,
      volatile: a.volatile,
    };
    return coerce(an, text, to, 'explicit', loc);
  }
  return undefined;
}
