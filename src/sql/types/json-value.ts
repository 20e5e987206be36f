/**
 * A JSON parser that keeps what PostgreSQL keeps: each number's text (jsonb stores numbers as numeric, so
 * 1.0 stays 1.0 and 1e2 becomes 100), each value's span in the source (json's operators return the source
 * text of a value, white space and all), and object members in order. Also jsonb's ordering (jsonb_cmp)
 * and containment (@>).
 */
import { SqlError, SqlState } from '../errors.js';
import { compareText } from './compare.js';
import { compareNumeric, parseNumeric } from './numeric.js';

/** JsonNode is a parsed JSON value with its [start, end) span in the source text. */
export type JsonNode = (
  | { readonly kind: 'null' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'object'; readonly members: readonly (readonly [string, JsonNode])[] }
) & { readonly start: number; readonly end: number };

function syntaxError(): SqlError {
  return new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type json');
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** parseJson parses JSON text (22P02 when it is not JSON). */
export function parseJson(text: string): JsonNode {
  let i = 0;
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) throw syntaxError();
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c.charCodeAt(0) < 0x20) throw syntaxError();
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) throw syntaxError();
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default:
          throw syntaxError();
      }
    }
  };
  const value = (depth: number): JsonNode => {
    if (depth > 6400) throw new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, 'stack depth limit exceeded');
    ws();
    const start = i;
    const c = text[i];
    if (c === '{') {
      i++;
      const members: [string, JsonNode][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', members, start, end: i };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw syntaxError();
        const k = str();
        ws();
        if (text[i] !== ':') throw syntaxError();
        i++;
        members.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', members, start, end: i };
        }
        throw syntaxError();
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items, start, end: i };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items, start, end: i };
        }
        throw syntaxError();
      }
    }
    if (c === '"') {
      const v = str();
      return { kind: 'string', value: v, start, end: i };
    }
    for (const [word, node] of [
      ['true', { kind: 'bool', value: true }],
      ['false', { kind: 'bool', value: false }],
      ['null', { kind: 'null' }],
    ] as const)
      if (text.startsWith(word, i) && !/[A-Za-z0-9_]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return { ...node, start, end: i };
      }
    NUMBER_RE.lastIndex = i;
    const m = NUMBER_RE.exec(text);
    if (m === null || /[A-Za-z0-9_.]/.test(text[i + m[0].length] ?? '')) throw syntaxError();
    i += m[0].length;
    return { kind: 'number', text: m[0], start, end: i };
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw syntaxError();
  return v;
}

/** jsonbMembers: an object's members as jsonb keeps them: the last of duplicate keys, keys by length then bytes. */
export function jsonbMembers(
  members: readonly (readonly [string, JsonNode])[],
): (readonly [string, JsonNode])[] {
  const byKey = new Map<string, JsonNode>();
  for (const [k, v] of members) byKey.set(k, v);
  return [...byKey.entries()].sort(([a], [b]) => {
    const la = Buffer.byteLength(a);
    const lb = Buffer.byteLength(b);
    return la !== lb ? la - lb : compareText(a, b);
  });
}

/** quoteJsonString writes a string as PostgreSQL's escape_json does. */
export function quoteJsonString(s: string): string {
  return JSON.stringify(s);
}

/**
 * writeJsonb writes a node as jsonb's canonical text; with `equalityKey`, numbers lose trailing fraction
 * zeros, so documents jsonb considers equal write the same (GROUP BY, DISTINCT).
 */
export function writeJsonb(n: JsonNode, equalityKey = false): string {
  switch (n.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number': {
      const v = parseNumeric(n.text);
      return equalityKey && v.includes('.') ? v.replace(/\.?0+$/, '') : v;
    }
    case 'string':
      return quoteJsonString(n.value);
    case 'array':
      return '[' + n.items.map((x) => writeJsonb(x, equalityKey)).join(', ') + ']';
    case 'object':
      return (
        '{' +
        jsonbMembers(n.members)
          .map(([k, v]) => `${quoteJsonString(k)}: ${writeJsonb(v, equalityKey)}`)
          .join(', ') +
        '}'
      );
  }
}

/** parseJsonb parses and rejects what jsonb cannot store (\u0000 is 22P05). */
export function parseJsonb(text: string): JsonNode {
  const n = parseJson(text);
  if (text.includes('\\u0000'))
    throw new SqlError('22P05', 'unsupported Unicode escape sequence', {
      detail: '\\u0000 cannot be converted to text.',
    });
  return n;
}

/** normalizeJsonb parses JSON text and writes it as PostgreSQL's jsonb output does. */
export function normalizeJsonb(text: string): string {
  return writeJsonb(parseJsonb(text));
}

/** field returns an object's member (the last of duplicates), or undefined. */
export function jsonField(n: JsonNode, key: string): JsonNode | undefined {
  if (n.kind !== 'object') return undefined;
  for (let i = n.members.length - 1; i >= 0; i--) if (n.members[i]![0] === key) return n.members[i]![1];
  return undefined;
}

/** element returns an array's element (negative counts from the end), or undefined. */
export function jsonElement(n: JsonNode, index: number): JsonNode | undefined {
  if (n.kind !== 'array') return undefined;
  const i = index < 0 ? n.items.length + index : index;
  return i >= 0 && i < n.items.length ? n.items[i] : undefined;
}

const SCALAR_RANK: Record<JsonNode['kind'], number> = {
  null: 0,
  string: 1,
  number: 2,
  bool: 3,
  array: 4,
  object: 5,
};

/** compareJsonb orders two jsonb documents as jsonb_cmp does. */
export function compareJsonb(a: JsonNode, b: JsonNode, top = true): number {
  if (top) {
    const sa = a.kind !== 'array' && a.kind !== 'object';
    const sb = b.kind !== 'array' && b.kind !== 'object';
    if (sa !== sb) return sa ? -1 : 1;
  }
  if (a.kind !== b.kind) return SCALAR_RANK[a.kind] < SCALAR_RANK[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'null':
      return 0;
    case 'bool':
      return a.value === (b as typeof a).value ? 0 : a.value ? 1 : -1;
    case 'number':
      return compareNumeric(parseNumeric(a.text), parseNumeric((b as typeof a).text));
    case 'string':
      return compareText(a.value, (b as typeof a).value);
    case 'array': {
      const y = (b as typeof a).items;
      if (a.items.length !== y.length) return a.items.length < y.length ? -1 : 1;
      for (let i = 0; i < y.length; i++) {
        const c = compareJsonb(a.items[i]!, y[i]!, false);
        if (c !== 0) return c;
      }
      return 0;
    }
    case 'object': {
      const x = jsonbMembers(a.members);
      const y = jsonbMembers((b as typeof a).members);
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      for (let i = 0; i < x.length; i++) {
        const k = compareText(x[i]![0], y[i]![0]);
        if (k !== 0) return k;
        const c = compareJsonb(x[i]![1], y[i]![1], false);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

/** jsonbContains is a @> b. */
export function jsonbContains(a: JsonNode, b: JsonNode, top = true): boolean {
  if (a.kind === 'object') {
    if (b.kind !== 'object') return false;
    for (const [k, v] of jsonbMembers(b.members)) {
      const av = jsonField(a, k);
      if (av === undefined || !jsonbContains(av, v, false)) return false;
    }
    return true;
  }
  if (a.kind === 'array') {
    // A top-level array contains a scalar it has as an element.
    if (b.kind !== 'array') {
      if (!top || b.kind === 'object') return false;
      return a.items.some(
        (x) => x.kind !== 'array' && x.kind !== 'object' && compareJsonb(x, b, false) === 0,
      );
    }
    return b.items.every((y) =>
      a.items.some((x) =>
        y.kind === 'array' || y.kind === 'object'
          ? x.kind === y.kind && jsonbContains(x, y, false)
          : compareJsonb(x, y, false) === 0,
      ),
    );
  }
  if (b.kind === 'array' || b.kind === 'object') return false;
  return compareJsonb(a, b, false) === 0;
}

/** jsonbExists is jsonb ? text: a top-level key, or a string element of a top-level array, or the string. */
export function jsonbExists(a: JsonNode, key: string): boolean {
  if (a.kind === 'object') return jsonField(a, key) !== undefined;
  if (a.kind === 'array') return a.items.some((x) => x.kind === 'string' && x.value === key);
  return a.kind === 'string' && a.value === key;
}

/** parseTextArrayLiteral reads a one-dimensional text[] literal such as {a,b,"c d"} (a #> path). */
export function parseTextArrayLiteral(s: string): (string | null)[] {
  const t = s.trim();
  if (!t.startsWith('{') || !t.endsWith('}'))
    throw new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `malformed array literal: "${s}"`, {
      detail: 'Array value must start with "{" or dimension information.',
    });
  const body = t.slice(1, -1);
  const out: (string | null)[] = [];
  if (body.trim() === '') return out;
  let i = 0;
  for (;;) {
    while (body[i] === ' ') i++;
    let v = '';
    let quoted = false;
    if (body[i] === '"') {
      quoted = true;
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        v += body[i] ?? '';
        i++;
      }
      i++;
    } else {
      while (i < body.length && body[i] !== ',') {
        if (body[i] === '\\') i++;
        v += body[i] ?? '';
        i++;
      }
      v = v.trim();
    }
    out.push(!quoted && v.toUpperCase() === 'NULL' ? null : v);
    while (body[i] === ' ') i++;
    if (i >= body.length) return out;
    if (body[i] !== ',')
      throw new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `malformed array literal: "${s}"`);
    i++;
  }
}
