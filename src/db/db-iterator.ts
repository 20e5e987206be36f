/**
 * DBIterator turns a merged stream of internal keys (memtables and tables) into the user's view at one
 * sequence number: newest visible version per user key, deletions hidden, in either direction, within
 * optional bounds (LevelDB db/db_iter.cc, with RocksDB-style bounds).
 */
import type { InternalIterator } from '../util/internal-iterator.js';
import type { Comparator } from '../util/comparator.js';
import {
  TYPE_VALUE_POINTER,
  ValueType,
  lookupKey,
  sequenceOf,
  typeOf,
  userKeyOf,
} from '../memtable/internal-key.js';
import { ClosedError } from '../util/errors.js';
import { bytewiseComparator } from '../util/comparator.js';
import { compareByteRanges } from '../util/bytes.js';
import { STEP_SAMPLE, type EngineMetrics } from './engine-metrics.js';

const NO_BYTES = new Uint8Array(0);

const STEP_MASK = STEP_SAMPLE - 1;

/** Bounds restrict an iterator to a key range; each side is optional. */
export interface Bounds {
  readonly lower?: Uint8Array;
  readonly lowerInclusive?: boolean;
  readonly upper?: Uint8Array;
  readonly upperInclusive?: boolean;
}

/** DBIterator is a cursor over user keys and values at one snapshot. */
export class DBIterator {
  private forward = true;
  private isValid = false;
  /** In reverse: the current user key and value (copies). In forward: scratch for skipping. */
  private savedKey: Uint8Array = NO_BYTES;
  private savedValue: Uint8Array = NO_BYTES;
  private valueScratch: Uint8Array = NO_BYTES;
  private closedReason: string | null = null;
  private scratch = new Uint8Array(64);
  /** Forward: a copy of the current user key (curKey views curBuf), so key() allocates nothing. */
  private curBuf = new Uint8Array(64);
  private curKey: Uint8Array = new Uint8Array(0);
  /** skipBuf holds the key a deletion hides while skipping forward. */
  private skipBuf = new Uint8Array(64);
  private readonly bytewise: boolean;
  /** savedPointer: in reverse, savedValue is a value-log pointer still to be followed. */
  private savedPointer = false;
  /** The last pointer followed and its value, so repeated value() calls read once. */
  private lastPtr: Uint8Array | null = null;
  private lastValue: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly iter: InternalIterator,
    private readonly ucmp: Comparator,
    private readonly sequence: number,
    private readonly bounds: Bounds,
    private readonly meter: EngineMetrics,
    private readonly onClose: () => void,
    /** resolve follows a value-log pointer (null: the value log is off, no entry is a pointer). */
    private readonly resolve: ((ptr: Uint8Array) => Uint8Array) | null = null,
  ) {
    this.bytewise = ucmp === bytewiseComparator;
  }

  /** valid returns true iff the cursor is at an entry. */
  valid(): boolean {
    this.checkOpen();
    return this.isValid;
  }

  /** seekToFirst moves to the first entry in range. */
  seekToFirst(): void {
    const t = this.meter.beginSeek();
    this.seekToFirstImpl();
    this.meter.endSeek(t);
  }

  private seekToFirstImpl(): void {
    this.checkOpen();
    if (this.bounds.lower !== undefined) {
      this.seekInternal(this.bounds.lower);
      return;
    }
    this.forward = true;
    this.iter.seekToFirst();
    this.findNextUserEntry(false, null);
    this.checkUpper();
  }

  /** seekToLast moves to the last entry in range. */
  seekToLast(): void {
    const t = this.meter.beginSeek();
    this.seekToLastImpl();
    this.meter.endSeek(t);
  }

  private seekToLastImpl(): void {
    this.checkOpen();
    const upper = this.bounds.upper;
    if (upper !== undefined) {
      // Position after every version of `upper` (inclusive) or before its first (exclusive), then step back.
      this.forward = true;
      this.iter.seek(lookupKey(upper, this.bounds.upperInclusive ? 0 : Number.MAX_SAFE_INTEGER));
      if (this.bounds.upperInclusive) {
        while (this.iter.valid() && this.ucmp.compare(userKeyOf(this.iter.key()), upper) <= 0)
          this.iter.next();
      }
      if (this.iter.valid()) {
        this.iter.prev();
      } else {
        this.iter.seekToLast();
      }
      this.forward = false;
      this.findPrevUserEntry();
      this.checkLower();
      return;
    }
    this.forward = false;
    this.iter.seekToLast();
    this.findPrevUserEntry();
    this.checkLower();
  }

  /** seek moves to the first entry with key >= `target` (clamped into the bounds). */
  seek(target: Uint8Array): void {
    const t = this.meter.beginSeek();
    this.seekImpl(target);
    this.meter.endSeek(t);
  }

  private seekImpl(target: Uint8Array): void {
    this.checkOpen();
    const lower = this.bounds.lower;
    if (lower !== undefined && this.ucmp.compare(target, lower) < 0) target = lower;
    this.seekInternal(target);
  }

  /** seekForPrev moves to the last entry with key <= `target` (clamped into the bounds). */
  seekForPrev(target: Uint8Array): void {
    const t = this.meter.beginSeek();
    this.checkOpen();
    this.seekImpl(target);
    if (!this.isValid) this.seekToLastImpl();
    else if (this.ucmp.compare(this.key(), target) > 0) this.prevImpl();
    this.meter.endSeek(t);
  }

  private seekInternal(target: Uint8Array): void {
    this.forward = true;
    this.iter.seek(lookupKey(target, this.sequence));
    this.findNextUserEntry(false, null);
    if (this.isValid && this.bounds.lower !== undefined && !this.bounds.lowerInclusive) {
      if (this.ucmp.compare(this.key(), this.bounds.lower) === 0) this.nextImpl();
    }
    this.checkUpper();
  }

  /** next moves to the next entry. Requires: valid(). */
  next(): void {
    const m = this.meter;
    // Counted always; timed once in STEP_SAMPLE (the fast path is one increment and a test).
    if ((++m.nexts & STEP_MASK) !== 0) {
      this.nextImpl();
      return;
    }
    const t = performance.now();
    this.nextImpl();
    m.stepNanos.record((performance.now() - t) * 1e6);
  }

  private nextImpl(): void {
    this.checkOpen();
    if (!this.isValid) return;
    if (!this.forward) {
      // The inner iterator is before every entry of the current key: step into them, then skip them.
      this.forward = true;
      if (!this.iter.valid()) this.iter.seekToFirst();
      else this.iter.next();
      this.findNextUserEntry(true, this.savedKey);
    } else {
      this.iter.next();
      this.findNextUserEntry(true, this.curKey);
    }
    this.checkUpper();
  }

  /** prev moves to the previous entry. Requires: valid(). */
  prev(): void {
    const m = this.meter;
    if ((++m.prevs & STEP_MASK) !== 0) {
      this.prevImpl();
      return;
    }
    const t = performance.now();
    this.prevImpl();
    m.stepNanos.record((performance.now() - t) * 1e6);
  }

  private prevImpl(): void {
    this.checkOpen();
    if (!this.isValid) return;
    if (this.forward) {
      // Step back over every entry of the current key to land before them.
      this.save(this.curKey);
      for (;;) {
        this.iter.prev();
        if (!this.iter.valid()) {
          this.isValid = false;
          return;
        }
        const ikey = this.iter.key();
        if (this.compareUser(ikey, ikey.length - 8, this.savedKey) < 0) break;
      }
      this.forward = false;
    }
    this.findPrevUserEntry();
    this.checkLower();
  }

  /** key returns the current user key (a view: copy it to keep it). Requires: valid(). */
  key(): Uint8Array {
    this.checkOpen();
    return this.forward ? this.curKey : this.savedKey;
  }

  /** value returns the current value (a view: copy it to keep it). Requires: valid(). */
  value(): Uint8Array {
    this.checkOpen();
    if (this.resolve === null) return this.forward ? this.iter.value() : this.savedValue;
    if (this.forward) {
      const v = this.iter.value();
      return typeOf(this.iter.key()) === TYPE_VALUE_POINTER ? this.follow(v) : v;
    }
    return this.savedPointer ? this.follow(this.savedValue) : this.savedValue;
  }

  private follow(ptr: Uint8Array): Uint8Array {
    const last = this.lastPtr;
    if (
      last !== null &&
      last.length === ptr.length &&
      compareByteRanges(last, 0, last.length, ptr, 0, ptr.length) === 0
    )
      return this.lastValue;
    const v = this.resolve!(ptr);
    this.lastPtr = ptr.slice();
    this.lastValue = v;
    return v;
  }

  /** close releases the iterator's resources. Safe to call twice. */
  close(): void {
    if (this.closedReason !== null) return;
    this.closedReason = 'the iterator is closed';
    this.isValid = false;
    this.iter.close();
    this.onClose();
  }

  /** invalidate closes the iterator because its database closed. @internal */
  invalidate(): void {
    if (this.closedReason !== null) return;
    this.close();
    this.closedReason = 'the database was closed';
  }

  /** isClosed returns true once closed. */
  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  private checkOpen(): void {
    if (this.closedReason !== null) throw new ClosedError(`cannot use iterator: ${this.closedReason}`);
  }

  /**
   * saveValue copies `v` into a reused buffer and makes savedValue a view of it (a new view only when the
   * length changes: one allocation per reverse step fewer).
   */
  private saveValue(v: Uint8Array): void {
    const n = v.length;
    if (this.valueScratch.length < n) {
      this.valueScratch = new Uint8Array(Math.max(256, n * 2));
      this.savedValue = NO_BYTES;
    }
    this.valueScratch.set(v);
    if (this.savedValue.length !== n || this.savedValue.buffer !== this.valueScratch.buffer)
      this.savedValue = this.valueScratch.subarray(0, n);
  }

  /** save copies `k[0, n)` into a reused buffer and makes savedKey a view of it (reused as in saveValue). */
  private save(k: Uint8Array, n = k.length): void {
    let buf = this.scratch;
    if (buf.length < n) {
      buf = this.scratch = new Uint8Array(Math.max(64, n * 2));
      this.savedKey = NO_BYTES;
    }
    for (let i = 0; i < n; i++) buf[i] = k[i]!;
    if (this.savedKey.length !== n || this.savedKey.buffer !== buf.buffer) this.savedKey = buf.subarray(0, n);
  }

  private checkUpper(): void {
    const upper = this.bounds.upper;
    if (!this.isValid || upper === undefined) return;
    const c = this.ucmp.compare(this.key(), upper);
    if (c > 0 || (c === 0 && !this.bounds.upperInclusive)) this.isValid = false;
  }

  private checkLower(): void {
    const lower = this.bounds.lower;
    if (!this.isValid || lower === undefined) return;
    const c = this.ucmp.compare(this.key(), lower);
    if (c < 0 || (c === 0 && !this.bounds.lowerInclusive)) this.isValid = false;
  }

  /** findNextUserEntry advances to the newest visible value of the next user key not shadowed. */
  private findNextUserEntry(skipping: boolean, skip: Uint8Array | null): void {
    const iter = this.iter;
    while (iter.valid()) {
      const ikey = iter.key();
      if (sequenceOf(ikey) <= this.sequence) {
        const ulen = ikey.length - 8;
        if (typeOf(ikey) === ValueType.DELETION) {
          // Every older entry of this key is hidden by the deletion.
          if (this.skipBuf.length < ulen) this.skipBuf = new Uint8Array(ulen * 2);
          this.skipBuf.set(ikey.subarray(0, ulen));
          skip = this.skipBuf.subarray(0, ulen);
          skipping = true;
        } else if (!(skipping && skip !== null && this.compareUser(ikey, ulen, skip) <= 0)) {
          this.setCurrent(ikey, ulen);
          this.isValid = true;
          return;
        }
      }
      iter.next();
    }
    this.isValid = false;
  }

  /** compareUser compares the user key of `ikey` (its first `ulen` bytes) with `other`. */
  private compareUser(ikey: Uint8Array, ulen: number, other: Uint8Array): number {
    if (this.bytewise) return compareByteRanges(ikey, 0, ulen, other, 0, other.length);
    return this.ucmp.compare(ikey.subarray(0, ulen), other);
  }

  /** setCurrent copies the user key of `ikey` into curBuf (reusing the view when the length repeats). */
  private setCurrent(ikey: Uint8Array, ulen: number): void {
    let buf = this.curBuf;
    if (buf.length < ulen) {
      buf = this.curBuf = new Uint8Array(ulen * 2);
      this.curKey = buf.subarray(0, ulen);
    } else if (this.curKey.length !== ulen || this.curKey.buffer !== buf.buffer) {
      this.curKey = buf.subarray(0, ulen);
    }
    for (let i = 0; i < ulen; i++) buf[i] = ikey[i]!;
  }

  /** findPrevUserEntry moves back to the newest visible value of the previous user key. */
  private findPrevUserEntry(): void {
    const iter = this.iter;
    let lastType: number = ValueType.DELETION;
    if (iter.valid()) {
      do {
        const ikey = iter.key();
        if (sequenceOf(ikey) <= this.sequence) {
          const ulen = ikey.length - 8;
          if (lastType !== ValueType.DELETION && this.compareUser(ikey, ulen, this.savedKey) < 0) break;
          lastType = typeOf(ikey);
          if (lastType === ValueType.DELETION) {
            this.savedKey = NO_BYTES;
            this.savedValue = NO_BYTES;
          } else {
            // Into reused buffers: a reverse step used to allocate two arrays per entry it passed.
            this.save(ikey, ulen);
            this.saveValue(iter.value());
            this.savedPointer = lastType === TYPE_VALUE_POINTER;
          }
        }
        iter.prev();
      } while (iter.valid());
    }
    if (lastType === ValueType.DELETION) {
      this.isValid = false;
      this.forward = true;
    } else {
      this.isValid = true;
    }
  }
}
