/**
 * RecordMap: the records of MemoryStore and FileStore, key -> stored JSON, read back in the same key
 * order the engine uses (bytewise over UTF-8), so all three stores list records identically.
 */
import type { Change } from './store.js';
import { encodeRecord } from './record-codec.js';
import { namespaceOfKey, namespaceRange } from './key-encoding.js';

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** sortNames sorts names in UTF-8 byte order (the order every store lists namespaces in). */
export function sortNames(names: string[]): string[] {
  return names.sort(compareUtf8);
}

/** RecordMap applies resolved change sets and answers namespace queries. */
export class RecordMap {
  readonly records = new Map<string, string>();

  /** apply writes one resolved change set. */
  apply(changes: ReadonlyMap<string, Change>): void {
    for (const [key, c] of changes) {
      if (c.changeType === 'set') this.records.set(key, encodeRecord(c));
      else this.records.delete(key);
    }
  }

  /** namespaceEntries returns [key, json] of one namespace in key order. */
  namespaceEntries(namespace: string): [string, string][] {
    const { gte, lt } = namespaceRange(namespace);
    const out: [string, string][] = [];
    for (const e of this.records) if (e[0] >= gte && e[0] < lt) out.push(e);
    return out.sort((a, b) => compareUtf8(a[0], b[0]));
  }

  /** namespaces lists the namespaces present, sorted by name. */
  namespaces(): string[] {
    const seen = new Set<string>();
    for (const key of this.records.keys()) seen.add(namespaceOfKey(key));
    return sortNames([...seen]);
  }

  /** deleteNamespace removes every record of `namespace`. */
  deleteNamespace(namespace: string): void {
    for (const [key] of this.namespaceEntries(namespace)) this.records.delete(key);
  }
}
