/**
 * Record keys: `namespace:entityType:entityId`, each part percent-escaped so that the separator never
 * appears inside a part: '%' becomes '%25' and ':' becomes '%3A'. So the key of ("a:b", "t", "1") is
 * `a%3Ab:t:1` and cannot collide with ("a", "b:t", "1") = `a:b%3At:1`; all keys of one namespace share
 * the prefix `<escaped namespace>:` and nothing else does, so a namespace is one contiguous key range:
 * [`ns:`, `ns;`) (';' is the character after ':'). Keys are readable in dumps.
 */
import { InvalidArgumentError } from '../util/errors.js';

const SEPARATOR = ':';
/** RANGE_END is the character after SEPARATOR: `ns;` bounds the namespace's range from above. */
const RANGE_END = ';';

/** escapePart escapes one key part. */
export function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** unescapePart reverses escapePart. */
export function unescapePart(part: string): string {
  return part.replace(/%3A/g, ':').replace(/%25/g, '%');
}

/** recordKey returns the key of one entity. */
export function recordKey(namespace: string, entityType: string, entityId: string): string {
  return escapePart(namespace) + SEPARATOR + escapePart(entityType) + SEPARATOR + escapePart(entityId);
}

/** namespaceRange returns the [gte, lt) bounds of every key of `namespace`. */
export function namespaceRange(namespace: string): { gte: string; lt: string } {
  const p = escapePart(namespace);
  return { gte: p + SEPARATOR, lt: p + RANGE_END };
}

/** namespaceOfKey returns the (unescaped) namespace of a record key. */
export function namespaceOfKey(key: string): string {
  const i = key.indexOf(SEPARATOR);
  return unescapePart(i < 0 ? key : key.slice(0, i));
}

/** rangeAfterNamespace returns the first key after every key of the namespace whose key is `key`. */
export function rangeAfterNamespace(key: string): string {
  const i = key.indexOf(SEPARATOR);
  return (i < 0 ? key : key.slice(0, i)) + RANGE_END;
}

/** checkName validates a namespace, entity type or id. */
export function checkName(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new InvalidArgumentError(`${what} must be a non-empty string`);
  // A lone surrogate has no UTF-8 form (it would be stored as U+FFFD and collide with it).
  if (LONE_SURROGATE.test(v)) throw new InvalidArgumentError(`${what} contains a lone UTF-16 surrogate`);
  return v;
}

const LONE_SURROGATE = /\p{Cs}/u;
