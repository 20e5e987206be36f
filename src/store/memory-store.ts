/** MemoryStore: the Store in memory only, for tests and development. */
import { BaseStore } from './base-store.js';
import { resolveChanges } from './changes-builder.js';
import { checkName } from './key-encoding.js';
import { decodeRecord } from './record-codec.js';
import { RecordMap } from './record-map.js';
import type { ChangeSet, StoredRecord } from './store.js';

/** MemoryStore keeps records in a map; nothing survives the process. FileStore builds on it. */
export class MemoryStore extends BaseStore {
  /** map holds the live records. */
  protected readonly map = new RecordMap();

  async save(changes: ChangeSet): Promise<void> {
    this.checkOpen();
    this.map.apply(resolveChanges(changes, this.isKnown));
  }

  async load(namespace: string): Promise<StoredRecord[]> {
    this.checkOpen();
    checkName('namespace', namespace);
    return this.map.namespaceEntries(namespace).map(([key, json]) => decodeRecord(json, this.decoders, key));
  }

  async listNamespaces(): Promise<string[]> {
    this.checkOpen();
    return this.map.namespaces();
  }

  async deleteNamespace(namespace: string): Promise<void> {
    this.checkOpen();
    checkName('namespace', namespace);
    this.map.deleteNamespace(namespace);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
