/**
 * Array functions: array_to_string, string_to_array, array_upper, array_lower, array_length, cardinality,
 * array_position, array_append, array_prepend, array_cat, array_remove.
 * unnest and generate_series are set-returning: they are served in FROM (plan/function-scan.ts).
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { compareFor, type Compare } from '../types/compare.js';
import { arrayElement, arrayOf, isStringType, sqlType, type SqlType, type Value } from '../types/sql-type.js';
import { formatValue } from '../types/text-io.js';
import type { FunctionDef } from './functions.js';
import { lowerBound } from './arrays.js';
import type { IoSettings } from '../types/io-settings.js';

const T = sqlType;

/** anyArray: the argument's own type when it is an array (PostgreSQL's anyarray), else undefined. */
function anyArray(t: SqlType | undefined): SqlType | undefined {
  if (t === undefined) return undefined;
  if (t.id === 'unknown')
    throw new SqlError(
      SqlState.INDETERMINATE_DATATYPE,
      'could not determine polymorphic type because input has type unknown',
    );
  return arrayElement(t.id) === undefined ? undefined : t;
}

function elementText(t: SqlType, v: Exclude<Value, null>, io: IoSettings): string {
  const e = sqlType(arrayElement(t.id)!);
  if (isStringType(e.id)) return v as string;
  if (e.id === 'bool') return v ? 't' : 'f';
  return formatValue(e, v, io);
}

/** dimensionFn: array_upper / array_lower / array_length of dimension 1 (NULL for others, or empty). */
function dimensionFn(f: (n: number, lower: number) => number): FunctionDef {
  return (types) => {
    const a = anyArray(types[0]);
    if (types.length !== 2 || a === undefined) return undefined;
    return {
      args: [a, T('int4')],
      result: T('int4'),
      impl: ([v, d]) => {
        const n = (v as readonly Value[]).length;
        return d !== 1 || n === 0 ? null : f(n, lowerBound(a));
      },
    };
  };
}

/**
 * arrayAndElement resolves (anyarray, anyelement) in either order (`arrayAt` is the array's position): the
 * array's type, or the array type of the element when the array is an untyped literal (text[] when both
 * are). Undefined when the arguments do not fit.
 */
function arrayAndElement(types: readonly SqlType[], arrayAt: 0 | 1): SqlType | undefined {
  if (types.length !== 2) return undefined;
  const at = types[arrayAt]!;
  const elem = types[1 - arrayAt]!;
  // Both untyped: PostgreSQL reads them as text.
  if (at.id === 'unknown' && elem.id === 'unknown') return T('_text');
  if (at.id === 'unknown') {
    const id = arrayOf(elem.id);
    return id === undefined ? undefined : T(id);
  }
  return anyArray(at);
}

/** sameElement: x IS NOT DISTINCT FROM y, by the element type's comparison. */
function sameElement(cmp: Compare, x: Value, y: Value): boolean {
  return x === null ? y === null : y !== null && cmp(x, y) === 0;
}

/**
 * stringToArray splits as PostgreSQL's string_to_array: a NULL delimiter splits into characters, an empty
 * one keeps the string whole, an empty string is an empty array; elements equal to `nullText` are NULL.
 */
function stringToArray(s: string, delim: string | null, nullText: string | null): Value[] {
  if (s.length === 0) return [];
  const parts = delim === null ? [...s] : delim === '' ? [s] : s.split(delim);
  return nullText === null ? parts : parts.map((p) => (p === nullText ? null : p));
}

/**
 * setReturning: the registry entry of a set-returning function, so its name is known as a function. Calls
 * never reach it: compile.ts hands them to the select list's ProjectSet or rejects them (set-returning.ts).
 */
export function setReturning(name: string): FunctionDef {
  return () => {
    throw notSupported(`${name}() outside FROM (set-returning functions in expressions)`);
  };
}

export const ARRAY_FUNCTIONS: Record<string, FunctionDef> = {
  array_to_string: (types) => {
    const a = anyArray(types[0]);
    if ((types.length !== 2 && types.length !== 3) || a === undefined) return undefined;
    return {
      args: types.length === 2 ? [a, T('text')] : [a, T('text'), T('text')],
      result: T('text'),
      strict: false,
      impl: ([v, sep, nullText], ex) => {
        if (v === null || sep === null) return null;
        const parts: string[] = [];
        for (const x of v as readonly Value[]) {
          if (x !== null) parts.push(elementText(a, x, ex.runtime.io));
          else if (nullText !== undefined && nullText !== null) parts.push(nullText as string);
        }
        return parts.join(sep as string);
      },
    };
  },
  array_upper: dimensionFn((n, lower) => n + lower - 1),
  array_lower: dimensionFn((_n, lower) => lower),
  array_length: dimensionFn((n) => n),
  cardinality: (types) => {
    const a = anyArray(types[0]);
    if (types.length !== 1 || a === undefined) return undefined;
    return { args: [a], result: T('int4'), impl: ([v]) => (v as readonly Value[]).length };
  },
  array_position: (types) => {
    const a = anyArray(types[0]);
    if (types.length !== 2 || a === undefined) return undefined;
    const e = sqlType(arrayElement(a.id)!);
    const cmp = compareFor(e.id);
    return {
      args: [a, e],
      result: T('int4'),
      strict: false,
      impl: ([v, x]) => {
        if (v === null) return null;
        const arr = v as readonly Value[];
        for (let i = 0; i < arr.length; i++) if (sameElement(cmp, x!, arr[i]!)) return i + 1;
        return null;
      },
    };
  },
  string_to_array: (types) =>
    types.length === 2 || types.length === 3
      ? {
          args: types.map(() => T('text')),
          result: T('_text'),
          strict: false,
          impl: ([s, d, n]) =>
            s === null ? null : stringToArray(s as string, d as string | null, (n ?? null) as string | null),
        }
      : undefined,
  array_append: (types) => {
    const a = arrayAndElement(types, 0);
    if (a === undefined) return undefined;
    return {
      args: [a, T(arrayElement(a.id)!)],
      result: a,
      strict: false,
      impl: ([v, x]) => [...((v ?? []) as readonly Value[]), x!],
    };
  },
  array_prepend: (types) => {
    const a = arrayAndElement(types, 1);
    if (a === undefined) return undefined;
    return {
      args: [T(arrayElement(a.id)!), a],
      result: a,
      strict: false,
      impl: ([x, v]) => [x!, ...((v ?? []) as readonly Value[])],
    };
  },
  array_cat: (types) => {
    if (types.length !== 2) return undefined;
    const known = types.find((t) => t.id !== 'unknown');
    const a = anyArray(known ?? types[0]);
    if (a === undefined) return undefined;
    return {
      args: [a, a],
      result: a,
      strict: false,
      impl: ([x, y]) =>
        x === null && y === null
          ? null
          : [...((x ?? []) as readonly Value[]), ...((y ?? []) as readonly Value[])],
    };
  },
  array_remove: (types) => {
    const a = arrayAndElement(types, 0);
    if (a === undefined) return undefined;
    const cmp = compareFor(arrayElement(a.id)!);
    return {
      args: [a, T(arrayElement(a.id)!)],
      result: a,
      strict: false,
      impl: ([v, x]) => (v === null ? null : (v as readonly Value[]).filter((y) => !sameElement(cmp, x!, y))),
    };
  },
  unnest: setReturning('unnest'),
  generate_series: setReturning('generate_series'),
};
