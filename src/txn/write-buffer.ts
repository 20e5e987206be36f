/**
 * WriteBuffer: a transaction's own puts and deletes, held in memory until commit. Lookups by key are a
 * Map probe; iterators get the entries sorted by the database's comparator (sorted once per change).
 */
import type { Comparator } from '../util/comparator.js';
import { copyBytes, toLatin1Key } from '../util/bytes.js';
import { TxnTooLargeError } from '../util/errors.js';
import { WriteBatch } from '../db/write-batch.js';
import type { Bounds } from '../db/db-iterator.js';

/** BufferedWrite is the last write of one key: a value, or null for a deletion. */
export interface BufferedWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/** ENTRY_OVERHEAD: bytes charged per entry beyond key and value (the Map entry and the object). */
const ENTRY_OVERHEAD = 64;

/** WriteBuffer holds one transaction's writes. @internal */
export class WriteBuffer {
  private readonly map = new Map<string, BufferedWrite>();
  private sorted: BufferedWrite[] | null = null;
  /** bytes: what the buffered writes cost, as charged against the transaction's limit. */
  bytes = 0;
  /** undo: while a savepoint is open, each write's previous state (to roll back to the savepoint). */
  private undo: { id: string; old: BufferedWrite | undefined; bytes: number }[] | null = null;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.map.size;
  }

  /** get returns the transaction's own last write of `key`, if any. */
  get(key: Uint8Array): BufferedWrite | undefined {
    return this.map.size === 0 ? undefined : this.map.get(toLatin1Key(key));
  }

  /**
   * set records a write of `key`: copies of key and value are kept, unless `owned` says the caller made
   * them for this call (encoded from strings). Throws TxnTooLargeError, changing nothing, when it would
   * take the buffer past its limit.
   */
  set(key: Uint8Array, value: Uint8Array | null, owned = false): void {
    const id = toLatin1Key(key);
    const old = this.map.get(id);
    const cost = key.length + (value?.length ?? 0) + ENTRY_OVERHEAD;
    const freed = old === undefined ? 0 : old.key.length + (old.value?.length ?? 0) + ENTRY_OVERHEAD;
    if (this.bytes - freed + cost > this.maxBytes) {
      throw new TxnTooLargeError(
        `the transaction's writes would take ${this.bytes - freed + cost} bytes, over its limit of ${this.maxBytes} (maxBytes)`,
      );
    }
    this.undo?.push({ id, old, bytes: this.bytes });
    this.map.set(id, {
      key: owned ? key : copyBytes(key),
      value: value === null || owned ? value : copyBytes(value),
    });
    this.bytes += cost - freed;
    this.sorted = null;
  }

  /** mark starts (or continues) recording undo information and returns a savepoint position. */
  mark(): number {
    this.undo ??= [];
    return this.undo.length;
  }

  /** rollbackTo undoes every write made since `mark` returned `position`. */
  rollbackTo(position: number): void {
    const undo = this.undo;
    if (undo === null) return;
    while (undo.length > position) {
      const u = undo.pop()!;
      if (u.old === undefined) this.map.delete(u.id);
      else this.map.set(u.id, u.old);
      this.bytes = u.bytes;
    }
    this.sorted = null;
  }

  /** release forgets undo information (no savepoint is open any more). */
  release(): void {
    this.undo = null;
  }

  /** charge adds `n` bytes of other tracking (read keys) to the buffer's cost, or throws as set does. */
  charge(n: number): void {
    if (this.bytes + n > this.maxBytes)
      throw new TxnTooLargeError(
        `the transaction's tracking would take ${this.bytes + n} bytes, over its limit of ${this.maxBytes} (maxBytes)`,
      );
    this.bytes += n;
  }

  /** entries returns [key id (see toLatin1Key), write] for every buffered write, in first-write order. */
  entries(): IterableIterator<[string, BufferedWrite]> {
    return this.map.entries();
  }

  /** within returns the writes whose keys fall within `bounds`, sorted by `cmp`. */
  within(cmp: Comparator, bounds: Bounds): BufferedWrite[] {
    if (this.map.size === 0) return [];
    if (this.sorted === null) this.sorted = [...this.map.values()].sort((a, b) => cmp.compare(a.key, b.key));
    const { lower, lowerInclusive, upper, upperInclusive } = bounds;
    return this.sorted.filter((w) => {
      if (lower !== undefined) {
        const c = cmp.compare(w.key, lower);
        if (c < 0 || (c === 0 && lowerInclusive !== true)) return false;
      }
      if (upper !== undefined) {
        const c = cmp.compare(w.key, upper);
        if (c > 0 || (c === 0 && upperInclusive !== true)) return false;
      }
      return true;
    });
  }

  /** toBatch returns the writes as one WriteBatch (one WAL record at commit). */
  toBatch(): WriteBatch {
    const b = new WriteBatch();
    for (const w of this.map.values()) {
      if (w.value === null) b.delete(w.key);
      else b.put(w.key, w.value);
    }
    return b;
  }
}
