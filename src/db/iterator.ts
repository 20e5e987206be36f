/**
 * Iterator: the user-facing view of a DBIterator. It is both a cursor (seek, next, prev, key, value)
 * and a JavaScript iterable of [key, value] pairs honouring the range, `reverse` and `limit` options.
 * Keys and values handed out are copies the caller owns.
 */
import { copyBytes, toBytes } from '../util/bytes.js';

/**
 * Cursor is what an Iterator walks: a DBIterator, or a transaction's view that merges one with the
 * transaction's own writes. key() and value() are views valid until the cursor moves. @internal
 */
export interface Cursor {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  seek(target: Uint8Array): void;
  seekForPrev(target: Uint8Array): void;
  next(): void;
  prev(): void;
  key(): Uint8Array;
  value(): Uint8Array;
  close(): void;
}

/** Iterator walks the database at one snapshot. Close it (or finish a for-of loop) to release it. */
export class Iterator implements Iterable<[Uint8Array, Uint8Array]> {
  /** @internal */
  constructor(
    private readonly cursor: Cursor,
    private readonly reverse: boolean,
    private readonly limit: number,
  ) {}

  /** valid returns true iff the cursor is at an entry. */
  valid(): boolean {
    return this.cursor.valid();
  }

  /** seek moves to the first key >= `key` within the range. */
  seek(key: Uint8Array | string): this {
    this.cursor.seek(toBytes(key, 'seek target'));
    return this;
  }

  /** seekForPrev moves to the last key <= `key` within the range. */
  seekForPrev(key: Uint8Array | string): this {
    this.cursor.seekForPrev(toBytes(key, 'seek target'));
    return this;
  }

  /** seekToFirst moves to the first key within the range. */
  seekToFirst(): this {
    this.cursor.seekToFirst();
    return this;
  }

  /** seekToLast moves to the last key within the range. */
  seekToLast(): this {
    this.cursor.seekToLast();
    return this;
  }

  /** next moves forward one entry. */
  next(): this {
    this.cursor.next();
    return this;
  }

  /** prev moves back one entry. */
  prev(): this {
    this.cursor.prev();
    return this;
  }

  /** key returns a copy of the current key. Requires: valid(). */
  key(): Uint8Array {
    return copyBytes(this.cursor.key());
  }

  /** value returns a copy of the current value. Requires: valid(). */
  value(): Uint8Array {
    return copyBytes(this.cursor.value());
  }

  /** keyView returns the current key as a view, valid until the cursor moves. @internal */
  keyView(): Uint8Array {
    return this.cursor.key();
  }

  /** valueView returns the current value as a view, valid until the cursor moves. @internal */
  valueView(): Uint8Array {
    return this.cursor.value();
  }

  /** close releases the iterator; using it afterwards throws a ClosedError. */
  close(): void {
    this.cursor.close();
  }

  /** Symbol.iterator yields [key, value] copies from the start of the range (or its end, if reverse). */
  *[Symbol.iterator](): Generator<[Uint8Array, Uint8Array], void, undefined> {
    const c = this.cursor;
    try {
      if (this.limit <= 0) return;
      if (this.reverse) c.seekToLast();
      else c.seekToFirst();
      // Stop on the limit before moving on: a transaction's iterator counts what it moved over as read.
      for (let n = 1; c.valid(); n++) {
        yield [copyBytes(c.key()), copyBytes(c.value())];
        if (n >= this.limit) break;
        if (this.reverse) c.prev();
        else c.next();
      }
    } finally {
      c.close();
    }
  }
}
