/**
 * BlockCache: the decoded data blocks of every open table, bounded by their total charge in bytes.
 *
 * A table finds its cached blocks itself, in an array indexed by block number (BlockSlots): a hit is one
 * array load and one flag set. A shared map from cache key to block, with a linked LRU list, cost about
 * five cache misses per hit (hash bucket, map entry, list node and both neighbours), a fifth of a cached
 * point read once the cache is larger than the CPU's. The cache itself only decides what leaves, by CLOCK
 * (second chance): blocks wait in a FIFO ring; the one at the head is evicted unless it was read since it
 * last passed there, in which case it loses its mark and goes round again.
 */
import type { Block } from './block.js';

/** BlockSlots is a table's cached blocks by block number (undefined: not cached). */
export type BlockSlots = (Block | undefined)[];

/** AdmissionStamps: a table's blocks by block number, when a read last missed each (0: never). */
export type AdmissionStamps = Float64Array;

/** TYPICAL_BLOCK: the block size the admission window is counted in (LevelDB's default block size). */
const TYPICAL_BLOCK = 4096;

export class BlockCache {
  private ring: (Block | undefined)[] = new Array<Block | undefined>(64);
  private head = 0; // index of the oldest block in the ring
  private count = 0; // ring entries, released ones included
  private live = 0;
  private total = 0;
  private misses = 0; // the doorkeeper's clock
  /** admissionWindow: misses within which a block's second miss admits it. */
  private readonly admissionWindow: number;

  /** @param capacity the most total charge (bytes) held at once; at least the newest block is kept. */
  constructor(readonly capacity: number) {
    this.admissionWindow = Math.max(64, 2 * Math.ceil(capacity / TYPICAL_BLOCK));
  }

  /**
   * admit records that a read (a get or an iterator) missed block `n` of the table owning `stamps`, and
   * tells whether the block should enter the cache: only when it missed before within the last
   * admissionWindow misses (about twice the blocks the cache holds; a doorkeeper, as in TinyLFU). Random
   * reads and scans over data much larger than the cache hit it no more often when every block is
   * admitted, and each admission is memory to allocate and later collect (and evicts a block that may be
   * read again); a block read again soon (a hot key, nearby keys, a range scanned twice) gets in on its
   * second miss.
   */
  admit(stamps: AdmissionStamps, n: number): boolean {
    const now = ++this.misses;
    const last = stamps[n]!;
    stamps[n] = now;
    return last !== 0 && now - last <= this.admissionWindow;
  }

  /** usage is the total charge of the blocks held. */
  get usage(): number {
    return this.total;
  }

  /** size is the number of blocks held. */
  get size(): number {
    return this.live;
  }

  /**
   * insert caches `block` as `slots[index]` with `charge` bytes, then evicts until the charge fits. A block
   * already cached elsewhere is left alone (blocks belong to one table).
   */
  insert(slots: BlockSlots, index: number, block: Block, charge: number): void {
    if (block.cacheSlots !== null) return;
    const old = slots[index];
    if (old !== undefined) {
      this.total -= old.cacheCharge;
      this.release(old);
    }
    block.cacheSlots = slots;
    block.cacheSlot = index;
    block.cacheCharge = charge;
    block.referenced = false;
    slots[index] = block;
    this.push(block);
    this.total += charge;
    this.count++;
    this.live++;
    if (this.total > this.capacity) this.evict();
  }

  /** recharge changes a cached block's charge (it grew decoded keys). */
  recharge(block: Block, charge: number): void {
    if (block.cacheSlots === null) return;
    this.total += charge - block.cacheCharge;
    block.cacheCharge = charge;
    if (this.total > this.capacity) this.evict();
  }

  /** clear drops every block. */
  clear(): void {
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) {
      const b = this.ring[(this.head + i) & mask];
      if (b !== undefined && b.cacheSlots !== null) this.release(b);
    }
    this.ring = new Array<Block | undefined>(64);
    this.head = 0;
    this.count = 0;
    this.live = 0;
    this.total = 0;
  }

  /**
   * evict removes blocks from the head of the ring until the charge fits, always keeping one: a block read
   * since it was last at the head goes round once more. Released blocks (replaced, cleared) are skipped.
   */
  private evict(): void {
    const ring = this.ring;
    const mask = ring.length - 1;
    while (this.total > this.capacity && this.live > 1) {
      const b = ring[this.head]!;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.count--;
      if (b.cacheSlots === null) continue; // released: its charge is gone already
      if (b.referenced) {
        b.referenced = false;
        ring[(this.head + this.count) & mask] = b;
        this.count++;
        continue;
      }
      this.total -= b.cacheCharge;
      this.release(b);
    }
  }

  /**
   * release takes `b` out of its table's slots (its charge is the caller's to subtract); it stays in the
   * ring until evict() passes it.
   */
  private release(b: Block): void {
    const slots = b.cacheSlots!;
    if (slots[b.cacheSlot] === b) slots[b.cacheSlot] = undefined;
    b.cacheSlots = null;
    this.live--;
  }

  private push(b: Block): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = b;
  }

  private grow(): void {
    const old = this.ring;
    const mask = old.length - 1;
    const ring = new Array<Block | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) ring[i] = old[(this.head + i) & mask];
    this.ring = ring;
    this.head = 0;
  }
}
