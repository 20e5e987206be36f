/**
 * ArrayIterator: an InternalIterator over a sorted in-memory array of entries, for tests and
 * benchmarks of code that consumes iterators (merging, table).
 */
import type { Comparator } from '../../src/util/comparator.js';
import type { InternalIterator } from '../../src/util/internal-iterator.js';

/** ArrayIterator walks `entries`, which must be sorted by `comparator` on their keys. */
export class ArrayIterator implements InternalIterator {
  private pos = -1;
  closed = false;

  constructor(
    private readonly comparator: Comparator,
    private readonly entries: readonly (readonly [Uint8Array, Uint8Array])[],
  ) {}

  valid(): boolean {
    return this.pos >= 0 && this.pos < this.entries.length;
  }
  seekToFirst(): void {
    this.pos = this.entries.length > 0 ? 0 : -1;
  }
  seekToLast(): void {
    this.pos = this.entries.length - 1;
  }
  seek(target: Uint8Array): void {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.comparator.compare(this.entries[mid]![0], target) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.pos = lo < this.entries.length ? lo : -1;
  }
  next(): void {
    this.check();
    this.pos++;
    if (this.pos >= this.entries.length) this.pos = -1;
  }
  prev(): void {
    this.check();
    this.pos--;
  }
  key(): Uint8Array {
    this.check();
    return this.entries[this.pos]![0];
  }
  value(): Uint8Array {
    this.check();
    return this.entries[this.pos]![1];
  }
  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new Error('ArrayIterator used after close');
    if (!this.valid()) throw new Error('ArrayIterator not valid');
  }
}
