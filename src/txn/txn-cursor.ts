/**
 * TxnCursor: a transaction's view of a key range, the database at the transaction's snapshot (a
 * DBIterator) merged with the transaction's own writes, which win over the snapshot and whose deletions
 * hide its keys. It also records the span of keys it has read, for serializable validation.
 *
 * Invariants, moving forward: `base` is at the smallest snapshot key >= the current key and `oi` at the
 * smallest own write >= it; moving backward, the largest <= it. The current entry is the nearer of the
 * two, the own write when both hold the same key.
 */
import type { Comparator } from '../util/comparator.js';
import { copyBytes } from '../util/bytes.js';
import { ClosedError } from '../util/errors.js';
import type { Cursor } from '../db/iterator.js';
import type { DBIterator } from '../db/db-iterator.js';
import type { BufferedWrite } from './write-buffer.js';

/** KeySpan is an inclusive range of keys; undefined ends are unbounded. */
export interface KeySpan {
  lo: Uint8Array | undefined;
  hi: Uint8Array | undefined;
}

/** TxnCursor merges a snapshot cursor with a transaction's sorted writes. @internal */
export class TxnCursor implements Cursor {
  private forward = true;
  /** fromOwn: the current entry is own[oi] (else base's). Meaningless when !isValid. */
  private fromOwn = false;
  private isValid = false;
  private oi = 0;
  private closed = false;
  /** span: every key read so far lies in it (null: nothing read yet). Kept only when tracking reads. */
  span: KeySpan | null = null;

  constructor(
    private readonly base: DBIterator,
    private readonly own: readonly BufferedWrite[],
    private readonly cmp: Comparator,
    /** lower, upper: the iterator's bounds, the farthest a read that runs off an end can cover. */
    private readonly lower: Uint8Array | undefined,
    private readonly upper: Uint8Array | undefined,
    private readonly trackReads: boolean,
    private readonly onClose: (c: TxnCursor) => void,
  ) {}

  valid(): boolean {
    this.checkOpen();
    return this.isValid;
  }

  key(): Uint8Array {
    this.checkOpen();
    return this.fromOwn ? this.own[this.oi]!.key : this.base.key();
  }

  value(): Uint8Array {
    this.checkOpen();
    return this.fromOwn ? this.own[this.oi]!.value! : this.base.value();
  }

  seekToFirst(): void {
    this.checkOpen();
    this.base.seekToFirst();
    this.oi = 0;
    this.settleForward();
    this.cover(this.lower, this.reachedForward());
  }

  seekToLast(): void {
    this.checkOpen();
    this.base.seekToLast();
    this.oi = this.own.length - 1;
    this.settleBackward();
    this.cover(this.reachedBackward(), this.upper);
  }

  seek(target: Uint8Array): void {
    this.checkOpen();
    this.base.seek(target);
    this.oi = this.lowerBound(target);
    this.settleForward();
    this.cover(target, this.reachedForward());
  }

  seekForPrev(target: Uint8Array): void {
    this.checkOpen();
    this.base.seekForPrev(target);
    this.oi = this.upperBound(target) - 1;
    this.settleBackward();
    this.cover(this.reachedBackward(), target);
  }

  next(): void {
    this.checkOpen();
    if (!this.isValid) return;
    const from = this.key().slice();
    if (this.forward) {
      if (!this.fromOwn || this.sameAsBase(this.own[this.oi]!.key)) this.base.next();
      if (this.fromOwn) this.oi++;
    } else {
      // Turn around: both sides to the first key after the current one.
      this.base.seek(from);
      if (this.base.valid() && this.cmp.compare(this.base.key(), from) === 0) this.base.next();
      this.oi = this.upperBound(from);
    }
    this.settleForward();
    this.cover(from, this.reachedForward());
  }

  prev(): void {
    this.checkOpen();
    if (!this.isValid) return;
    const from = this.key().slice();
    if (!this.forward) {
      if (!this.fromOwn || this.sameAsBase(this.own[this.oi]!.key)) this.base.prev();
      if (this.fromOwn) this.oi--;
    } else {
      this.base.seekForPrev(from);
      if (this.base.valid() && this.cmp.compare(this.base.key(), from) === 0) this.base.prev();
      this.oi = this.lowerBound(from) - 1;
    }
    this.settleBackward();
    this.cover(this.reachedBackward(), from);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.isValid = false;
    this.base.close();
    this.onClose(this);
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('cannot use iterator: it is closed (or its transaction ended)');
  }

  private sameAsBase(key: Uint8Array): boolean {
    return this.base.valid() && this.cmp.compare(this.base.key(), key) === 0;
  }

  /** settleForward picks the smaller side, stepping over own deletions (and the keys they hide). */
  private settleForward(): void {
    this.forward = true;
    for (;;) {
      const b = this.base.valid();
      const o = this.oi < this.own.length;
      if (!b && !o) {
        this.isValid = false;
        return;
      }
      const c = !o ? -1 : !b ? 1 : this.cmp.compare(this.base.key(), this.own[this.oi]!.key);
      if (c < 0) {
        this.fromOwn = false;
        this.isValid = true;
        return;
      }
      if (this.own[this.oi]!.value !== null) {
        this.fromOwn = true;
        this.isValid = true;
        return;
      }
      if (c === 0) this.base.next();
      this.oi++;
    }
  }

  /** settleBackward is settleForward moving toward smaller keys. */
  private settleBackward(): void {
    this.forward = false;
    for (;;) {
      const b = this.base.valid();
      const o = this.oi >= 0;
      if (!b && !o) {
        this.isValid = false;
        return;
      }
      const c = !o ? 1 : !b ? -1 : this.cmp.compare(this.base.key(), this.own[this.oi]!.key);
      if (c > 0) {
        this.fromOwn = false;
        this.isValid = true;
        return;
      }
      if (this.own[this.oi]!.value !== null) {
        this.fromOwn = true;
        this.isValid = true;
        return;
      }
      if (c === 0) this.base.prev();
      this.oi--;
    }
  }

  /** reachedForward: where a forward move stopped (the current key), or the upper bound past the end. */
  private reachedForward(): Uint8Array | undefined {
    return this.isValid ? this.key() : this.upper;
  }

  /** reachedBackward: where a backward move stopped, or the lower bound past the start. */
  private reachedBackward(): Uint8Array | undefined {
    return this.isValid ? this.key() : this.lower;
  }

  /** cover widens the read span to include [lo, hi] (undefined: unbounded on that side). */
  private cover(lo: Uint8Array | undefined, hi: Uint8Array | undefined): void {
    if (!this.trackReads) return;
    const s = this.span;
    if (s === null) {
      this.span = { lo: copyOf(lo), hi: copyOf(hi) };
      return;
    }
    if (s.lo !== undefined && (lo === undefined || this.cmp.compare(lo, s.lo) < 0)) s.lo = copyOf(lo);
    if (s.hi !== undefined && (hi === undefined || this.cmp.compare(hi, s.hi) > 0)) s.hi = copyOf(hi);
  }

  /** lowerBound: the first own index with key >= `k`. */
  private lowerBound(k: Uint8Array): number {
    let lo = 0;
    let hi = this.own.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp.compare(this.own[mid]!.key, k) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** upperBound: the first own index with key > `k`. */
  private upperBound(k: Uint8Array): number {
    let lo = 0;
    let hi = this.own.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp.compare(this.own[mid]!.key, k) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function copyOf(b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined ? undefined : copyBytes(b);
}
