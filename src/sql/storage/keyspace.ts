/**
 * How SQL objects are laid out in the engine's key space (one shale database holds one SQL database):
 *
 *   0x01 't' <table name>              catalog: a table's definition (JSON, see catalog.ts)
 *   0x01 'n'                           catalog: the next object id (JSON number)
 *   0x02 <sequence id u32>             a sequence's persisted high-water mark (decimal text)
 *   0x10 <table id u32> <primary key>  a row (row-codec.ts); the key's columns as key-codec.ts encodes them
 *   0x11 <index id u32> <columns>...   a secondary index entry; the value is the row's primary key bytes
 *
 * Ids are never reused, so a dropped table's keys can be deleted lazily without colliding with a new one.
 */

export const CATALOG_TABLE_PREFIX = Uint8Array.of(0x01, 0x74);
export const CATALOG_NEXT_ID = Uint8Array.of(0x01, 0x6e);
const SEQUENCE = 0x02;
const ROW = 0x10;
const INDEX = 0x11;

function withId(tag: number, id: number): Uint8Array {
  return Uint8Array.of(tag, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

/** catalogTableKey: where a table's definition lives. */
export function catalogTableKey(name: string): Uint8Array {
  const n = Buffer.from(name, 'utf8');
  const out = new Uint8Array(CATALOG_TABLE_PREFIX.length + n.length);
  out.set(CATALOG_TABLE_PREFIX);
  out.set(n, CATALOG_TABLE_PREFIX.length);
  return out;
}

/** rowPrefix: the prefix of every row key of a table. */
export function rowPrefix(tableId: number): Uint8Array {
  return withId(ROW, tableId);
}

/** indexPrefix: the prefix of every entry of a secondary index. */
export function indexPrefix(indexId: number): Uint8Array {
  return withId(INDEX, indexId);
}

/** sequenceKey: where a sequence's high-water mark lives. */
export function sequenceKey(seqId: number): Uint8Array {
  return withId(SEQUENCE, seqId);
}
