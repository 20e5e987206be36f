/**
 * The merged view of several sorted iterators (LevelDB table/merger.cc), in both directions. Children
 * are kept in a binary heap ordered by (key, child index): the smallest on top going forward, the
 * largest going backward.
 */
import type { Comparator } from '../util/comparator.js';
import { InvalidArgumentError } from '../util/errors.js';
import { EMPTY_ITERATOR, type InternalIterator } from '../util/internal-iterator.js';
import { rangeCompareFor, type RangeCompare } from './block.js';

/**
 * MergingIterator yields the entries of all `children` in comparator order. Entries with equal keys
 * in different children all appear, ordered by child index (lower index first going forward, last
 * going backward), so a backward scan yields exactly the reverse of a forward scan.
 *
 * Invariants:
 * 1. `heap[0..size)` holds the indexes of the valid children, a min-heap (forward) or max-heap
 *    (backward) on (key, index); the top is the current entry.
 * 2. `keys[i]` is child i's current key while child i is in the heap.
 * 3. Going forward every child in the heap is positioned at its first entry after the entries already
 *    yielded; going backward, at its last entry before them. Changing direction re-positions all
 *    non-current children relative to the current key (as LevelDB does), which costs a seek each.
 *
 * Closing the merging iterator closes the children. Not safe for concurrent use.
 */
export class MergingIterator implements InternalIterator {
  private readonly cmp: Comparator;
  /** rcmp is cmp on ranges: a plain function for the default order (no method dispatch per heap step). */
  private readonly rcmp: RangeCompare;
  private readonly children: InternalIterator[];
  private readonly keys: Uint8Array[];
  private readonly heap: Int32Array;
  private size = 0;
  private forward = true;

  constructor(comparator: Comparator, children: InternalIterator[]) {
    this.cmp = comparator;
    this.rcmp = rangeCompareFor(comparator);
    this.children = children.slice();
    const empty = new Uint8Array(0);
    this.keys = this.children.map(() => empty);
    this.heap = new Int32Array(this.children.length);
  }

  valid(): boolean {
    return this.size > 0;
  }

  seekToFirst(): void {
    for (const c of this.children) c.seekToFirst();
    this.rebuild(true);
  }

  seekToLast(): void {
    for (const c of this.children) c.seekToLast();
    this.rebuild(false);
  }

  seek(target: Uint8Array): void {
    for (const c of this.children) c.seek(target);
    this.rebuild(true);
  }

  next(): void {
    this.requireValid();
    if (!this.forward) this.switchToForward();
    this.advanceTop(true);
  }

  prev(): void {
    this.requireValid();
    if (this.forward) this.switchToBackward();
    this.advanceTop(false);
  }

  key(): Uint8Array {
    this.requireValid();
    return this.keys[this.heap[0]!]!;
  }

  value(): Uint8Array {
    this.requireValid();
    return this.children[this.heap[0]!]!.value();
  }

  /** close closes every child, even if one of them throws; the first error is rethrown. */
  close(): void {
    this.size = 0;
    let first: unknown = undefined;
    let failed = false;
    for (const c of this.children) {
      try {
        c.close();
      } catch (err) {
        if (!failed) first = err;
        failed = true;
      }
    }
    if (failed) throw first;
  }

  private requireValid(): void {
    if (this.size === 0) throw new InvalidArgumentError('MergingIterator: not positioned at an entry');
  }

  /** advanceTop moves the current child one step in the current direction and restores the heap. */
  private advanceTop(forward: boolean): void {
    const top = this.heap[0]!;
    const child = this.children[top]!;
    if (forward) child.next();
    else child.prev();
    if (child.valid()) {
      this.keys[top] = child.key();
    } else {
      this.size--;
      if (this.size === 0) return;
      this.heap[0] = this.heap[this.size]!;
    }
    this.siftDown(0);
  }

  /**
   * switchToForward re-positions every other child at its first entry after the current one: the first
   * key >= the current key, stepping past an equal key in a child that comes before the current child
   * (that entry precedes the current one in the merged order).
   */
  private switchToForward(): void {
    const cur = this.heap[0]!;
    const k = this.keys[cur]!;
    for (let i = 0; i < this.children.length; i++) {
      if (i === cur) continue;
      const c = this.children[i]!;
      c.seek(k);
      if (i < cur && c.valid() && this.cmp.compare(c.key(), k) === 0) c.next();
    }
    this.rebuild(true); // the current child is the smallest again, so it ends on top
  }

  /**
   * switchToBackward re-positions every other child at its last entry before the current one: the last
   * key < the current key, or an equal key in a child that comes before the current child.
   */
  private switchToBackward(): void {
    const cur = this.heap[0]!;
    const k = this.keys[cur]!;
    for (let i = 0; i < this.children.length; i++) {
      if (i === cur) continue;
      const c = this.children[i]!;
      c.seek(k);
      if (!c.valid()) c.seekToLast();
      else if (!(i < cur && this.cmp.compare(c.key(), k) === 0)) c.prev();
    }
    this.rebuild(false); // the current child is the largest again, so it ends on top
  }

  /** rebuild collects the valid children and heapifies them for the direction `forward`. */
  private rebuild(forward: boolean): void {
    this.forward = forward;
    let n = 0;
    for (let i = 0; i < this.children.length; i++) {
      const c = this.children[i]!;
      if (c.valid()) {
        this.keys[i] = c.key();
        this.heap[n++] = i;
      }
    }
    this.size = n;
    for (let i = (n >>> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** before returns true iff child a's entry comes before child b's in the current direction. */
  private before(a: number, b: number): boolean {
    const ka = this.keys[a]!;
    const kb = this.keys[b]!;
    const c = this.rcmp(ka, 0, ka.length, kb, 0, kb.length);
    if (c !== 0) return this.forward ? c < 0 : c > 0;
    return this.forward ? a < b : a > b;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = this.size;
    const x = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.before(heap[child]!, x)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = x;
  }
}

/**
 * newMergingIterator returns the merged view of `children`: the child itself when there is one, an
 * empty iterator when there are none (LevelDB's NewMergingIterator).
 */
export function newMergingIterator(comparator: Comparator, children: InternalIterator[]): InternalIterator {
  if (children.length === 0) return EMPTY_ITERATOR;
  if (children.length === 1) return children[0]!;
  return new MergingIterator(comparator, children);
}
