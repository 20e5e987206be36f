/**
 * CompressedBlockCache: data blocks as they lie in their files (contents, compressed when the table is, and
 * type byte), checksum verified, kept in one ring of memory so that a block-cache miss need not read the file.
 *
 * LevelDB maps its tables into memory and lets the OS page cache hold them: a miss there is a memory copy.
 * From Node a miss is a pread, 3-6 us on these machines (more than decoding the block), so this cache
 * stands in for the page cache: a block read from a file is copied into the ring after its CRC passed, and
 * the next miss of that block copies it back out (about 0.2 us for 2 KiB) and decodes it without checking
 * the CRC again (memory it was verified into is trusted, as the decoded-block cache already is).
 *
 * The ring is written front to back and wraps; a block's bytes stay valid until the writer has gone once
 * round past them, so eviction is first in, first out and costs nothing: no list, no per-hit bookkeeping.
 * A table finds its blocks by block number in an array of ring positions (CompressedBlockSlots), as with the
 * BlockCache. Positions are absolute byte counts since the ring was made (they only grow), so a position
 * p is still valid while head <= p + capacity.
 */

/** CompressedBlockSlots is a table's blocks in the ring: absolute ring position + 1 by block number (0: none). */
export type CompressedBlockSlots = Float64Array;

export class CompressedBlockCache {
  private ring: Uint8Array | null = null; // allocated at the first insert
  private head = 0; // absolute position of the next byte written

  /** @param capacity the ring's size in bytes (blocks larger than a quarter of it are not kept). */
  constructor(readonly capacity: number) {}

  /** usage is the number of ring bytes holding blocks (the ring is allocated once it is first used). */
  get usage(): number {
    return Math.min(this.head, this.capacity);
  }

  /** slotsFor makes the position array for a table of `blocks` data blocks. */
  static slotsFor(blocks: number): CompressedBlockSlots {
    return new Float64Array(blocks);
  }

  /**
   * copyOut copies block `index`'s `n` bytes into `out` and returns true, or returns false when the block
   * is not in the ring (never kept, or overwritten since).
   */
  copyOut(slots: CompressedBlockSlots, index: number, n: number, out: Uint8Array): boolean {
    const p = slots[index]! - 1;
    if (p < 0 || this.head > p + this.capacity) return false;
    const at = p % this.capacity;
    out.set(this.ring!.subarray(at, at + n));
    return true;
  }

  /** insert copies `bytes` (block `index` of the table owning `slots`) into the ring. */
  insert(slots: CompressedBlockSlots, index: number, bytes: Uint8Array): void {
    const n = bytes.length;
    const cap = this.capacity;
    if (n > cap >>> 2) return;
    if (this.ring === null) this.ring = new Uint8Array(cap);
    let at = this.head % cap;
    if (at + n > cap) {
      // Not enough room before the end: skip to the start of the next lap.
      this.head += cap - at;
      at = 0;
    }
    this.ring.set(bytes, at);
    slots[index] = this.head + 1;
    this.head += n;
  }

  /** clear forgets every block (positions held by tables become stale) and frees the ring. */
  clear(): void {
    this.head += this.capacity;
    this.ring = null;
  }
}
