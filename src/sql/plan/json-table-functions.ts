/**
 * The JSON functions that return rows, in FROM: json(b)_each and json(b)_each_text (key, value),
 * json(b)_array_elements and json(b)_array_elements_text (value), json(b)_object_keys. jsonb gives members
 * as jsonb keeps them (one per key, keys ordered by length then bytes) and values as canonical jsonb; json
 * gives members as written, duplicates included, and values as their source text. The _text forms give a
 * string's value, NULL for JSON null, otherwise the value's text. Wrong shapes are 22023 with PostgreSQL's
 * messages (which differ between json and jsonb).
 */
import { SqlError } from '../errors.js';
import { jsonbMembers, parseJson, parseJsonb, writeJsonb, type JsonNode } from '../types/json-value.js';
import { sqlType, type SqlType, type Value } from '../types/sql-type.js';
import type { Row } from './scope.js';

/** JsonTableFunction: the columns a JSON function in FROM returns, and its rows for one JSON value. */
export interface JsonTableFunction {
  /** argType: json or jsonb (the argument is coerced to it). */
  readonly argType: SqlType;
  /** columns: names and types; `named` false: a single column named after the alias or the function. */
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly named: boolean;
  rows(text: string): Iterable<Row>;
}

const TEXT = sqlType('text');

function shapeError(message: string): SqlError {
  return new SqlError('22023', message);
}

/** shape names a JSON value's kind as PostgreSQL's messages do. */
function shape(n: JsonNode): 'an object' | 'an array' | 'a scalar' {
  return n.kind === 'object' ? 'an object' : n.kind === 'array' ? 'an array' : 'a scalar';
}

/** Reading a json or a jsonb argument: its parsed value and how its pieces are written. */
interface Reader {
  parse(text: string): JsonNode;
  /** write: a piece as the type writes it (jsonb canonical, json its source text). */
  write(source: string, n: JsonNode): string;
  members(n: Extract<JsonNode, { kind: 'object' }>): readonly (readonly [string, JsonNode])[];
}

const JSONB_READER: Reader = {
  parse: parseJsonb,
  write: (_source, n) => writeJsonb(n),
  members: (n) => jsonbMembers(n.members),
};

const JSON_READER: Reader = {
  parse: parseJson,
  write: (source, n) => source.slice(n.start, n.end),
  members: (n) => n.members,
};

/** asText: a string's value, NULL for null, otherwise the value's text (->>'s rule). */
function asText(r: Reader, source: string, n: JsonNode): Value {
  if (n.kind === 'null') return null;
  if (n.kind === 'string') return n.value;
  return r.write(source, n);
}

function each(jsonb: boolean, text: boolean): JsonTableFunction {
  const r = jsonb ? JSONB_READER : JSON_READER;
  const name = `${jsonb ? 'jsonb' : 'json'}_each${text ? '_text' : ''}`;
  const argType = sqlType(jsonb ? 'jsonb' : 'json');
  return {
    argType,
    named: true,
    columns: [
      { name: 'key', type: TEXT },
      { name: 'value', type: text ? TEXT : argType },
    ],
    *rows(source) {
      const n = r.parse(source);
      if (n.kind !== 'object') {
        if (jsonb) throw shapeError(`cannot call ${name} on a non-object`);
        throw shapeError(
          n.kind === 'array' ? 'cannot deconstruct an array as an object' : 'cannot deconstruct a scalar',
        );
      }
      for (const [k, v] of r.members(n)) yield [k, text ? asText(r, source, v) : r.write(source, v)];
    },
  };
}

function arrayElements(jsonb: boolean, text: boolean): JsonTableFunction {
  const r = jsonb ? JSONB_READER : JSON_READER;
  const name = `${jsonb ? 'jsonb' : 'json'}_array_elements${text ? '_text' : ''}`;
  const argType = sqlType(jsonb ? 'jsonb' : 'json');
  return {
    argType,
    named: true,
    columns: [{ name: 'value', type: text ? TEXT : argType }],
    *rows(source) {
      const n = r.parse(source);
      if (n.kind !== 'array') {
        if (jsonb) throw shapeError(`cannot extract elements from ${shape(n)}`);
        throw shapeError(`cannot call ${name} on ${n.kind === 'object' ? 'a non-array' : 'a scalar'}`);
      }
      for (const v of n.items) yield [text ? asText(r, source, v) : r.write(source, v)];
    },
  };
}

function objectKeys(jsonb: boolean): JsonTableFunction {
  const r = jsonb ? JSONB_READER : JSON_READER;
  const name = `${jsonb ? 'jsonb' : 'json'}_object_keys`;
  return {
    argType: sqlType(jsonb ? 'jsonb' : 'json'),
    named: false,
    columns: [{ name, type: TEXT }],
    *rows(source) {
      const n = r.parse(source);
      if (n.kind !== 'object') throw shapeError(`cannot call ${name} on ${shape(n)}`);
      for (const [k] of r.members(n)) yield [k];
    },
  };
}

/** JSON_TABLE_FUNCTIONS: by name. */
export const JSON_TABLE_FUNCTIONS: Readonly<Record<string, JsonTableFunction>> = {
  jsonb_each: each(true, false),
  jsonb_each_text: each(true, true),
  json_each: each(false, false),
  json_each_text: each(false, true),
  jsonb_array_elements: arrayElements(true, false),
  jsonb_array_elements_text: arrayElements(true, true),
  json_array_elements: arrayElements(false, false),
  json_array_elements_text: arrayElements(false, true),
  jsonb_object_keys: objectKeys(true),
  json_object_keys: objectKeys(false),
};
