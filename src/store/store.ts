/**
 * The Store contract shared by ShaleStore (on the engine), FileStore (JSON lines) and MemoryStore:
 * namespaces of typed entities, saved in atomic change sets and loaded back a namespace at a time.
 */

/** ChangeType: a change sets (creates or replaces) an entity, or deletes it. */
export type ChangeType = 'set' | 'delete';

/** Change is one entity change inside a change set. */
export interface Change {
  readonly namespace: string;
  readonly changeType: ChangeType;
  readonly entityType: string;
  readonly entityId: string;
  /** entity: the entity (set) or null (delete). Must be JSON-serialisable. */
  readonly entity: unknown;
  /** timestamp: milliseconds since the epoch; decides between two changes to one entity in a set. */
  readonly timestamp: number;
}

/** ChangeSet is a group of changes to one namespace, saved atomically. Build it with ChangesBuilder. */
export interface ChangeSet {
  readonly namespace: string;
  readonly changes: readonly Change[];
}

/** StoredRecord is an entity as load() returns it. */
export interface StoredRecord<T = unknown> {
  readonly namespace: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly entity: T;
  readonly timestamp: number;
}

/** EntityDecoder turns a parsed JSON entity back into the application's type. */
export type EntityDecoder<T = unknown> = (entity: unknown) => T;

/** Store is implemented by ShaleStore, FileStore and MemoryStore. */
export interface Store {
  /** save applies a change set atomically: a concurrent load sees all of it or none. */
  save(changes: ChangeSet): Promise<void>;
  /** load returns the current records of `namespace` in key order, decoded by their types' decoders. */
  load(namespace: string): Promise<StoredRecord[]>;
  /** listNamespaces returns the namespaces holding at least one record, sorted by name (UTF-8 bytes). */
  listNamespaces(): Promise<string[]>;
  /** deleteNamespace removes every record of `namespace`. */
  deleteNamespace(namespace: string): Promise<void>;
  /** registerEntityType declares a type (and how to decode it); saving or loading another type fails. */
  registerEntityType(entityType: string, decode?: EntityDecoder): void;
  /** close releases the store. */
  close(): Promise<void>;
}
