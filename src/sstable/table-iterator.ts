/**
 * TableIterator walks every entry of a table (LevelDB's two-level iterator over a table): the table's
 * decoded index picks the data block, and one BlockIterator is retargeted at each block in turn. Empty
 * data blocks are skipped in both directions.
 */
import type { InternalIterator } from '../util/internal-iterator.js';
import type { Comparator } from '../util/comparator.js';
import { Block, BlockIterator } from './block.js';
import { returnBlockBuffer, takeBlockBuffer } from './block-memory.js';

/** BlockSource is what a TableIterator reads: the data blocks of one table, by number. */
export interface BlockSource {
  /** blockCount is the number of data blocks. */
  readonly blockCount: number;
  /**
   * findBlock returns the number of the first block whose index key is >= `target` (the only block that
   * may hold the first entry >= target), or blockCount when there is none.
   */
  findBlock(target: Uint8Array): number;
  /**
   * dataBlock returns block `n` (0 <= n < blockCount). It may throw (closed table, I/O, corruption). A
   * block the source does not keep (no cache holds it) is decoded into memory from `alloc`.
   */
  dataBlock(n: number, verify: boolean, fillCache: boolean, alloc: (n: number) => Uint8Array): Block;
}

/** NO_BLOCK parks the data iterator, so an invalid iterator holds no block's memory. */
const NO_BLOCK = new Block(new Uint8Array(4));

/**
 * TableIterator implements InternalIterator over a BlockSource. An error from a block read leaves it
 * invalid and is rethrown. `onClose` runs once, at the first close().
 */
export class TableIterator implements InternalIterator {
  private readonly data: BlockIterator;
  /** blk: the number of the block `data` walks; -1 for none. */
  private blk = -1;
  /** buf: the recycled buffer holding the block `data` walks, when the source did not keep that block. */
  private buf: ArrayBuffer | null = null;
  /** allocBlock gives an uncached block a recycled buffer, which park() hands back. */
  private readonly allocBlock = (n: number): Uint8Array => {
    // A second call within one load (none is made today) leaves the first buffer to the GC: only the
    // buffer tracked here is ever reused.
    const b = takeBlockBuffer(n);
    this.buf = b;
    return new Uint8Array(b, 0, n);
  };

  constructor(
    private readonly source: BlockSource,
    cmp: Comparator,
    private readonly verify: boolean,
    private readonly fillCache: boolean,
    private onClose: (() => void) | null = null,
  ) {
    this.data = new BlockIterator(NO_BLOCK, cmp);
  }

  valid(): boolean {
    return this.data.valid();
  }

  seek(target: Uint8Array): void {
    try {
      const n = this.source.findBlock(target);
      if (n >= this.source.blockCount) return this.park();
      this.load(n);
      this.data.seek(target);
      this.skipEmptyForward();
    } catch (err) {
      this.park();
      throw err;
    }
  }

  seekToFirst(): void {
    try {
      if (this.source.blockCount === 0) return this.park();
      this.load(0);
      this.data.seekToFirst();
      this.skipEmptyForward();
    } catch (err) {
      this.park();
      throw err;
    }
  }

  seekToLast(): void {
    try {
      if (this.source.blockCount === 0) return this.park();
      this.load(this.source.blockCount - 1);
      this.data.seekToLast();
      this.skipEmptyBackward();
    } catch (err) {
      this.park();
      throw err;
    }
  }

  next(): void {
    if (!this.data.valid()) return;
    try {
      this.data.next();
      this.skipEmptyForward();
    } catch (err) {
      this.park();
      throw err;
    }
  }

  prev(): void {
    if (!this.data.valid()) return;
    try {
      this.data.prev();
      this.skipEmptyBackward();
    } catch (err) {
      this.park();
      throw err;
    }
  }

  key(): Uint8Array {
    return this.data.key();
  }

  value(): Uint8Array {
    return this.data.value();
  }

  close(): void {
    this.park();
    const f = this.onClose;
    this.onClose = null;
    if (f !== null) f();
  }

  /** load points the data iterator at block `n`; the block it already walks keeps its position. */
  private load(n: number): void {
    if (n === this.blk) return;
    this.park();
    this.data.setBlock(this.source.dataBlock(n, this.verify, this.fillCache, this.allocBlock));
    this.blk = n;
  }

  /** park leaves the iterator invalid, holding no block (its recycled buffer goes back for reuse). */
  private park(): void {
    this.data.setBlock(NO_BLOCK);
    this.blk = -1;
    const b = this.buf;
    if (b !== null) {
      this.buf = null;
      returnBlockBuffer(b);
    }
  }

  private skipEmptyForward(): void {
    while (!this.data.valid()) {
      const n = this.blk + 1;
      if (n >= this.source.blockCount) return this.park();
      this.load(n);
      this.data.seekToFirst();
    }
  }

  private skipEmptyBackward(): void {
    while (!this.data.valid()) {
      const n = this.blk - 1;
      if (n < 0) return this.park();
      this.load(n);
      this.data.seekToLast();
    }
  }
}
