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

/**
 * AdmissionStamps: a table's blocks by block number, how often reads missed each lately: the count and the
 * epoch it was last counted in, packed as epoch * FREQUENCY_SPAN + count (0: never).
 */
export type AdmissionStamps = Float64Array;

/** TYPICAL_BLOCK: the block size the cache's capacity is counted in blocks with (LevelDB's default). */
const TYPICAL_BLOCK = 4096;
/** FREQUENCY_SPAN: counts saturate below it. */
const FREQUENCY_SPAN = 1 << 16;
/**
 * MIN_MISSES: once the cache is full, a block gets in from its fifth recent miss on ... (paired read-ab,
 * random keys, 8 MiB: from the third miss 0.94x/0.91x the time of the doorkeeper at 200k/1M keys, fourth
 * 0.76x/0.90x, fifth 0.71x/0.85x: under random reads a few misses in a row are chance, not heat)
 */
const MIN_MISSES = 5;
/** ... and only if it missed more than twice as often as the block it would evict. */
const MARGIN = 2;

export class BlockCache {
  private ring: (Block | undefined)[] = new Array<Block | undefined>(64);
  private head = 0; // index of the oldest block in the ring
  private count = 0; // ring entries, released ones included
  private live = 0;
  /** unearned: bytes blocks may take without earning them: the empty cache, and what closed tables left. */
  private unearned: number;
  private total = 0;
  // Miss counts age by halving once per epoch: as many misses as the cache holds blocks.
  private epoch = 1;
  private misses = 0;
  private readonly epochLength: number;

  /** @param capacity the most total charge (bytes) held at once; at least the newest block is kept. */
  constructor(readonly capacity: number) {
    this.epochLength = Math.max(64, Math.ceil(capacity / TYPICAL_BLOCK));
    this.unearned = capacity;
  }

  /**
   * admit counts a read that missed block `n` (of the table owning `stamps`) and tells whether the block
   * should enter the cache. Into room nobody earned (the empty cache, the blocks of closed tables) every
   * block does. Once that is used up, a block gets in only when reads missed it lately several times and clearly more often than the block it would evict
   * (CLOCK's next victim, which no read has hit since the hand last passed it): TinyLFU's idea, with exact
   * per-block counts instead of a sketch. Churn is what this avoids: under random reads over data larger
   * than the cache, swapping one block for another changes nothing about the hit rate, yet each admission
   * is memory to allocate and later collect. The doorkeeper this replaces (admit on a second miss within
   * twice the cache's blocks) made a 24 MiB cache read random keys 1.08x slower than an 8 MiB one; a block
   * that keeps being read (hot keys) still gets in after a few misses.
   */
  admit(stamps: AdmissionStamps, n: number, charge: number): boolean {
    const f = this.count1(stamps, n);
    if (charge <= this.unearned) {
      this.unearned -= charge;
      return true;
    }
    const victim = this.nextVictim();
    if (victim === undefined) return true;
    return f >= MIN_MISSES && f > MARGIN * this.frequency(victim.cacheStamps!, victim.cacheSlot);
  }

  /** frequency is block n's miss count, halved for every epoch since it was last counted. */
  private frequency(stamps: AdmissionStamps, n: number): number {
    const v = stamps[n]!;
    const e = Math.floor(v / FREQUENCY_SPAN);
    const age = this.epoch - e;
    const c = v - e * FREQUENCY_SPAN;
    return age === 0 ? c : age > 16 ? 0 : Math.floor(c / (1 << age));
  }

  /** count1 counts one miss of block n and returns its frequency including it. */
  private count1(stamps: AdmissionStamps, n: number): number {
    if (++this.misses >= this.epochLength) {
      this.misses = 0;
      this.epoch++;
    }
    const f = Math.min(this.frequency(stamps, n) + 1, FREQUENCY_SPAN - 1);
    stamps[n] = this.epoch * FREQUENCY_SPAN + f;
    return f;
  }

  /**
   * nextVictim runs the CLOCK hand to the block eviction would take next (clearing the marks of blocks
   * read since it last passed, as evict() would) and returns it, without evicting it.
   */
  private nextVictim(): Block | undefined {
    const ring = this.ring;
    const mask = ring.length - 1;
    while (this.count > 0) {
      const b = ring[this.head]!;
      if (b.cacheSlots === null) {
        ring[this.head] = undefined;
        this.head = (this.head + 1) & mask;
        this.count--;
        continue;
      }
      if (!b.referenced) return b;
      b.referenced = false;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      ring[(this.head + this.count - 1) & mask] = b;
    }
    return undefined;
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
  insert(slots: BlockSlots, stamps: AdmissionStamps, index: number, block: Block, charge: number): void {
    if (block.cacheSlots !== null) return;
    const old = slots[index];
    if (old !== undefined) {
      this.total -= old.cacheCharge;
      this.release(old);
    }
    block.cacheSlots = slots;
    block.cacheStamps = stamps;
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
    this.unearned = this.capacity;
  }

  /**
   * forget drops the blocks of a table being closed (its `slots`); their room goes to whichever blocks miss
   * next, as in an empty cache.
   */
  forget(slots: BlockSlots): void {
    for (let i = 0; i < slots.length; i++) {
      const b = slots[i];
      if (b === undefined || b.cacheSlots !== slots) continue;
      this.total -= b.cacheCharge;
      this.unearned = Math.min(this.capacity, this.unearned + b.cacheCharge);
      this.release(b);
    }
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
