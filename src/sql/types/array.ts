/**
 * One-dimensional arrays (lower bound 1): their text form as PostgreSQL reads and writes it (`{1,2,NULL}`,
 * `{"a b","x\"y"}`), and their ordering (element by element, then by length). Multi-dimensional arrays and
 * explicit bounds (`[0:1]={...}`) are 0A000.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { compareFor } from './compare.js';
import { TYPE_INFO, type SqlType, type TypeId, type Value } from './sql-type.js';

function malformed(text: string, detail: string): SqlError {
  return new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `malformed array literal: "${text}"`, { detail });
}

/** parseArray reads an array's text form; `element` parses one element's text. */
export function parseArray(text: string, element: (s: string) => Value): Value[] {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  ws();
  if (text[i] === '[') throw notSupported('array bounds in an array literal');
  if (text[i] !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.');
  i++;
  const out: Value[] = [];
  ws();
  if (text[i] === '}') {
    i++;
    ws();
    if (i !== n) throw malformed(text, 'Junk after closing right brace.');
    return out;
  }
  for (;;) {
    ws();
    if (text[i] === '{') throw notSupported('multidimensional arrays');
    let s = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\') i++;
        if (i >= n) break;
        s += text[i++];
      }
      if (i >= n) throw malformed(text, 'Unexpected end of input.');
      i++;
      ws();
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '}') {
        if (text[i] === '"' || text[i] === '{') throw malformed(text, `Unexpected "${text[i]}" character.`);
        if (text[i] === '\\') i++;
        if (i >= n) break;
        s += text[i++];
      }
      s = s.trim();
      if (s === '') throw malformed(text, 'Unexpected "," character.');
    }
    out.push(!quoted && s.toUpperCase() === 'NULL' ? null : element(s));
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') {
      i++;
      break;
    }
    throw malformed(text, 'Unexpected end of input.');
  }
  ws();
  if (i !== n) throw malformed(text, 'Junk after closing right brace.');
  return out;
}

/** formatArray writes an array's text form; `element` writes one non-null element. */
export function formatArray(values: readonly Value[], element: (v: Exclude<Value, null>) => string): string {
  const parts = values.map((v) => {
    if (v === null) return 'NULL';
    const s = element(v);
    if (s === '' || /[{}",\\\s]/.test(s) || s.toUpperCase() === 'NULL')
      return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
    return s;
  });
  return '{' + parts.join(',') + '}';
}

/** compareArrays orders two arrays of one element type: element by element (NULL last), then by length. */
export function compareArrays(elem: TypeId): (a: readonly Value[], b: readonly Value[]) => number {
  const cmp = compareFor(elem);
  return (a, b) => {
    const k = Math.min(a.length, b.length);
    for (let i = 0; i < k; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x === null || y === null) {
        if (x === y) continue;
        return x === null ? 1 : -1;
      }
      const c = cmp(x, y);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  };
}

/** elementType is the SqlType of an array type's elements. */
export function elementType(t: SqlType): SqlType {
  const e = t.id.slice(1) as TypeId;
  if (!t.id.startsWith('_') || !Object.hasOwn(TYPE_INFO, e))
    throw new SqlError(SqlState.DATATYPE_MISMATCH, `${TYPE_INFO[t.id].pgName} is not an array type`);
  return { id: e, typmod: t.typmod };
}
