/**
 * TwoLevelIterator (LevelDB table/two_level_iterator.cc): an index iterator whose values name data
 * blocks, and a function that opens an iterator over one block. Together they iterate every entry of a
 * table; empty data blocks are skipped in both directions.
 */
import type { InternalIterator } from '../util/internal-iterator.js';

/**
 * BlockFunction returns an iterator over the block named by `handle` (an index value). `handle` is a view
 * valid only during the call. It may throw (I/O, corruption); the two-level iterator then becomes invalid
 * and rethrows.
 */
export type BlockFunction = (handle: Uint8Array) => InternalIterator;

/** TwoLevelIterator concatenates the data blocks an index iterator points to. It owns both iterators. */
export class TwoLevelIterator implements InternalIterator {
  private data: InternalIterator | null = null;
  // The index value the current data iterator was opened from, to reuse it when it comes up again.
  private handleBuf = new Uint8Array(32);
  private handleLen = 0;

  constructor(
    private readonly index: InternalIterator,
    private readonly blockFunction: BlockFunction,
  ) {}

  valid(): boolean {
    return this.data !== null && this.data.valid();
  }

  seek(target: Uint8Array): void {
    try {
      this.index.seek(target);
      this.initDataBlock();
      if (this.data !== null) this.data.seek(target);
      this.skipEmptyDataBlocksForward();
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  seekToFirst(): void {
    try {
      this.index.seekToFirst();
      this.initDataBlock();
      if (this.data !== null) this.data.seekToFirst();
      this.skipEmptyDataBlocksForward();
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  seekToLast(): void {
    try {
      this.index.seekToLast();
      this.initDataBlock();
      if (this.data !== null) this.data.seekToLast();
      this.skipEmptyDataBlocksBackward();
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  next(): void {
    try {
      if (this.data === null || !this.data.valid()) return;
      this.data.next();
      this.skipEmptyDataBlocksForward();
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  prev(): void {
    try {
      if (this.data === null || !this.data.valid()) return;
      this.data.prev();
      this.skipEmptyDataBlocksBackward();
    } catch (err) {
      this.fail();
      throw err;
    }
  }

  key(): Uint8Array {
    return this.data!.key();
  }

  value(): Uint8Array {
    return this.data!.value();
  }

  close(): void {
    this.setDataIterator(null);
    this.index.close();
  }

  /** fail leaves the iterator invalid after an error, so a stale position is never read. */
  private fail(): void {
    this.setDataIterator(null);
  }

  private skipEmptyDataBlocksForward(): void {
    while (this.data === null || !this.data.valid()) {
      if (!this.index.valid()) return this.setDataIterator(null);
      this.index.next();
      this.initDataBlock();
      if (this.data !== null) this.data.seekToFirst();
    }
  }

  private skipEmptyDataBlocksBackward(): void {
    while (this.data === null || !this.data.valid()) {
      if (!this.index.valid()) return this.setDataIterator(null);
      this.index.prev();
      this.initDataBlock();
      if (this.data !== null) this.data.seekToLast();
    }
  }

  private setDataIterator(iter: InternalIterator | null): void {
    if (this.data !== null && this.data !== iter) this.data.close();
    this.data = iter;
    if (iter === null) this.handleLen = 0;
  }

  private initDataBlock(): void {
    if (!this.index.valid()) return this.setDataIterator(null);
    const handle = this.index.value();
    if (this.data !== null && this.sameHandle(handle)) return; // already open on this block
    this.setDataIterator(null);
    const iter = this.blockFunction(handle);
    this.setDataIterator(iter);
    if (handle.length > this.handleBuf.length) this.handleBuf = new Uint8Array(handle.length);
    this.handleBuf.set(handle);
    this.handleLen = handle.length;
  }

  private sameHandle(h: Uint8Array): boolean {
    if (h.length !== this.handleLen) return false;
    const b = this.handleBuf;
    for (let i = 0; i < h.length; i++) if (b[i] !== h[i]) return false;
    return true;
  }
}
