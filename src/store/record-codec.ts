/**
 * The stored form of a record: the JSON value `{ namespace, changeType, entityType, entityId, entity,
 * timestamp }` written under the record's key, and its decoding for load().
 */
import { CorruptionError, InvalidArgumentError } from '../util/errors.js';
import type { Change, EntityDecoder, StoredRecord } from './store.js';
import { recordKey } from './key-encoding.js';

/** encodeRecord returns the JSON text stored for a 'set' change. */
export function encodeRecord(c: Change): string {
  return JSON.stringify({
    namespace: c.namespace,
    changeType: c.changeType,
    entityType: c.entityType,
    entityId: c.entityId,
    entity: c.entity,
    timestamp: c.timestamp,
  });
}

/** decodeRecord parses stored JSON and applies the entity type's decoder. */
export function decodeRecord(
  text: string,
  decoders: ReadonlyMap<string, EntityDecoder | null>,
  where: string,
): StoredRecord {
  let v: {
    namespace?: unknown;
    entityType?: unknown;
    entityId?: unknown;
    entity?: unknown;
    timestamp?: unknown;
  };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new CorruptionError(`stored record is not JSON`, where);
  }
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.entityType !== 'string' ||
    typeof v.entityId !== 'string' ||
    typeof v.namespace !== 'string'
  ) {
    throw new CorruptionError('stored record lacks namespace, entityType or entityId', where);
  }
  if (recordKey(v.namespace, v.entityType, v.entityId) !== where) {
    throw new CorruptionError(
      `stored record names ${v.namespace}/${v.entityType}/${v.entityId}, not its key`,
      where,
    );
  }
  if (!decoders.has(v.entityType))
    throw new InvalidArgumentError(`entity type '${v.entityType}' is not registered`);
  const decode = decoders.get(v.entityType);
  return {
    namespace: v.namespace,
    entityType: v.entityType,
    entityId: v.entityId,
    entity: decode ? decode(v.entity) : v.entity,
    timestamp: Number(v.timestamp),
  };
}
