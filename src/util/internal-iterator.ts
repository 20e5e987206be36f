/**
 * The iterator contract shared by memtables, blocks, tables and merged views (LevelDB's Iterator).
 * Keys are internal keys below the DB layer. Errors (corruption, I/O) are thrown from the call that
 * met them.
 */

/**
 * InternalIterator walks a sorted sequence of entries.
 *
 * Contract:
 * 1. `key()` and `value()` may only be called while `valid()`; the returned arrays may be views into
 *    buffers the iterator reuses, and stay valid only until the next call that moves the iterator.
 *    Copy them to keep them.
 * 2. `seek(target)` positions at the first entry with key >= target.
 * 3. `close()` releases resources; the iterator must not be used afterwards.
 */
export interface InternalIterator {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  seek(target: Uint8Array): void;
  next(): void;
  prev(): void;
  key(): Uint8Array;
  value(): Uint8Array;
  close(): void;
}

/** EMPTY_ITERATOR is an iterator over nothing. */
export const EMPTY_ITERATOR: InternalIterator = {
  valid: () => false,
  seekToFirst: () => {},
  seekToLast: () => {},
  seek: () => {},
  next: () => {},
  prev: () => {},
  key: () => {
    throw new Error('EMPTY_ITERATOR has no key');
  },
  value: () => {
    throw new Error('EMPTY_ITERATOR has no value');
  },
  close: () => {},
};
