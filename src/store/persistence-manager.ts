/**
 * PersistenceManager connects repositories (the application's in-memory collections of one entity
 * type) to a Store: restore(namespace) loads the namespace and hands each repository its entities;
 * persist(changes) saves a change set.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { ChangeSet, EntityDecoder, Store } from './store.js';

/** Repository receives the entities of one type when a namespace is restored. */
export interface Repository<T = unknown> {
  readonly entityType: string;
  /** decode turns a parsed JSON entity into T (optional). */
  readonly decode?: EntityDecoder<T>;
  /** restore receives every entity of the type in the namespace, in key order (maybe none). */
  restore(entities: T[], namespace: string): void | Promise<void>;
}

/** PersistenceManager restores repositories from a store and persists change sets to it. */
export class PersistenceManager {
  private readonly repositories = new Map<string, Repository>();

  constructor(readonly store: Store) {}

  /** register adds a repository (and registers its entity type with the store). */
  register<T>(repository: Repository<T>): this {
    if (this.repositories.has(repository.entityType)) {
      throw new InvalidArgumentError(`a repository for '${repository.entityType}' is already registered`);
    }
    this.repositories.set(repository.entityType, repository as Repository);
    this.store.registerEntityType(repository.entityType, repository.decode);
    return this;
  }

  /** restore loads `namespace` and feeds every registered repository its entities. */
  async restore(namespace: string): Promise<void> {
    const records = await this.store.load(namespace);
    const byType = new Map<string, unknown[]>();
    for (const type of this.repositories.keys()) byType.set(type, []);
    for (const r of records) byType.get(r.entityType)?.push(r.entity);
    for (const [type, entities] of byType) await this.repositories.get(type)!.restore(entities, namespace);
  }

  /** persist saves a change set. */
  persist(changes: ChangeSet): Promise<void> {
    return this.store.save(changes);
  }
}
