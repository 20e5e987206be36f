/**
 * ShaleStore: the Store on the shale engine. A change set is one WriteBatch (atomic) written through
 * the engine's group commit; a load is one engine iterator, i.e. one implicit snapshot, so it sees
 * whole change sets only; listNamespaces skips from one namespace to the next with seeks instead of
 * reading every record; deleteNamespace deletes the namespace's key range in batches of 1000 (not
 * atomically: a load running meanwhile may see part of the namespace gone).
 */
import { DB } from '../db/db.js';
import type { Options } from '../db/options.js';
import { WriteBatch } from '../db/write-batch.js';
import { fromUtf8 } from '../util/bytes.js';
import { BaseStore } from './base-store.js';
import { resolveChanges } from './changes-builder.js';
import { checkName, namespaceOfKey, namespaceRange, rangeAfterNamespace } from './key-encoding.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { ChangeSet, StoredRecord } from './store.js';
import { sortNames } from './record-map.js';

/** ShaleStoreOptions: the engine's options, plus `sync` (fsync each save; default true). */
export type ShaleStoreOptions = Options & { readonly sync?: boolean };

/** ShaleStore keeps records in a shale database. */
export class ShaleStore extends BaseStore {
  private constructor(
    /** db is the engine underneath. */
    readonly db: DB,
    private readonly sync: boolean,
  ) {
    super();
  }

  /** open opens (or creates) the store's database in `dir`. */
  static async open(dir: string, options: ShaleStoreOptions = {}): Promise<ShaleStore> {
    const { sync, ...engine } = options;
    return new ShaleStore(await DB.open(dir, engine), sync ?? true);
  }

  async save(changes: ChangeSet): Promise<void> {
    this.checkOpen();
    const batch = new WriteBatch();
    for (const [key, c] of resolveChanges(changes, this.isKnown)) {
      if (c.changeType === 'set') batch.put(key, encodeRecord(c));
      else batch.delete(key);
    }
    await this.db.writeAsync(batch, { sync: this.sync });
  }

  async load(namespace: string): Promise<StoredRecord[]> {
    this.checkOpen();
    checkName('namespace', namespace);
    const out: StoredRecord[] = [];
    for (const [k, v] of this.db.iterator(namespaceRange(namespace))) {
      out.push(decodeRecord(fromUtf8(v), this.decoders, fromUtf8(k)));
    }
    return out;
  }

  async listNamespaces(): Promise<string[]> {
    this.checkOpen();
    const out: string[] = [];
    const it = this.db.iterator();
    try {
      for (it.seekToFirst(); it.valid();) {
        const key = fromUtf8(it.key());
        out.push(namespaceOfKey(key));
        it.seek(rangeAfterNamespace(key));
      }
    } finally {
      it.close();
    }
    return sortNames(out);
  }

  async deleteNamespace(namespace: string): Promise<void> {
    this.checkOpen();
    checkName('namespace', namespace);
    const it = this.db.iterator(namespaceRange(namespace));
    try {
      let batch = new WriteBatch();
      for (it.seekToFirst(); it.valid(); it.next()) {
        batch.delete(it.key());
        if (batch.count === 1000) {
          await this.db.writeAsync(batch, { sync: this.sync });
          batch = new WriteBatch();
        }
      }
      if (batch.count > 0) await this.db.writeAsync(batch, { sync: this.sync });
    } finally {
      it.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}
