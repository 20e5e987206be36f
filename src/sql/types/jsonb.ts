/**
 * jsonb's text output: PostgreSQL stores jsonb parsed, so output is normalised: ", " and ": " separators,
 * object keys ordered by length then bytes, the last of duplicate keys kept. Numbers keep their written form.
 */
import { SqlError, SqlState } from '../errors.js';

/** normalizeJsonb parses JSON text and writes it as PostgreSQL's jsonb output does. */
export function normalizeJsonb(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_k, v, ctx?: { source?: string }) =>
      typeof v === 'number' && ctx?.source !== undefined ? new RawNumber(ctx.source) : v,
    );
  } catch {
    throw new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type json');
  }
  return write(parsed);
}

/** RawNumber keeps a number's source text (JSON.parse's reviver context, where the runtime has it). */
class RawNumber {
  constructor(readonly source: string) {}
}

function write(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof RawNumber) return v.source;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(write).join(', ') + ']';
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort((a, b) => {
    const la = Buffer.byteLength(a);
    const lb = Buffer.byteLength(b);
    return la !== lb ? la - lb : Buffer.compare(Buffer.from(a), Buffer.from(b));
  });
  return '{' + keys.map((k) => `${JSON.stringify(k)}: ${write(obj[k])}`).join(', ') + '}';
}
