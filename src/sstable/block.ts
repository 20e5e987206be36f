/**
 * Block reader (LevelDB table/block.cc): parses a block's restart array and iterates its prefix-compressed
 * entries. See block-builder.ts for the layout and leveldb-format.md §6.
 */
import type { Comparator } from '../util/comparator.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import { compareByteRanges } from '../util/bytes.js';
import { bytewiseComparator } from '../util/comparator.js';
import { decodeFixed32 } from '../util/coding.js';
import { CorruptionError } from '../util/errors.js';
import { InternalKeyComparator } from '../memtable/internal-key.js';
import type { SortedKeys } from './sorted-keys.js';

/**
 * RangeCompare compares `a[aStart, aEnd)` with `b[bStart, bEnd)` in some comparator's order, so blocks can
 * compare keys in place without making views.
 */
export type RangeCompare = (
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
) => number;

/** compareInternalKeyRanges is the internal-key order over a bytewise user order, on ranges. */
function compareInternalKeyRanges(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const r = compareByteRanges(a, aStart, aEnd - 8, b, bStart, bEnd - 8);
  if (r !== 0) return r;
  // Tags descending (newer first): the high word, then the low word.
  const ah = decodeFixed32(a, aEnd - 4);
  const bh = decodeFixed32(b, bEnd - 4);
  if (ah !== bh) return ah > bh ? -1 : 1;
  const al = decodeFixed32(a, aEnd - 8);
  const bl = decodeFixed32(b, bEnd - 8);
  if (al !== bl) return al > bl ? -1 : 1;
  return 0;
}

const rangeCompareCache = new WeakMap<Comparator, RangeCompare>();

/**
 * rangeCompareFor returns a RangeCompare equivalent to `cmp`: allocation-free for the bytewise comparator
 * and for the internal-key comparator over it, a view-making fallback for any other comparator.
 */
export function rangeCompareFor(cmp: Comparator): RangeCompare {
  let rc = rangeCompareCache.get(cmp);
  if (rc !== undefined) return rc;
  if (cmp === bytewiseComparator) rc = compareByteRanges;
  else if (cmp instanceof InternalKeyComparator && cmp.user === bytewiseComparator)
    rc = compareInternalKeyRanges;
  else rc = (a, as, ae, b, bs, be) => cmp.compare(a.subarray(as, ae), b.subarray(bs, be));
  rangeCompareCache.set(cmp, rc);
  return rc;
}

/**
 * Block is a parsed, immutable block: its contents and the position of its restart array. It is what the
 * block cache holds. Construction checks the restart array, so iterators can trust it.
 */
export class Block {
  /** data is the block contents (entries, restart array, restart count); adopt() may move, never change it. */
  data: Uint8Array;
  /** pooled is true while `data` lies in a shared slab (block-memory.ts). */
  pooled = false;
  /** scratch: `data` is the point-read scratch; never cached, valid until the next scratch block. */
  scratch = false;
  /** restartOffset is where the restart array starts (= the end of the entries). */
  readonly restartOffset: number;
  /** numRestarts is the number of restart points (0 only for a block with no entries). */
  readonly numRestarts: number;
  /** lookup: the keys decoded for point reads, set by Table once point reads keep coming back to the block. */
  lookup: SortedKeys | null = null;
  /** hits counts point reads served from the cache before `lookup` was built. */
  hits = 0;
  // Block cache bookkeeping (block-cache.ts): the table slots holding this block while it is cached,
  // the table's read counts, its slot, its charge, and whether it was read since CLOCK last passed it.
  cacheSlots: (Block | undefined)[] | null = null;
  cacheStamps: Float64Array | null = null;
  cacheSlot = 0;
  cacheCharge = 0;
  referenced = false;

  /**
   * @param data the uncompressed block contents; the Block keeps it and never changes it
   * @param fileName names the file in CorruptionErrors
   * @param blockOffset the block's offset in the file, for CorruptionErrors
   * Throws CorruptionError when the restart array is malformed.
   */
  constructor(
    data: Uint8Array,
    readonly fileName?: string,
    readonly blockOffset?: number,
  ) {
    this.data = data;
    const size = data.length;
    if (size < 4) throw new CorruptionError('bad block contents (too short)', fileName, blockOffset);
    const numRestarts = decodeFixed32(data, size - 4);
    const maxRestarts = Math.floor((size - 4) / 4);
    if (numRestarts > maxRestarts) {
      throw new CorruptionError(
        `bad block contents (${numRestarts} restarts in ${size} bytes)`,
        fileName,
        blockOffset,
      );
    }
    const restartOffset = size - (1 + numRestarts) * 4;
    // Restart points must increase and point at entries (a block without entries has the one restart 0).
    let prev = -1;
    for (let i = 0; i < numRestarts; i++) {
      const r = decodeFixed32(data, restartOffset + i * 4);
      if (r <= prev || (r >= restartOffset && !(r === 0 && restartOffset === 0))) {
        throw new CorruptionError(`bad block contents (restart point ${i} = ${r})`, fileName, blockOffset);
      }
      prev = r;
    }
    this.restartOffset = restartOffset;
    this.numRestarts = numRestarts;
  }

  /**
   * adopt moves pooled contents into memory of their own, so a block kept in the cache holds no slab.
   * Iterators already on the block keep reading the slab copy (same bytes, still valid).
   */
  adopt(): void {
    if (!this.pooled) return;
    this.data = this.data.slice();
    this.pooled = false;
  }

  /** size is the contents' length in bytes (the block cache charge). */
  get size(): number {
    return this.data.length;
  }

  /** iterator returns an iterator over the block's entries in `cmp`'s order. */
  iterator(cmp: Comparator): BlockIterator {
    return new BlockIterator(this, cmp);
  }
}

const EMPTY = new Uint8Array(0);
const NO_INTS = new Int32Array(0);
const SMALL_COPY = 32; // below this many bytes a loop beats subarray() + set()

/**
 * BlockIterator walks a Block (LevelDB Block::Iter). Seeks binary-search the restart points, then scan
 * forward; prev() restarts from the previous restart point. It does not allocate per entry: keys are
 * rebuilt in one growable buffer and `key()` is a view of it (reused while the key length is unchanged);
 * `value()` is a view into the block.
 *
 * Malformed entries throw CorruptionError naming the file and block offset; the iterator is then invalid.
 */
export class BlockIterator implements InternalIterator {
  private block!: Block;
  private data: Uint8Array = EMPTY;
  private restarts = 0; // offset of the restart array
  private numRestarts = 0;
  private readonly rcmp: RangeCompare;

  private current = 0; // offset of the current entry; >= restarts when invalid
  private restartIndex = 0; // restart block holding `current`
  private nextOffset = 0; // offset just after the current entry
  private valueOffset = 0;
  private valueLen = 0;

  private keyBuf = new Uint8Array(64);
  private keyLen = 0;
  private keyView: Uint8Array = EMPTY;
  private valueView: Uint8Array | null = null;

  // The restart run the last prev() decoded (entry offsets, next offsets, value offsets, keys), so
  // further prev() steps in it restore an entry instead of rescanning; runPos is the current entry's
  // index in it, valid while runOffsets[runPos] === current and the block is runData.
  private runData: Uint8Array = EMPTY;
  private runPos = -1;
  private runRestart = 0;
  // Allocated by the first prev() (most iterators never step back, and an array of more than 64 bytes
  // is an off-heap allocation: these five were most of what a new iterator cost).
  private runOffsets: Int32Array = NO_INTS;
  private runNext: Int32Array = NO_INTS;
  private runValues: Int32Array = NO_INTS;
  private runKeyStarts: Int32Array = NO_INTS;
  private runKeys: Uint8Array = EMPTY;

  // Outputs of decodeEntry / varint (fields rather than a tuple, to avoid allocating).
  private eShared = 0;
  private eNonShared = 0;
  private eValueLen = 0;
  private vpos = 0;

  constructor(block: Block, cmp: Comparator) {
    this.rcmp = rangeCompareFor(cmp);
    this.setBlock(block);
  }

  /**
   * setBlock retargets the iterator at another block (same comparator); it becomes invalid. Setting the
   * block it already walks keeps its position (so the next seek can start from it).
   */
  setBlock(block: Block): void {
    if (block === this.block) return;
    this.block = block;
    this.data = block.data;
    this.restarts = block.restartOffset;
    this.numRestarts = block.numRestarts;
    this.markInvalid();
  }

  valid(): boolean {
    return this.current < this.restarts;
  }

  seekToFirst(): void {
    if (this.numRestarts === 0) return this.markInvalid();
    this.seekToRestartPoint(0);
    this.parseNextKey();
  }

  seekToLast(): void {
    if (this.numRestarts === 0) return this.markInvalid();
    this.seekToRestartPoint(this.numRestarts - 1);
    while (this.parseNextKey() && this.nextOffset < this.restarts) {
      // keep going to the last entry
    }
  }

  seek(target: Uint8Array): void {
    if (this.numRestarts === 0) return this.markInvalid();
    const rcmp = this.rcmp;
    const tlen = target.length;
    let left = 0;
    let right = this.numRestarts - 1;
    let currentCompare = 0;
    if (this.valid()) {
      // Use the current position to narrow the search (sequential gets on a reused iterator).
      currentCompare = rcmp(this.keyBuf, 0, this.keyLen, target, 0, tlen);
      if (currentCompare < 0) left = this.restartIndex;
      else if (currentCompare > 0) right = this.restartIndex;
      else return;
    }
    const data = this.data;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      const off = this.restartPoint(mid);
      const p = this.decodeEntry(off);
      if (p < 0 || this.eShared !== 0) this.corruption(off);
      if (rcmp(data, p, p + this.eNonShared, target, 0, tlen) < 0) left = mid;
      else right = mid - 1;
    }
    // Keep scanning from where we are when the target lies after the current key in its restart block.
    if (!(left === this.restartIndex && currentCompare < 0)) this.seekToRestartPoint(left);
    while (true) {
      if (!this.parseNextKey()) return;
      if (rcmp(this.keyBuf, 0, this.keyLen, target, 0, tlen) >= 0) return;
    }
  }

  next(): void {
    if (!this.valid()) return;
    this.parseNextKey();
  }

  prev(): void {
    if (!this.valid()) return;
    const k = this.runPos;
    // Within the run the last prev() decoded: step back from what it recorded.
    if (k > 0 && this.runData === this.data && this.runOffsets[k] === this.current)
      return this.loadRun(k - 1);
    const original = this.current;
    while (this.restartPoint(this.restartIndex) >= original) {
      if (this.restartIndex === 0) return this.markInvalid();
      this.restartIndex--;
    }
    // Scan from the restart point to the entry just before `original`, recording each entry, so the
    // next prev() steps need no rescan (reverse scans decoded ~8 entries per step before).
    this.seekToRestartPoint(this.restartIndex);
    this.runData = this.data;
    let n = 0;
    while (this.parseNextKey()) {
      this.record(n++);
      if (this.nextOffset >= original) break;
    }
    this.runPos = n - 1;
    this.runRestart = this.restartIndex;
  }

  // Views are made with the constructor rather than subarray(), which is markedly slower in V8 (a fresh
  // view per value and per new iterator's key: 4.6% of a seekrandom profile was key()).

  key(): Uint8Array {
    let v = this.keyView;
    if (v.length !== this.keyLen) {
      const kb = this.keyBuf;
      v = new Uint8Array(kb.buffer, kb.byteOffset, this.keyLen);
      this.keyView = v;
    }
    return v;
  }

  value(): Uint8Array {
    let v = this.valueView;
    if (v === null) {
      const d = this.data;
      v = new Uint8Array(d.buffer, d.byteOffset + this.valueOffset, this.valueLen);
      this.valueView = v;
    }
    return v;
  }

  close(): void {
    this.markInvalid();
  }

  /** blockData is the current block's contents (for allocation-free access to values, with valueStart). */
  get blockData(): Uint8Array {
    return this.data;
  }

  /** valueStart is the offset of the current value in blockData. Requires: valid(). */
  get valueStart(): number {
    return this.valueOffset;
  }

  /** valueEnd is the offset just past the current value in blockData. Requires: valid(). */
  get valueEnd(): number {
    return this.valueOffset + this.valueLen;
  }

  /** record saves the current entry as entry `k` of the recorded run. */
  private record(k: number): void {
    if (k + 2 > this.runOffsets.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(Math.max(32, a.length * 2));
        b.set(a);
        return b;
      };
      this.runOffsets = grow(this.runOffsets);
      this.runNext = grow(this.runNext);
      this.runValues = grow(this.runValues);
      this.runKeyStarts = grow(this.runKeyStarts);
    }
    const start = k === 0 ? 0 : this.runKeyStarts[k]!;
    const len = this.keyLen;
    if (start + len > this.runKeys.length) {
      const b = new Uint8Array(Math.max(start + len, this.runKeys.length * 2, 512));
      b.set(this.runKeys.subarray(0, start));
      this.runKeys = b;
    }
    const rk = this.runKeys;
    const kb = this.keyBuf;
    for (let i = 0; i < len; i++) rk[start + i] = kb[i]!;
    this.runKeyStarts[k] = start;
    this.runKeyStarts[k + 1] = start + len;
    this.runOffsets[k] = this.current;
    this.runNext[k] = this.nextOffset;
    this.runValues[k] = this.valueOffset;
  }

  /** loadRun makes recorded entry `k` the current one. */
  private loadRun(k: number): void {
    const start = this.runKeyStarts[k]!;
    const len = this.runKeyStarts[k + 1]! - start;
    if (len > this.keyBuf.length) {
      this.keyBuf = new Uint8Array(Math.max(len, this.keyBuf.length * 2));
      this.keyView = EMPTY;
    }
    const kb = this.keyBuf;
    const rk = this.runKeys;
    for (let i = 0; i < len; i++) kb[i] = rk[start + i]!;
    this.keyLen = len;
    this.current = this.runOffsets[k]!;
    this.nextOffset = this.runNext[k]!;
    this.valueOffset = this.runValues[k]!;
    this.valueLen = this.nextOffset - this.valueOffset;
    this.valueView = null;
    this.restartIndex = this.runRestart;
    this.runPos = k;
  }

  private markInvalid(): void {
    this.current = this.restarts;
    this.restartIndex = this.numRestarts;
    this.nextOffset = this.restarts;
    this.keyLen = 0;
    this.valueView = null;
  }

  private restartPoint(index: number): number {
    return decodeFixed32(this.data, this.restarts + index * 4);
  }

  private seekToRestartPoint(index: number): void {
    this.keyLen = 0;
    this.restartIndex = index;
    // parseNextKey starts at nextOffset.
    this.nextOffset = this.restartPoint(index);
  }

  private parseNextKey(): boolean {
    const p0 = this.nextOffset;
    this.current = p0;
    this.valueView = null;
    if (p0 >= this.restarts) {
      this.markInvalid();
      return false;
    }
    const p = this.decodeEntry(p0);
    const shared = this.eShared;
    if (p < 0 || shared > this.keyLen) this.corruption(p0);
    const nonShared = this.eNonShared;
    const need = shared + nonShared;
    if (need > this.keyBuf.length) {
      const next = new Uint8Array(Math.max(need, this.keyBuf.length * 2));
      next.set(this.keyBuf.subarray(0, shared));
      this.keyBuf = next;
      this.keyView = EMPTY;
    }
    const kb = this.keyBuf;
    const data = this.data;
    if (nonShared <= SMALL_COPY) {
      for (let i = 0; i < nonShared; i++) kb[shared + i] = data[p + i]!;
    } else {
      kb.set(data.subarray(p, p + nonShared), shared);
    }
    this.keyLen = need;
    this.valueOffset = p + nonShared;
    this.valueLen = this.eValueLen;
    this.nextOffset = this.valueOffset + this.valueLen;
    const n = this.numRestarts;
    while (this.restartIndex + 1 < n && this.restartPoint(this.restartIndex + 1) < p0) this.restartIndex++;
    return true;
  }

  /**
   * decodeEntry parses the entry header at `p` (bounded by the restart array) into eShared, eNonShared
   * and eValueLen; returns the offset of the key suffix, or -1 if the header or lengths overrun.
   */
  private decodeEntry(p: number): number {
    const data = this.data;
    const limit = this.restarts;
    if (limit - p < 3) return -1;
    let shared = data[p]!;
    let nonShared = data[p + 1]!;
    let valueLen = data[p + 2]!;
    if ((shared | nonShared | valueLen) < 0x80) {
      p += 3;
    } else {
      shared = this.varint(p, limit);
      if (shared < 0) return -1;
      nonShared = this.varint(this.vpos, limit);
      if (nonShared < 0) return -1;
      valueLen = this.varint(this.vpos, limit);
      if (valueLen < 0) return -1;
      p = this.vpos;
    }
    if (limit - p < nonShared + valueLen) return -1;
    this.eShared = shared;
    this.eNonShared = nonShared;
    this.eValueLen = valueLen;
    return p;
  }

  /** varint decodes a varint32 at `p` (before `limit`); returns it (vpos = the offset after) or -1. */
  private varint(p: number, limit: number): number {
    const data = this.data;
    let result = 0;
    for (let shift = 0; shift <= 28 && p < limit; shift += 7) {
      const b = data[p++]!;
      if (shift === 28 && b > 0x0f) return -1;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.vpos = p;
        return result >>> 0;
      }
    }
    return -1;
  }

  private corruption(entryOffset: number): never {
    this.markInvalid();
    const b = this.block;
    throw new CorruptionError(
      `bad entry in block (at block offset ${entryOffset})`,
      b.fileName,
      b.blockOffset,
    );
  }
}
