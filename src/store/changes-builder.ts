/**
 * ChangesBuilder collects the changes of one change set, and resolveChanges decides between changes to
 * the same entity inside a set: the later timestamp wins, and on equal timestamps the later change in
 * the set. This is the one place the rule lives; every store applies resolved sets. Between change sets
 * the later save wins.
 */
import { InvalidArgumentError } from '../util/errors.js';
import { checkName, recordKey } from './key-encoding.js';
import type { Change, ChangeSet } from './store.js';

/** ChangesBuilder builds a ChangeSet for one namespace. */
export class ChangesBuilder {
  private readonly changes: Change[] = [];

  constructor(private readonly namespace: string) {
    checkName('namespace', namespace);
  }

  /** set records that `entity` (whose `id` is its id) is created or replaced. */
  set<E extends { readonly id: string | number }>(entityType: string, entity: E, timestamp?: number): this {
    checkName('entityType', entityType);
    if (entity === null || typeof entity !== 'object')
      throw new InvalidArgumentError('entity must be an object with an id');
    const id = (entity as { id?: unknown }).id;
    if ((typeof id !== 'string' || id.length === 0) && typeof id !== 'number') {
      throw new InvalidArgumentError('entity.id must be a non-empty string or a number');
    }
    this.changes.push({
      namespace: this.namespace,
      changeType: 'set',
      entityType,
      entityId: String(id),
      entity: jsonCopy(entity),
      timestamp: checkTimestamp(timestamp),
    });
    return this;
  }

  /** delete records that the entity `entityId` of `entityType` is removed. */
  delete(entityType: string, entityId: string | number, timestamp?: number): this {
    checkName('entityType', entityType);
    if (typeof entityId === 'number') entityId = String(entityId);
    checkName('entityId', entityId);
    this.changes.push({
      namespace: this.namespace,
      changeType: 'delete',
      entityType,
      entityId,
      entity: null,
      timestamp: checkTimestamp(timestamp),
    });
    return this;
  }

  /** build returns the change set (a snapshot: later calls to the builder do not change it). */
  build(): ChangeSet {
    return Object.freeze({ namespace: this.namespace, changes: Object.freeze([...this.changes]) });
  }
}

function checkTimestamp(t: number | undefined): number {
  if (t === undefined) return Date.now();
  if (typeof t !== 'number' || !Number.isFinite(t))
    throw new InvalidArgumentError('timestamp must be a finite number');
  return t;
}

/** jsonCopy checks that `v` survives JSON and returns the copy that will be stored. */
function jsonCopy(v: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    throw new InvalidArgumentError(`entity is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (text === undefined) throw new InvalidArgumentError('entity is not JSON-serialisable');
  return JSON.parse(text);
}

/**
 * resolveChanges validates a change set and returns its effective changes, one per entity, keyed by
 * record key (in first-appearance order).
 */
export function resolveChanges(set: ChangeSet, known: (entityType: string) => boolean): Map<string, Change> {
  if (set === null || typeof set !== 'object' || !Array.isArray(set.changes)) {
    throw new InvalidArgumentError('save() needs a change set from ChangesBuilder.build()');
  }
  checkName('namespace', set.namespace);
  const out = new Map<string, Change>();
  for (const c of set.changes) {
    if (c.namespace !== set.namespace)
      throw new InvalidArgumentError(`change for namespace ${c.namespace} in a set for ${set.namespace}`);
    if (c.changeType !== 'set' && c.changeType !== 'delete')
      throw new InvalidArgumentError(`unknown changeType ${String(c.changeType)}`);
    checkName('entityType', c.entityType);
    checkName('entityId', c.entityId);
    if (typeof c.timestamp !== 'number' || !Number.isFinite(c.timestamp)) {
      throw new InvalidArgumentError(`change to ${c.entityType}/${c.entityId} has no finite timestamp`);
    }
    if (c.changeType === 'set') {
      const id = (c.entity as { id?: unknown } | null)?.id;
      if (id === undefined || String(id) !== c.entityId) {
        throw new InvalidArgumentError(`entity.id does not match entityId '${c.entityId}'`);
      }
    }
    if (!known(c.entityType))
      throw new InvalidArgumentError(`entity type '${c.entityType}' is not registered`);
    const key = recordKey(c.namespace, c.entityType, c.entityId);
    const prev = out.get(key);
    if (prev === undefined || c.timestamp >= prev.timestamp) out.set(key, c);
  }
  return out;
}
