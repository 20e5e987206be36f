/**
 * Memory for data blocks read from files: carved from shared 64 KiB slabs rather than one ArrayBuffer per
 * block (a fresh 4 KiB ArrayBuffer cost 3-5 us with the GC's tracking of it, more than decoding the
 * block). A slab lives until every block cut from it is unreachable, so Table moves a block into memory
 * of its own the first time the cache serves it again (Block.adopt): blocks left in slabs are those read
 * once, which the LRU evicts in the order they were read, slab by slab.
 */

/** SLAB_SIZE is the size of one slab (bytes). */
const SLAB_SIZE = 64 << 10;
/** POOLED_MAX: larger blocks get an ArrayBuffer of their own. */
const POOLED_MAX = 16 << 10;

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/**
 * blockMemory returns `n` zeroed bytes never handed out before: from a slab (8-aligned) when n <= POOLED_MAX,
 * else in an ArrayBuffer of their own.
 */
export function blockMemory(n: number): Uint8Array {
  if (n > POOLED_MAX) return new Uint8Array(n);
  if (used + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, n);
  used = (used + n + 7) & ~7;
  return out;
}

/** inSlab tells whether `a` was carved from a slab by the latest blockMemory() calls. */
export function inSlab(a: Uint8Array): boolean {
  return a.buffer === slab;
}

/**
 * The point-read scratch: a block a get decodes but the cache does not admit lives here until the next
 * such block overwrites it. Its generation counts those overwrites, so a table can tell whether the block
 * it read last is still there.
 */
let scratch = new ArrayBuffer(64 << 10);
let generation = 0;

/** scratchMemory returns `n` bytes of the point-read scratch (not zeroed), overwriting the previous block. */
export function scratchMemory(n: number): Uint8Array {
  if (n > scratch.byteLength) scratch = new ArrayBuffer(Math.max(n, scratch.byteLength * 2));
  generation++;
  return new Uint8Array(scratch, 0, n);
}

/** scratchGeneration: how many blocks the scratch has held (a block read at generation g is intact while equal). */
export function scratchGeneration(): number {
  return generation;
}

/** inScratch tells whether `a` lies in the point-read scratch. */
export function inScratch(a: Uint8Array): boolean {
  return a.buffer === scratch;
}

/**
 * Decode buffers for the blocks iterators read but the block cache does not keep. Such a block lives only
 * while its iterator stands on it, so the iterator hands its buffer back here when it moves to another
 * block or is closed (InternalIterator's contract: views are valid until the iterator moves), and the
 * next block any iterator reads is decoded into it. Fresh slab memory per block (and the collections of
 * those slabs) was 6% of seekrandom's time.
 */
const free: ArrayBuffer[] = [];
/** FREE_MAX bounds the buffers kept for reuse (one per iterator standing on an uncached block). */
const FREE_MAX = 64;
/** RECYCLED_MIN is the smallest buffer made (the default block size, and its 16-byte slack). */
const RECYCLED_MIN = 8 << 10;
/** RECYCLED_MAX: larger blocks get a buffer that is not kept once returned. */
const RECYCLED_MAX = 256 << 10;

/** takeBlockBuffer returns a buffer of at least `n` bytes for an iterator's block (contents not zeroed). */
export function takeBlockBuffer(n: number): ArrayBuffer {
  const b = free.pop();
  if (b !== undefined && b.byteLength >= n) return b;
  return new ArrayBuffer(Math.max(n, RECYCLED_MIN));
}

/**
 * returnBlockBuffer hands back a buffer from takeBlockBuffer. Requires: nothing refers to its bytes any more
 * (the block decoded into it is no iterator's and in no cache).
 */
export function returnBlockBuffer(b: ArrayBuffer): void {
  if (free.length < FREE_MAX && b.byteLength <= RECYCLED_MAX) free.push(b);
}
