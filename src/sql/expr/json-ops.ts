/**
 * The json and jsonb operators: -> and ->> (object field by text, array element by integer, negative from
 * the end), #> and #>> (a path given as a text[] literal), @> and <@ (jsonb containment), ? (jsonb key
 * exists); and the functions json(b)_typeof. json's operators return the source text of the value they
 * select; jsonb's return canonical jsonb.
 */
import { notSupported, SqlError } from '../errors.js';
import {
  jsonElement,
  jsonField,
  jsonbContains,
  jsonbExists,
  parseJson,
  parseTextArrayLiteral,
  writeJsonb,
  type JsonNode,
} from '../types/json-value.js';
import { arrayElement, sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { coerce, isUntyped } from './coerce.js';
import { noOperator, strictBinary } from './compile.js';
import type { Analyzer, Compiled } from './context.js';
import type { FunctionDef } from './functions.js';
import { setReturning } from './array-functions.js';
import { SET_RETURNING } from './set-returning.js';
import { concat, deleteIndex, deleteKeys, deletePath, read, write } from './jsonb-edit.js';

/** JSON_OPERATORS: the operators compileJsonOp handles when the left operand is json or jsonb. */
export const JSON_OPERATORS = new Set(['->', '->>', '#>', '#>>', '@>', '<@', '?']);

/** JSONB_NOT_YET: jsonb operators shale does not have yet (0A000): the jsonpath ones. */
const JSONB_NOT_YET = new Set(['-', '#-', '?|', '?&', '@?', '@@']);

/** JSONB_EDIT: the jsonb operators jsonb-edit.ts implements. */
const JSONB_EDIT = new Set(['-', '#-', '?|', '?&']);

const TEXT = sqlType('text');
const BOOL = sqlType('bool');

function isJson(t: SqlType): boolean {
  return t.id === 'json' || t.id === 'jsonb';
}

/** output writes a selected node: json keeps its source text, jsonb is canonical. */
function output(source: string, n: JsonNode, jsonb: boolean): string {
  return jsonb ? writeJsonb(n) : source.slice(n.start, n.end);
}

/** asText is ->> and #>>: a string's value, NULL for null, otherwise the output text. */
function asText(source: string, n: JsonNode | undefined, jsonb: boolean): Value {
  if (n === undefined || n.kind === 'null') return null;
  if (n.kind === 'string') return n.value;
  return output(source, n, jsonb);
}

function step(n: JsonNode | undefined, key: string | number | null): JsonNode | undefined {
  if (n === undefined || key === null) return undefined;
  if (typeof key === 'number') return jsonElement(n, key);
  if (n.kind === 'array') {
    if (!/^\s*[+-]?\d+\s*$/.test(key)) return undefined;
    return jsonElement(n, Number(key));
  }
  return jsonField(n, key);
}

/** compileJsonOp compiles l op r for a json operator with a json or jsonb left operand; undefined if not one. */
export function compileJsonOp(
  an: Analyzer,
  op: string,
  left: Compiled,
  r: Compiled,
  loc: number,
): Compiled | undefined {
  let l = left;
  if (!JSON_OPERATORS.has(op) && !JSONB_NOT_YET.has(op)) return undefined;
  if ((op === '<@' || op === '@>') && isUntyped(l) && r.type.id === 'jsonb')
    l = coerce(an, l, r.type, 'implicit', loc);
  if (l.type.id === 'jsonb' && JSONB_EDIT.has(op)) return compileJsonbEdit(an, op, l, r, loc);
  if (l.type.id === 'jsonb' && JSONB_NOT_YET.has(op)) throw notSupported(`jsonb ${op}`, loc + 1);
  if (!isJson(l.type)) return undefined;
  const jsonb = l.type.id === 'jsonb';
  if (op === '->' || op === '->>') {
    const key = isUntyped(r)
      ? coerce(an, r, TEXT, 'implicit', loc)
      : r.type.id === 'int2' || r.type.id === 'int4'
        ? coerce(an, r, sqlType('int4'), 'implicit', loc)
        : r.type.id === 'text' || r.type.id === 'varchar' || r.type.id === 'bpchar'
          ? coerce(an, r, TEXT, 'implicit', loc)
          : undefined;
    if (key === undefined) throw noOperator(op, l.type, r.type, loc);
    const int = key.type.id === 'int4';
    const get = (x: Value, y: Value): JsonNode | undefined => {
      const n = parseJson(x as string);
      return int ? jsonElement(n, y as number) : n.kind === 'object' ? jsonField(n, y as string) : undefined;
    };
    if (op === '->')
      return strictBinary(l.type, l, key, (x, y) => {
        const n = get(x, y);
        return n === undefined ? null : output(x as string, n, jsonb);
      });
    return strictBinary(TEXT, l, key, (x, y) => asText(x as string, get(x, y), jsonb));
  }
  if (op === '#>' || op === '#>>') {
    if (r.unknownLiteral === undefined && !(r.type.id === 'unknown'))
      throw notSupported(`${op} with a path that is not a text[] literal`, loc + 1);
    if (r.unknownLiteral === undefined) throw notSupported(`${op} with a parameter path`, loc + 1);
    const path = parseTextArrayLiteral(r.unknownLiteral);
    const fl = l.eval;
    return {
      type: op === '#>' ? l.type : TEXT,
      eval: (row, ex) => {
        const x = fl(row, ex);
        if (x === null) return null;
        let n: JsonNode | undefined = parseJson(x as string);
        for (const k of path) n = step(n, k);
        if (op === '#>>') return asText(x as string, n, jsonb);
        return n === undefined ? null : output(x as string, n, jsonb);
      },
      correlated: l.correlated,
      volatile: l.volatile,
    };
  }
  if (!jsonb) throw noOperator(op, l.type, isUntyped(r) ? sqlType('unknown') : r.type, loc);
  if (op === '?') {
    const key = coerce(an, r, TEXT, 'implicit', loc);
    if (key.type.id !== 'text') throw noOperator(op, l.type, r.type, loc);
    return strictBinary(BOOL, l, key, (x, y) => jsonbExists(parseJson(x as string), y as string));
  }
  const other = coerce(an, r, sqlType('jsonb'), 'implicit', loc);
  if (op === '@>')
    return strictBinary(BOOL, l, other, (x, y) =>
      jsonbContains(parseJson(x as string), parseJson(y as string)),
    );
  return strictBinary(BOOL, l, other, (x, y) =>
    jsonbContains(parseJson(y as string), parseJson(x as string)),
  );
}

function typeofNode(n: JsonNode): string {
  return n.kind === 'bool' ? 'boolean' : n.kind;
}

function arrayLength(text: string): number {
  const n = parseJson(text);
  if (n.kind === 'array') return n.items.length;
  throw new SqlError(
    '22023',
    `cannot get array length of ${n.kind === 'object' ? 'a non-array' : 'a scalar'}`,
  );
}

/** extractPath: json(b)_extract_path(_text): #> (or #>>) with the path given as arguments. */
function extractPath(type: 'json' | 'jsonb', text: boolean): FunctionDef {
  const jsonb = type === 'jsonb';
  return (types) =>
    // VARIADIC text[]: at least one path element (VARIADIC ARRAY[...] is not supported).
    types.length >= 2
      ? {
          args: [sqlType(type), ...types.slice(1).map(() => TEXT)],
          result: text ? TEXT : sqlType(type),
          impl: ([source, ...path]) => {
            let n: JsonNode | undefined = parseJson(source as string);
            for (const k of path) n = step(n, k as string);
            if (text) return asText(source as string, n, jsonb);
            return n === undefined ? null : output(source as string, n, jsonb);
          },
        }
      : undefined;
}

/** JSON_FUNCTIONS: registered into functions.ts's table. */
export const JSON_FUNCTIONS: Record<string, FunctionDef> = {
  jsonb_array_length: (types) =>
    types.length === 1
      ? { args: [sqlType('jsonb')], result: sqlType('int4'), impl: ([v]) => arrayLength(v as string) }
      : undefined,
  json_array_length: (types) =>
    types.length === 1
      ? { args: [sqlType('json')], result: sqlType('int4'), impl: ([v]) => arrayLength(v as string) }
      : undefined,
  // Set-returning: served in FROM (plan/json-table-functions.ts) and select lists (plan/project-set.ts).
  ...Object.fromEntries(
    [...SET_RETURNING].filter((n) => n.startsWith('json')).map((name) => [name, setReturning(name)]),
  ),
  jsonb_extract_path: extractPath('jsonb', false),
  jsonb_extract_path_text: extractPath('jsonb', true),
  json_extract_path: extractPath('json', false),
  json_extract_path_text: extractPath('json', true),
  jsonb_typeof: (types) =>
    types.length === 1
      ? {
          args: [sqlType('jsonb')],
          result: TEXT,
          impl: ([v]) => typeofNode(parseJson(v as string)),
        }
      : undefined,
  json_typeof: (types) =>
    types.length === 1
      ? { args: [sqlType('json')], result: TEXT, impl: ([v]) => typeofNode(parseJson(v as string)) }
      : undefined,
};

const JSONB = sqlType('jsonb');
const TEXT_ARRAY = sqlType('_text');

/** compileJsonbConcat is jsonb || jsonb (an untyped side is read as jsonb); undefined for other operands. */
export function compileJsonbConcat(
  an: Analyzer,
  l: Compiled,
  r: Compiled,
  loc: number,
): Compiled | undefined {
  const lj = l.type.id === 'jsonb';
  const rj = r.type.id === 'jsonb';
  if (!(lj && (rj || isUntyped(r))) && !(rj && isUntyped(l))) return undefined;
  const a = coerce(an, l, JSONB, 'implicit', loc);
  const b = coerce(an, r, JSONB, 'implicit', loc);
  return strictBinary(JSONB, a, b, (x, y) => write(concat(read(x), read(y))));
}

/** compileJsonbEdit handles jsonb - x, jsonb #- text[], jsonb ?| text[] and jsonb ?& text[]. */
export function compileJsonbEdit(an: Analyzer, op: string, l: Compiled, r: Compiled, loc: number): Compiled {
  const textArray = (): Compiled => {
    const c = coerce(an, r, TEXT_ARRAY, 'implicit', loc);
    if (arrayElement(c.type.id) !== 'text') throw noOperator(op, l.type, r.type, loc);
    return c;
  };
  switch (op) {
    case '?|':
    case '?&': {
      const all = op === '?&';
      return strictBinary(BOOL, l, textArray(), (x, y) => {
        const keys = (y as readonly (string | null)[]).filter((k): k is string => k !== null);
        const n = read(x);
        return all ? keys.every((k) => jsonbExists(n, k)) : keys.some((k) => jsonbExists(n, k));
      });
    }
    case '#-':
      return strictBinary(JSONB, l, textArray(), (x, y) =>
        write(deletePath(read(x), y as (string | null)[])),
      );
    default: {
      if (!isUntyped(r) && (r.type.id === 'int2' || r.type.id === 'int4'))
        return strictBinary(JSONB, l, coerce(an, r, sqlType('int4'), 'implicit', loc), (x, y) =>
          write(deleteIndex(read(x), y as number)),
        );
      if (!isUntyped(r) && arrayElement(r.type.id) !== undefined)
        return strictBinary(JSONB, l, textArray(), (x, y) =>
          write(deleteKeys(read(x), y as (string | null)[])),
        );
      const key = coerce(an, r, sqlType('text'), 'implicit', loc);
      if (key.type.id !== 'text') throw noOperator(op, l.type, r.type, loc);
      return strictBinary(JSONB, l, key, (x, y) => write(deleteKeys(read(x), [y as string])));
    }
  }
}
