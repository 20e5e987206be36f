/**
 * DistinctPlan drops rows equal to one already seen (DISTINCT, UNION): equality as GROUP BY sees it, NULLs
 * equal to each other.
 */
import { decodeInterval, intervalSpan } from '../types/interval.js';
import { parseJson, writeJsonb } from '../types/json-value.js';
import type { ExecContext } from '../expr/context.js';
import { formatValue } from '../types/text-io.js';
import type { SqlType, Value } from '../types/sql-type.js';
import { indent, type Plan } from './plan.js';
import type { ColumnInfo, Row } from './scope.js';
import { DEFAULT_IO } from '../types/io-settings.js';
import type { RecordValue } from '../types/record.js';

/** groupKey makes a string that is equal for rows GROUP BY or DISTINCT treats as equal. */
export function groupKey(types: readonly SqlType[], values: readonly Value[]): string {
  let s = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const t = types[i]!;
    if (v === null) s += '\u0000N';
    // A record's key is its fields' keys, quoted so that nesting cannot make two records collide.
    else if (t.id === 'record') {
      const r = v as RecordValue;
      s += '\u0000R' + JSON.stringify(groupKey(r.types, r.values));
    } else if (t.id === 'numeric') s += '\u0000' + canonicalNumeric(v as string);
    else if (t.id === 'bpchar') s += '\u0000' + (v as string).replace(/ +$/, '');
    else if (t.id === 'interval') s += '\u0000' + intervalSpan(decodeInterval(v as string)).toString();
    else if (t.id === 'jsonb') s += '\u0000' + writeJsonb(parseJson(v as string), true);
    else if (t.id === 'float4' || t.id === 'float8') s += '\u0000' + (Object.is(v, -0) ? '0' : String(v));
    else if (typeof v === 'string') s += '\u0000' + v;
    else if (v instanceof Uint8Array) s += '\u0000' + Buffer.from(v).toString('hex');
    // Only a key: any fixed settings tell values apart.
    else s += '\u0000' + formatValue(t, v, DEFAULT_IO);
  }
  return s;
}

function canonicalNumeric(v: string): string {
  if (!v.includes('.')) return v === '-0' ? '0' : v;
  const t = v.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

export class DistinctPlan implements Plan {
  readonly columns: readonly ColumnInfo[];
  constructor(
    private readonly input: Plan,
    /** keyColumns: the columns that decide (DISTINCT ON); undefined: all of them. */
    private readonly keyColumns: readonly number[] | undefined = undefined,
  ) {
    this.columns = input.columns;
  }
  *rows(ex: ExecContext): Iterable<Row> {
    const seen = new Set<string>();
    const cols = this.keyColumns;
    const types =
      cols === undefined ? this.columns.map((c) => c.type) : cols.map((i) => this.columns[i]!.type);
    for (const r of this.input.rows(ex)) {
      const k = groupKey(types, cols === undefined ? r : cols.map((i) => r[i]!));
      if (seen.has(k)) continue;
      seen.add(k);
      yield r;
    }
  }
  explain(): string[] {
    return ['Unique', ...indent(this.input.explain())];
  }
}
