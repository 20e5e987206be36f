/**
 * Building JSON from SQL values: to_json, to_jsonb, json(b)_build_object, json(b)_build_array, and the
 * aggregates json_agg, jsonb_agg, json_object_agg and jsonb_object_agg. Values convert as PostgreSQL's datum_to_json does: numbers as they
 * print, booleans and NULL as JSON literals, json/jsonb as they are, timestamps in ISO 8601 with a "T",
 * records as objects keyed by their field names (row_to_json), anything else as its text output in a JSON
 * string.
 */
import { SqlError, SqlState } from '../errors.js';
import { normalizeJsonb, quoteJsonString } from '../types/json-value.js';
import {
  arrayElement,
  isNumericType,
  isStringType,
  sqlType,
  type SqlType,
  type Value,
} from '../types/sql-type.js';
import { formatValue } from '../types/text-io.js';
import type { AggregateDef } from './aggregates.js';
import type { FunctionDef } from './functions.js';
import type { IoSettings } from '../types/io-settings.js';
import type { RecordValue } from '../types/record.js';

const JSON_T = sqlType('json');
const JSONB_T = sqlType('jsonb');

function settled(t: SqlType): SqlType {
  return t.id === 'unknown' ? sqlType('text') : t;
}

/** toJsonText converts one SQL value to JSON text. */
export function toJsonText(t: SqlType, v: Value, io: IoSettings): string {
  if (v === null) return 'null';
  // Arrays become JSON arrays (array_to_json), element by element.
  const elem = arrayElement(t.id);
  if (elem !== undefined && t.id !== 'int2vector') {
    const et = sqlType(elem);
    return '[' + (v as readonly Value[]).map((x) => toJsonText(et, x, io)).join(',') + ']';
  }
  switch (t.id) {
    case 'record':
      return recordToJson(v as RecordValue, io, false);
    case 'bool':
      return v ? 'true' : 'false';
    case 'json':
    case 'jsonb':
      return v as string;
    case 'float4':
    case 'float8': {
      const s = formatValue(t, v, io);
      return Number.isFinite(v as number) ? s : quoteJsonString(s);
    }
    case 'numeric':
      return v === 'NaN' ? '"NaN"' : (v as string);
    case 'timestamp':
    case 'timestamptz': {
      const s = formatValue(t, v, io).replace(' ', 'T');
      // JSON writes the offset as ISO 8601 does, with minutes: +02:00, -05:30.
      return quoteJsonString(t.id === 'timestamptz' ? s.replace(/([+-]\d\d)$/, '$1:00') : s);
    }
    default:
      if (isNumericType(t.id)) return formatValue(t, v, io);
      return quoteJsonString(isStringType(t.id) ? (v as string) : formatValue(t, v, io));
  }
}

/** recordToJson is composite_to_json: an object keyed by the record's field names, `pretty` a line each. */
function recordToJson(r: RecordValue, io: IoSettings, pretty: boolean): string {
  const parts = r.values.map((x, i) => quoteJsonString(r.names[i]!) + ':' + toJsonText(r.types[i]!, x, io));
  return '{' + parts.join(pretty ? ',\n ' : ',') + '}';
}

function variadic(types: readonly SqlType[]): SqlType[] {
  return types.map(settled);
}

/** objectKey: the text of an object key as PostgreSQL's key_scalar conversion makes it (a timestamp in ISO form). */
export function objectKey(t: SqlType, k: Exclude<Value, null>, io: IoSettings): string {
  return isStringType(t.id) ? (k as string) : toJsonText(t, k, io).replace(/^"|"$/g, '');
}

function buildObject(types: readonly SqlType[], vs: readonly Value[], fn: string, io: IoSettings): string {
  if (vs.length % 2 !== 0)
    throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'argument list must have even number of elements', {
      hint: `The arguments of ${fn}() must consist of alternating keys and values.`,
    });
  const parts: string[] = [];
  for (let i = 0; i < vs.length; i += 2) {
    if (vs[i] === null)
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `argument ${i + 1} cannot be null`, {
        hint: 'Object keys should be text.',
      });
    const key = objectKey(types[i]!, vs[i]!, io);
    parts.push(`${quoteJsonString(key)} : ${toJsonText(types[i + 1]!, vs[i + 1]!, io)}`);
  }
  return '{' + parts.join(', ') + '}';
}

/** JSON_BUILD_FUNCTIONS: registered into functions.ts's table. */
export const JSON_BUILD_FUNCTIONS: Record<string, FunctionDef> = {
  to_json: (types) => {
    if (types.length !== 1) return undefined;
    const t = settled(types[0]!);
    return { args: [t], result: JSON_T, impl: ([v], ex) => toJsonText(t, v!, ex.runtime.io) };
  },
  to_jsonb: (types) => {
    if (types.length !== 1) return undefined;
    const t = settled(types[0]!);
    return {
      args: [t],
      result: JSONB_T,
      impl: ([v], ex) => normalizeJsonb(toJsonText(t, v!, ex.runtime.io)),
    };
  },
  row_to_json: (types) => {
    if (types.length < 1 || types.length > 2 || types[0]!.id !== 'record') return undefined;
    if (types.length === 2 && types[1]!.id !== 'bool' && types[1]!.id !== 'unknown') return undefined;
    return {
      args: types.length === 1 ? [types[0]!] : [types[0]!, sqlType('bool')],
      result: JSON_T,
      impl: ([v, pretty], ex) => recordToJson(v as RecordValue, ex.runtime.io, pretty === true),
    };
  },
  json_build_object: (types) => {
    const ts = variadic(types);
    return {
      args: ts,
      result: JSON_T,
      strict: false,
      impl: (vs, ex) => buildObject(ts, vs, 'json_build_object', ex.runtime.io),
    };
  },
  jsonb_build_object: (types) => {
    const ts = variadic(types);
    return {
      args: ts,
      result: JSONB_T,
      strict: false,
      impl: (vs, ex) => normalizeJsonb(buildObject(ts, vs, 'jsonb_build_object', ex.runtime.io)),
    };
  },
  json_build_array: (types) => {
    const ts = variadic(types);
    return {
      args: ts,
      result: JSON_T,
      strict: false,
      impl: (vs, ex) => '[' + vs.map((v, i) => toJsonText(ts[i]!, v, ex.runtime.io)).join(', ') + ']',
    };
  },
  jsonb_build_array: (types) => {
    const ts = variadic(types);
    return {
      args: ts,
      result: JSONB_T,
      strict: false,
      impl: (vs, ex) =>
        normalizeJsonb('[' + vs.map((v, i) => toJsonText(ts[i]!, v, ex.runtime.io)).join(', ') + ']'),
    };
  },
};

function aggDef(jsonb: boolean): (types: readonly SqlType[]) => AggregateDef | undefined {
  return (types) => {
    if (types.length !== 1) return undefined;
    const t = settled(types[0]!);
    return {
      argTypes: [t],
      result: jsonb ? JSONB_T : JSON_T,
      make: (io) => {
        const items: string[] = [];
        // json_agg puts each non-null array or record after the first on a line of its own (json_agg_transfn).
        const structured = !jsonb && (t.id === 'record' || arrayElement(t.id) !== undefined);
        return {
          add: ([v]) => {
            const text = toJsonText(t, v!, io);
            items.push(items.length > 0 && structured && v !== null ? '\n ' + text : text);
          },
          result: () => {
            if (items.length === 0) return null;
            const text = '[' + items.join(', ') + ']';
            return jsonb ? normalizeJsonb(text) : text;
          },
        };
      },
    };
  };
}

/**
 * jsonObjectAgg: json_object_agg(key, value), keys as json_build_object takes them (a NULL key is 22023),
 * duplicates kept (jsonb_object_agg is in jsonb-edit.ts).
 */
function jsonObjectAgg(types: readonly SqlType[]): AggregateDef | undefined {
  if (types.length !== 2) return undefined;
  const kt = settled(types[0]!);
  const vt = settled(types[1]!);
  return {
    argTypes: [kt, vt],
    result: JSON_T,
    keepsNulls: true,
    make: (io) => {
      const parts: string[] = [];
      return {
        add: ([k, v]) => {
          if (k === null) throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, 'field name must not be null');
          parts.push(`${quoteJsonString(objectKey(kt, k, io))} : ${toJsonText(vt, v!, io)}`);
        },
        // json_object_agg's own spacing: "{ " and " }" around the pairs.
        result: () => (parts.length === 0 ? null : '{ ' + parts.join(', ') + ' }'),
      };
    },
  };
}

/** JSON_AGGREGATES: registered into aggregates.ts's table. */
export const JSON_AGGREGATES = {
  json_agg: aggDef(false),
  jsonb_agg: aggDef(true),
  json_object_agg: jsonObjectAgg,
};
