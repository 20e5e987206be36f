/** BaseStore holds what every Store shares: the registered entity types and the closed state. */
import { ClosedError } from '../util/errors.js';
import { checkName } from './key-encoding.js';
import type { ChangeSet, EntityDecoder, StoredRecord, Store } from './store.js';

/** BaseStore implements registerEntityType and the open/closed checks. */
export abstract class BaseStore implements Store {
  /** decoders: every registered type, with its decoder (null: the parsed JSON as is). */
  protected readonly decoders = new Map<string, EntityDecoder | null>();
  protected closed = false;

  registerEntityType(entityType: string, decode?: EntityDecoder): void {
    checkName('entityType', entityType);
    this.decoders.set(entityType, decode ?? null);
  }

  protected readonly isKnown = (entityType: string): boolean => this.decoders.has(entityType);

  protected checkOpen(): void {
    if (this.closed) throw new ClosedError('the store is closed');
  }

  abstract save(changes: ChangeSet): Promise<void>;
  abstract load(namespace: string): Promise<StoredRecord[]>;
  abstract listNamespaces(): Promise<string[]>;
  abstract deleteNamespace(namespace: string): Promise<void>;
  abstract close(): Promise<void>;
}
