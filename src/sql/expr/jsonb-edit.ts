/**
 * Editing jsonb documents: what || (jsonb_concat), - (delete a key, keys or an array element) and #- (delete
 * at a path) compute (json-ops.ts compiles the operators), and the functions jsonb_set,
 * jsonb_array_length / json_array_length and the aggregate jsonb_object_agg; with PostgreSQL's rules for
 * arrays, objects and scalars and its errors (22023).
 */
import { SqlError, SqlState } from '../errors.js';
import { parseJson, writeJsonb, type JsonNode } from '../types/json-value.js';
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import type { AggregateDef } from './aggregates.js';
import type { FunctionDef } from './functions.js';
import { objectKey, toJsonText } from './json-build.js';

const JSONB = sqlType('jsonb');
const BOOL = sqlType('bool');
const TEXT_ARRAY = sqlType('_text');

/** node builds a JsonNode without a source span (jsonb is written from the tree, not sliced). */
function node<T extends Omit<JsonNode, 'start' | 'end'>>(n: T): JsonNode {
  return { ...n, start: 0, end: 0 } as JsonNode;
}

function invalid(message: string): SqlError {
  return new SqlError(SqlState.INVALID_PARAMETER_VALUE, message);
}

/** concat is jsonb || jsonb: objects merge (the right wins), anything else concatenates as arrays. */
export function concat(a: JsonNode, b: JsonNode): JsonNode {
  if (a.kind === 'object' && b.kind === 'object') {
    const members = new Map<string, JsonNode>();
    for (const [k, v] of [...a.members, ...b.members]) members.set(k, v);
    return node({ kind: 'object', members: [...members] });
  }
  const items = (n: JsonNode): readonly JsonNode[] => (n.kind === 'array' ? n.items : [n]);
  return node({ kind: 'array', items: [...items(a), ...items(b)] });
}

/** deleteKeys is jsonb - text and jsonb - text[]: object members, or string elements of an array. */
export function deleteKeys(n: JsonNode, keys: readonly (string | null)[]): JsonNode {
  if (n.kind === 'object')
    return node({ kind: 'object', members: n.members.filter(([k]) => !keys.includes(k)) });
  if (n.kind === 'array')
    return node({
      kind: 'array',
      items: n.items.filter((x) => !(x.kind === 'string' && keys.includes(x.value))),
    });
  throw invalid('cannot delete from scalar');
}

/** deleteIndex is jsonb - integer: an array element, negative counting from the end. */
export function deleteIndex(n: JsonNode, index: number): JsonNode {
  if (n.kind === 'object') throw invalid('cannot delete from object using integer index');
  if (n.kind !== 'array') throw invalid('cannot delete from scalar');
  const i = index < 0 ? n.items.length + index : index;
  return node({ kind: 'array', items: n.items.filter((_, j) => j !== i) });
}

/** arrayIndex reads a path step as an array index (22P02 when it is not an integer). */
function arrayIndex(step: string, position: number): number {
  if (!/^\s*[+-]?\d+\s*$/.test(step))
    throw new SqlError(
      SqlState.INVALID_TEXT_REPRESENTATION,
      `path element at position ${position} is not an integer: "${step}"`,
    );
  return Number(step);
}

/** deletePath is jsonb #- text[]. */
export function deletePath(n: JsonNode, path: readonly (string | null)[], depth = 0): JsonNode {
  if (path.length === 0) return n;
  const step = path[depth];
  if (step === null || step === undefined) {
    if (step === null) throw invalid(`path element at position ${depth + 1} is null`);
    return n;
  }
  const last = depth === path.length - 1;
  if (n.kind === 'object')
    return node({
      kind: 'object',
      members: last
        ? n.members.filter(([k]) => k !== step)
        : n.members.map(([k, v]) => [k, k === step ? deletePath(v, path, depth + 1) : v] as const),
    });
  if (n.kind === 'array') {
    const raw = arrayIndex(step, depth + 1);
    const i = raw < 0 ? n.items.length + raw : raw;
    return node({
      kind: 'array',
      items: last
        ? n.items.filter((_, j) => j !== i)
        : n.items.map((x, j) => (j === i ? deletePath(x, path, depth + 1) : x)),
    });
  }
  if (depth === 0) throw invalid('cannot delete path in scalar');
  return n;
}

/** setPath is jsonb_set: replace (or, with create, add) the value at a path; missing parents stay missing. */
export function setPath(
  n: JsonNode,
  path: readonly (string | null)[],
  value: JsonNode,
  create: boolean,
  depth = 0,
): JsonNode {
  const step = path[depth];
  if (step === null) throw invalid(`path element at position ${depth + 1} is null`);
  if (step === undefined) return n;
  const last = depth === path.length - 1;
  if (n.kind === 'object') {
    const has = n.members.some(([k]) => k === step);
    const members = n.members.map(
      ([k, v]) => [k, k === step ? (last ? value : setPath(v, path, value, create, depth + 1)) : v] as const,
    );
    if (!has && last && create) members.push([step, value]);
    return node({ kind: 'object', members });
  }
  if (n.kind === 'array') {
    const raw = arrayIndex(step, depth + 1);
    const len = n.items.length;
    const i = raw < 0 ? len + raw : raw;
    if (i >= 0 && i < len)
      return node({
        kind: 'array',
        items: n.items.map((x, j) =>
          j === i ? (last ? value : setPath(x, path, value, create, depth + 1)) : x,
        ),
      });
    // Out of range: with create_missing the value goes at the start (before it) or the end (after it).
    if (!last || !create) return n;
    return node({ kind: 'array', items: i < 0 ? [value, ...n.items] : [...n.items, value] });
  }
  if (depth === 0) throw invalid('cannot set path in scalar');
  return n;
}

export const write = (n: JsonNode): string => writeJsonb(n);
export const read = (v: Value): JsonNode => parseJson(v as string);

function arrayLength(jsonb: boolean): FunctionDef {
  return (types) =>
    types.length === 1
      ? {
          args: [sqlType(jsonb ? 'jsonb' : 'json')],
          result: sqlType('int4'),
          impl: ([v]) => {
            const n = read(v);
            if (n.kind === 'array') return n.items.length;
            throw invalid(`cannot get array length of a ${n.kind === 'object' ? 'non-array' : 'scalar'}`);
          },
        }
      : undefined;
}

/** JSONB_EDIT_FUNCTIONS: registered into functions.ts's table. */
export const JSONB_EDIT_FUNCTIONS: Record<string, FunctionDef> = {
  jsonb_array_length: arrayLength(true),
  json_array_length: arrayLength(false),
  jsonb_set: (types) =>
    types.length === 3 || types.length === 4
      ? {
          args: [JSONB, TEXT_ARRAY, JSONB, ...(types.length === 4 ? [BOOL] : [])],
          result: JSONB,
          impl: ([doc, path, value, create]) =>
            write(setPath(read(doc), path as (string | null)[], read(value), create !== false)),
        }
      : undefined,
};

/** jsonbObjectAgg is jsonb_object_agg(key, value): a NULL key is 22023; NULL values become null. */
function jsonbObjectAgg(types: readonly SqlType[]): AggregateDef | undefined {
  if (types.length !== 2) return undefined;
  const [kt, vt] = types.map((t) => (t.id === 'unknown' ? sqlType('text') : t)) as [SqlType, SqlType];
  return {
    argTypes: [kt, vt],
    result: JSONB,
    keepsNulls: true,
    make: (io) => {
      const members: [string, JsonNode][] = [];
      return {
        add: ([k, v]) => {
          if (k === null) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'field name must not be null');
          members.push([objectKey(kt, k, io), parseJson(toJsonText(vt, v!, io))]);
        },
        result: () => (members.length === 0 ? null : write(node({ kind: 'object', members }))),
      };
    },
  };
}

/** JSONB_EDIT_AGGREGATES: registered into aggregates.ts's table. */
export const JSONB_EDIT_AGGREGATES = { jsonb_object_agg: jsonbObjectAgg };
