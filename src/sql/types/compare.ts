/**
 * Ordering of values of one type, as PostgreSQL's default btree operator classes order them: text bytewise
 * (C collation, i.e. by code point), NaN above every other float or numeric, false before true.
 */
import { compareNumeric } from './numeric.js';
import { arrayElement, type SqlType, type TypeId, type Value } from './sql-type.js';
import { compareArrays } from './array.js';
import { compareJsonb, parseJson } from './json-value.js';
import { compareInterval } from './interval.js';
import { compareBytes } from '../../util/bytes.js';
import { compareRecords, type RecordValue } from './record.js';

/** Compare orders two non-null values of one type. */
export type Compare = (a: Exclude<Value, null>, b: Exclude<Value, null>) => number;

/** compareText orders strings by code point, which is UTF-8 byte order (JavaScript's < is UTF-16 order). */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (a code point above U+FFFF) sorts after every BMP character, as in UTF-8.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

function compareNumbers(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  const x = a as number | bigint;
  const y = b as number | bigint;
  if (typeof x === 'number' && Number.isNaN(x)) return typeof y === 'number' && Number.isNaN(y) ? 0 : 1;
  if (typeof y === 'number' && Number.isNaN(y)) return -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareBpchar(a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  // char(n) compares without its trailing spaces.
  return compareText((a as string).replace(/ +$/, ''), (b as string).replace(/ +$/, ''));
}

/** compareField orders two fields of a record by their type. */
function compareField(t: SqlType, a: Exclude<Value, null>, b: Exclude<Value, null>): number {
  return compareFor(t.id)(a, b);
}

/** compareFor returns the ordering of a type. */
export function compareFor(id: TypeId): Compare {
  const elem = arrayElement(id);
  if (elem !== undefined) {
    const c = compareArrays(elem);
    return (a, b) => c(a as readonly Value[], b as readonly Value[]);
  }
  switch (id) {
    case 'record':
      return (a, b) => compareRecords(a as RecordValue, b as RecordValue, compareField);
    case 'numeric':
      return (a, b) => compareNumeric(a as string, b as string);
    case 'bpchar':
      return compareBpchar;
    case 'interval':
      return (a, b) => compareInterval(a as string, b as string);
    case 'text':
    case 'varchar':
    case 'name':
    case 'unknown':
    case 'pg_node_tree':
    case 'char':
    case 'json':
    case 'uuid': // canonical text orders as the bytes do
      return (a, b) => compareText(a as string, b as string);
    case 'jsonb':
      return (a, b) => (a === b ? 0 : compareJsonb(parseJson(a as string), parseJson(b as string)));
    case 'bytea':
      return (a, b) => compareBytes(a as Uint8Array, b as Uint8Array);
    case 'bool':
      return (a, b) => (a === b ? 0 : a ? 1 : -1);
    default:
      return compareNumbers;
  }
}
