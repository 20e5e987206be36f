/**
 * Record values: the anonymous composite type `record` (OID 2249) that `ROW(a, b)`, `(a, b)` and whole-row
 * references (`SELECT t FROM tbl t`) produce. As in PostgreSQL, a record carries its own field types and
 * names (its "tuple descriptor"), so output, comparison and to_json read them from the value.
 */
import { SqlError, SqlState } from '../errors.js';
import { TYPE_INFO, type SqlType, type Value } from './sql-type.js';

/** RecordValue is one non-null record: its fields, their types and names (f1, f2, ... for ROW(...)). */
export class RecordValue {
  constructor(
    readonly values: readonly Value[],
    readonly types: readonly SqlType[],
    readonly names: readonly string[],
  ) {}
}

/** anonymousNames names the fields of ROW(...) as PostgreSQL does: f1, f2, ... */
export function anonymousNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `f${i + 1}`);
}

/**
 * formatRecord is record_out: `(f1,f2)`, a NULL field as nothing, and a field in double quotes (with `"`
 * and `\` doubled) when it is empty or holds a quote, backslash, parenthesis, comma or white space.
 */
export function formatRecord(r: RecordValue, field: (t: SqlType, v: Exclude<Value, null>) => string): string {
  let s = '(';
  for (let i = 0; i < r.values.length; i++) {
    if (i > 0) s += ',';
    const v = r.values[i]!;
    if (v === null) continue;
    const text = field(r.types[i]!, v);
    s += text === '' || NEEDS_QUOTES.test(text) ? '"' + text.replace(/["\\]/g, '$&$&') + '"' : text;
  }
  return s + ')';
}

/** NEEDS_QUOTES: what makes record_out quote a field (white space as C's isspace sees it). */
const NEEDS_QUOTES = /["\\(),\t\n\v\f\r ]/;

/**
 * compareRecords is record_cmp, the btree order of records (ORDER BY, DISTINCT, GROUP BY, `=` between
 * record values): field by field, NULL fields equal to each other and after every other value. Fields of
 * different types, or records of different lengths, are 42804, as in PostgreSQL.
 */
export function compareRecords(
  a: RecordValue,
  b: RecordValue,
  compareField: (t: SqlType, x: Exclude<Value, null>, y: Exclude<Value, null>) => number,
): number {
  const n = Math.min(a.values.length, b.values.length);
  for (let i = 0; i < n; i++) {
    const ta = a.types[i]!;
    const tb = b.types[i]!;
    if (ta.id !== tb.id)
      throw new SqlError(
        SqlState.DATATYPE_MISMATCH,
        `cannot compare dissimilar column types ${TYPE_INFO[ta.id].pgName} and ${TYPE_INFO[tb.id].pgName} at record column ${i + 1}`,
      );
    const x = a.values[i]!;
    const y = b.values[i]!;
    if (x === null || y === null) {
      if (x === y) continue;
      return x === null ? 1 : -1;
    }
    const c = compareField(ta, x, y);
    if (c !== 0) return c;
  }
  if (a.values.length !== b.values.length)
    throw new SqlError(
      SqlState.DATATYPE_MISMATCH,
      'cannot compare record types with different numbers of columns',
    );
  return 0;
}

/**
 * rowIsNull is `r IS NULL` for a record: true iff it is NULL or every field is; `IS NOT NULL` is not its
 * negation but "every field is non-null" (rowIsNotNull).
 */
export function rowIsNull(v: Value): boolean {
  return v === null || (v as RecordValue).values.every((x) => x === null);
}

/** rowIsNotNull is `r IS NOT NULL` for a record: it is non-null and so is every field. */
export function rowIsNotNull(v: Value): boolean {
  return v !== null && (v as RecordValue).values.every((x) => x !== null);
}

/**
 * recordBinary is record_send: the field count, then each field's type OID and length-prefixed binary
 * form (length -1 for NULL).
 */
export function recordBinary(
  r: RecordValue,
  field: (t: SqlType, v: Exclude<Value, null>) => Uint8Array,
): Uint8Array {
  const parts: Uint8Array[] = [];
  const head = Buffer.alloc(4);
  head.writeInt32BE(r.values.length);
  parts.push(head);
  for (let i = 0; i < r.values.length; i++) {
    const t = r.types[i]!;
    const v = r.values[i]!;
    const bytes = v === null ? undefined : field(t, v);
    const h = Buffer.alloc(8);
    h.writeUInt32BE(TYPE_INFO[t.id].oid);
    h.writeInt32BE(bytes === undefined ? -1 : bytes.length, 4);
    parts.push(h);
    if (bytes !== undefined) parts.push(bytes);
  }
  return Buffer.concat(parts);
}

/** anonymousRecordInput is record_in's refusal: PostgreSQL cannot read an anonymous record either. */
export function anonymousRecordInput(): SqlError {
  return new SqlError(
    SqlState.FEATURE_NOT_SUPPORTED,
    'input of anonymous composite types is not implemented',
  );
}
