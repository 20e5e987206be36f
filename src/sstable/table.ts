/**
 * Table reads a sorted table written by TableBuilder or by LevelDB (LevelDB table/table.cc): the footer,
 * the index block and the filter at open; data blocks on demand, through the block cache.
 * See leveldb-format.md §6 and §7.
 */
import type { RandomAccessFile } from '../env/file-system.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import type { AdmissionStamps, BlockCache, BlockSlots } from './block-cache.js';
import { blockMemory, inScratch, scratchGeneration, scratchMemory } from './block-memory.js';
import { CompressedBlockCache, type CompressedBlockSlots } from './compressed-block-cache.js';
import type { FilterPolicy } from './filter-policy.js';
import { bytewiseComparator } from '../util/comparator.js';
import { ClosedError, CorruptionError, IOError, ShaleError } from '../util/errors.js';
import { utf8 } from '../util/bytes.js';
import { TAG_SIZE } from '../memtable/internal-key.js';
import { Block, BlockIterator } from './block.js';
import { FilterBlockReader } from './filter-block.js';
import {
  BLOCK_TRAILER_SIZE,
  FOOTER_LENGTH,
  Footer,
  decodeBlockHandleInto,
  decodeRawBlock,
  rawBlockBuffer,
  readBlockAt,
  readRawBlock,
  type BlockHandle,
} from './format.js';
import { FILTER_META_PREFIX } from './table-builder.js';
import { TableIterator, type BlockSource } from './table-iterator.js';
import { SortedKeys } from './sorted-keys.js';
import { DISCARDED_COUNTERS, type ReadCounters } from './read-counters.js';

/** TableOptions configure how a table is opened and read. */
export interface TableOptions {
  /** comparator is the internal-key order the table was written with. */
  readonly comparator: InternalKeyComparator;
  /** filterPolicy: the filter block written by this policy (`filter.<name>`) is used, others ignored. */
  readonly filterPolicy: FilterPolicy | null;
  /** blockCache holds decoded data blocks shared by many tables, charged by block size. */
  readonly blockCache?: BlockCache | null;
  /** compressedBlockCache holds data blocks as read from their files (verified), so block-cache misses skip the read. */
  readonly compressedBlockCache?: CompressedBlockCache | null;
  /** fileName names the file in errors. */
  readonly fileName: string;
  /**
   * verifyChecksums (default true) checks each block's CRC when it is read from the file; a block found
   * in the cache was checked when it was read. Reads can override it.
   */
  readonly verifyChecksums?: boolean;
  /**
   * paranoidChecks verifies the CRCs of the blocks read at open even when verifyChecksums is false, and
   * checks that the index is sorted and its handles lie inside the file.
   */
  readonly paranoidChecks?: boolean;
  /** counters receive this table's cache, filter and read events (default: discarded). */
  readonly counters?: ReadCounters;
}

/** TableReadOptions are per-read settings. */
export interface TableReadOptions {
  /** fillCache (default true) inserts blocks read from the file into the block cache. */
  readonly fillCache?: boolean;
  /** verifyChecksums overrides the table's setting for this read. */
  readonly verifyChecksums?: boolean;
}

const EMPTY = new Uint8Array(0);
/** EMPTY_BLOCK parks the get() iterator so it holds no slab. */
const EMPTY_BLOCK = new Block(new Uint8Array(4));

/**
 * TableEntry is the entry Table.get found: one reused object per table, valid until its next get(). The
 * internal key is `keyData[keyStart, keyEnd)` and the value `valueData[valueStart, valueEnd)`, in an
 * immutable block: point reads use the ranges (no views); `key` and `value` make views.
 */
export class TableEntry {
  keyData: Uint8Array = EMPTY;
  keyStart = 0;
  keyEnd = 0;
  valueData: Uint8Array = EMPTY;
  valueStart = 0;
  valueEnd = 0;

  /** key returns a view of the internal key. */
  get key(): Uint8Array {
    return this.keyData.subarray(this.keyStart, this.keyEnd);
  }

  /** value returns a view of the value (it keeps the block in memory). */
  get value(): Uint8Array {
    return this.valueData.subarray(this.valueStart, this.valueEnd);
  }
}

/** LOOKUP_AFTER_HITS: cache hits from get() before a data block gets its SortedKeys. */
const LOOKUP_AFTER_HITS = 4;

/**
 * Table is an open, immutable sorted table. It owns its file once open() returns (close() closes it);
 * when open() throws, the caller still owns the file.
 *
 * Reads are synchronous. get() reuses internal iterators, so it must not be called re-entrantly (e.g. from a
 * filter policy); iterators are independent of each other and of get().
 */
export class Table implements BlockSource {
  private closed = false;
  /** blockCount is the number of data blocks (BlockSource). */
  readonly blockCount: number;
  // Reused by get(): the index iterator and a data-block iterator retargeted at each block.
  private readonly getIndexIter: BlockIterator;
  private getDataIter: BlockIterator | null = null;
  private getBlock: Block | null = null; // the block of the last get()
  private getBlockOffset = -1;
  private getBlockScratch = -1; // the scratch generation getBlock was decoded at (-1: not in the scratch)
  private loadHit = false; // whether the last loadBlock() found its block in the cache
  private readonly handle = { offset: 0, size: 0, end: 0 };
  private readonly getEntry = new TableEntry();
  private readonly dataEnd: number; // data blocks lie before the metaindex block
  /** index: the index block decoded once at open, so get() binary-searches plain arrays. */
  private readonly index: DecodedIndex;
  /** cached: this table's blocks in the block cache, by block number (position in the index). */
  private readonly cached: BlockSlots;
  /** missCounts: how often reads missed each block lately (the block cache's admission). */
  private readonly missCounts: AdmissionStamps;
  /** inCompressedCache: where this table's blocks sit in the compressed block cache, by block number. */
  private readonly inCompressedCache: CompressedBlockSlots | null;

  private constructor(
    private readonly file: RandomAccessFile,
    readonly fileName: string,
    private readonly cmp: InternalKeyComparator,
    /** indexBlock is the index as read from the file (its decoded arrays serve reads). @internal */
    readonly indexBlock: Block,
    private readonly filter: FilterBlockReader | null,
    private readonly metaindexOffset: number,
    private readonly blockCache: BlockCache | null,
    private readonly compressedBlockCache: CompressedBlockCache | null,
    private readonly verifyChecksums: boolean,
    private readonly counters: ReadCounters,
  ) {
    this.getIndexIter = new BlockIterator(indexBlock, cmp);
    this.dataEnd = metaindexOffset;
    this.index = decodeIndex(indexBlock, cmp, fileName);
    this.blockCount = this.index.offsets.length;
    this.cached = blockCache === null ? [] : new Array<Block | undefined>(this.index.offsets.length);
    this.missCounts = new Float64Array(blockCache === null ? 0 : this.index.offsets.length);
    this.inCompressedCache =
      compressedBlockCache === null ? null : CompressedBlockCache.slotsFor(this.index.offsets.length);
  }

  /**
   * open reads the footer, the index block and (if the metaindex names one for `filterPolicy`) the filter
   * block. Throws CorruptionError naming the file when the file is too short, the magic number is wrong or
   * the index is bad; a bad filter block or metaindex only means reads go without the filter.
   */
  static open(file: RandomAccessFile, fileSize: number, options: TableOptions): Table {
    const fileName = options.fileName;
    const verify = options.verifyChecksums ?? true;
    const verifyAtOpen = verify || options.paranoidChecks === true;
    if (fileSize < FOOTER_LENGTH) throw new CorruptionError('file is too short to be an sstable', fileName);
    const footerOffset = fileSize - FOOTER_LENGTH;
    const footerBytes = file.read(footerOffset, FOOTER_LENGTH);
    if (footerBytes.length !== FOOTER_LENGTH)
      throw new CorruptionError('truncated footer read', fileName, footerOffset);
    const footer = Footer.decode(footerBytes, fileName, footerOffset);
    checkHandle(footer.indexHandle, footerOffset, fileName);
    checkHandle(footer.metaindexHandle, footerOffset, fileName);

    const indexContents = readBlockAt(
      file,
      footer.indexHandle.offset,
      footer.indexHandle.size,
      verifyAtOpen,
      fileName,
    );
    const indexBlock = new Block(indexContents.data, fileName, footer.indexHandle.offset);
    if (options.paranoidChecks === true)
      checkIndex(indexBlock, options.comparator, footer.metaindexHandle.offset, fileName);

    let filter: FilterBlockReader | null = null;
    if (options.filterPolicy !== null) {
      filter = readFilter(
        file,
        footer.metaindexHandle,
        options.filterPolicy,
        verifyAtOpen,
        fileName,
        footerOffset,
      );
    }

    return new Table(
      file,
      fileName,
      options.comparator,
      indexBlock,
      filter,
      footer.metaindexHandle.offset,
      options.blockCache ?? null,
      options.compressedBlockCache ?? null,
      verify,
      options.counters ?? DISCARDED_COUNTERS,
    );
  }

  /** hasFilter is true iff reads consult a filter block. */
  get hasFilter(): boolean {
    return this.filter !== null;
  }

  /**
   * get returns the first entry >= `internalKey` in the data block the index points to, or undefined when
   * there is none or the filter says the user key is absent (then no data block is read). The caller
   * checks the user key. `keyHash`, when given, is the filter policy's hashKey of the user key (one hash
   * for a lookup through many tables). Follows LevelDB's Table::InternalGet.
   */
  get(internalKey: Uint8Array, opts?: TableReadOptions, keyHash?: number): TableEntry | undefined {
    if (this.closed) throw new ClosedError(`table ${this.fileName} is closed`);
    // First index entry whose separator is >= the key: its block is the only one that may hold it.
    const idx = this.index;
    const lo = idx.keys.lowerBound(internalKey);
    if (lo >= idx.keys.count) return undefined;
    const offset = idx.offsets[lo]!;
    if (this.filter !== null) {
      if (!this.filter.mayMatch(offset, internalKey, internalKey.length - TAG_SIZE, keyHash)) {
        this.counters.bloomUseful++;
        return undefined;
      }
      this.counters.bloomMayMatch++;
    }
    const e = this.getEntry;
    // Consecutive gets in one block (sequential reads) reuse it without a cache lookup, if it is still
    // there (a block in the point-read scratch is overwritten by the next one decoded there).
    let block = this.getBlock;
    if (
      block === null ||
      offset !== this.getBlockOffset ||
      (this.getBlockScratch >= 0 && this.getBlockScratch !== scratchGeneration())
    ) {
      block = this.loadBlock(
        lo,
        offset,
        idx.sizes[lo]!,
        opts?.verifyChecksums ?? this.verifyChecksums,
        opts?.fillCache ?? true,
        true,
      );
      // A block in a slab is not kept past this get (it would hold the whole slab).
      this.getBlockScratch = block.scratch ? scratchGeneration() : -1;
      this.getBlock = block.pooled ? null : block;
      this.getBlockOffset = offset;
      // A block point reads keep coming back to earns its decoded keys: decoding costs about as much as a
      // few dozen lookups save, so blocks read only once or twice (a cache a fraction of the data) skip it.
      if (block.lookup === null && this.loadHit && ++block.hits >= LOOKUP_AFTER_HITS) {
        this.decodeLookup(block);
      }
    }
    const sk = block.lookup;
    if (sk !== null) {
      const i = sk.lowerBound(internalKey);
      if (i >= sk.count) return undefined;
      e.keyData = sk.keys;
      e.keyStart = sk.keyStart(i);
      e.keyEnd = sk.keyEnd(i);
      e.valueData = sk.values;
      e.valueStart = sk.valueStart(i);
      e.valueEnd = sk.valueEnd(i);
      return e;
    }
    let di = this.getDataIter;
    if (di === null) {
      di = new BlockIterator(block, this.cmp);
      this.getDataIter = di;
    } else {
      di.setBlock(block);
    }
    di.seek(internalKey);
    const found = di.valid();
    if (found) {
      const key = di.key();
      e.keyData = key;
      e.keyStart = 0;
      e.keyEnd = key.length;
      e.valueData = di.blockData;
      e.valueStart = di.valueStart;
      e.valueEnd = di.valueEnd;
    }
    if (block.pooled) di.setBlock(EMPTY_BLOCK);
    return found ? e : undefined;
  }

  /** decodeLookup gives a cached block its SortedKeys and charges the cache for them. */
  private decodeLookup(block: Block): void {
    const sk = SortedKeys.fromBlock(block, this.cmp, true);
    block.lookup = sk;
    this.blockCache!.recharge(block, block.size + sk.bytes);
  }

  /**
   * iterator returns an iterator over every entry of the table; `onClose` runs when it is closed (the
   * table cache releases its hold on the table then).
   */
  iterator(opts?: TableReadOptions, onClose: (() => void) | null = null): InternalIterator {
    if (this.closed) throw new ClosedError(`table ${this.fileName} is closed`);
    const verify = opts?.verifyChecksums ?? this.verifyChecksums;
    return new TableIterator(this, this.cmp, verify, opts?.fillCache ?? true, onClose);
  }

  /** findBlock returns the first block whose index key is >= `target` (BlockSource). @internal */
  findBlock(target: Uint8Array): number {
    return this.index.keys.lowerBound(target);
  }

  /** dataBlock returns data block `n` for an iterator (BlockSource). @internal */
  dataBlock(n: number, verify: boolean, fillCache: boolean, alloc: (n: number) => Uint8Array): Block {
    if (this.closed) throw new ClosedError(`table ${this.fileName} is closed`);
    return this.loadBlock(n, this.index.offsets[n]!, this.index.sizes[n]!, verify, fillCache, false, alloc);
  }

  /**
   * approximateOffsetOf returns the file offset of the data block that would hold `internalKey`; for keys
   * past the last one, the offset of the metaindex block (about the size of the data).
   */
  approximateOffsetOf(internalKey: Uint8Array): number {
    if (this.closed) throw new ClosedError(`table ${this.fileName} is closed`);
    const ii = this.getIndexIter;
    ii.seek(internalKey);
    if (ii.valid()) {
      const h = this.handle;
      if (decodeBlockHandleInto(ii.blockData, ii.valueStart, ii.valueEnd, h)) return h.offset;
      // A bad handle in the index: fall back to the end of the data, as LevelDB does.
    }
    return this.metaindexOffset;
  }

  /** close closes the file. The table must not be used afterwards. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.getIndexIter.close();
    this.getDataIter = null;
    this.getBlock = null;
    this.blockCache?.forget(this.cached);
    this.file.close();
  }

  /**
   * loadBlock returns data block number `n` at (offset, size): from the cache, or read (and maybe cached).
   * n = -1 bypasses the cache. A missed block enters the cache when BlockCache.admit says so. For a point
   * read (`forGet`), a block the cache does not admit is decoded into the point-read scratch: no memory to
   * allocate and collect for a block read once; for an iterator, into memory from its `unkept` allocator.
   */
  private loadBlock(
    n: number,
    offset: number,
    size: number,
    verify: boolean,
    fillCache: boolean,
    forGet = false,
    unkept: (n: number) => Uint8Array = blockMemory,
  ): Block {
    if (offset + size + BLOCK_TRAILER_SIZE > this.dataEnd) {
      throw new CorruptionError('block handle points past the data blocks', this.fileName, offset);
    }
    const cache = this.blockCache;
    this.loadHit = false;
    if (cache === null || n < 0)
      return this.readBlock(n, offset, size, verify, fillCache, forGet ? scratchMemory : unkept);
    let block = this.cached[n];
    this.loadHit = block !== undefined;
    // Read again: the block has earned memory of its own (a slab is best left to blocks read once).
    if (block !== undefined) {
      this.counters.blockCacheHits++;
      block.referenced = true;
      block.adopt();
    } else {
      this.counters.blockCacheMisses++;
      const keep = fillCache && cache.admit(this.missCounts, n, size);
      block = this.readBlock(
        n,
        offset,
        size,
        verify,
        fillCache,
        keep ? blockMemory : forGet ? scratchMemory : unkept,
      );
      if (keep) cache.insert(this.cached, this.missCounts, n, block, block.size);
    }
    return block;
  }

  /**
   * readBlock decodes data block number `n` (-1: unknown) from the compressed block cache, or reads it from the
   * file (and keeps its verified bytes there when `fillCache`).
   */
  private readBlock(
    n: number,
    offset: number,
    size: number,
    verify: boolean,
    fillCache: boolean,
    alloc: (n: number) => Uint8Array,
  ): Block {
    const counters = this.counters;
    try {
      const fc = this.compressedBlockCache;
      const slots = this.inCompressedCache;
      let raw: Uint8Array;
      // Only verified bytes enter the compressed block cache, so what it returns needs no second check.
      if (fc !== null && n >= 0 && fc.copyOut(slots!, n, size + 1, (raw = rawBlockBuffer(size + 1)))) {
        counters.compressedCacheHits++;
      } else {
        counters.blockReads++;
        counters.bytesRead += size + BLOCK_TRAILER_SIZE;
        raw = readRawBlock(this.file, offset, size, verify, this.fileName);
        if (fc !== null && n >= 0 && verify && fillCache) fc.insert(slots!, n, raw.subarray(0, size + 1));
      }
      const contents = decodeRawBlock(raw, size, this.fileName, offset, alloc);
      const block = new Block(contents.data, this.fileName, offset);
      block.pooled = contents.pooled;
      block.scratch = inScratch(contents.data);
      return block;
    } catch (err) {
      if (err instanceof ShaleError) throw err;
      throw new CorruptionError(`cannot read block: ${String(err)}`, this.fileName, offset, { cause: err });
    }
  }
}

/** checkHandle throws unless the block `h` (with its trailer) lies before `limit`. */
function checkHandle(h: BlockHandle, limit: number, fileName: string): void {
  if (h.offset + h.size + BLOCK_TRAILER_SIZE > limit) {
    throw new CorruptionError('block handle in footer points past the end of the table', fileName, h.offset);
  }
}

/** DecodedIndex is an index block as arrays: the separator keys, and each entry's block handle. */
interface DecodedIndex {
  readonly keys: SortedKeys;
  readonly offsets: Float64Array;
  readonly sizes: Float64Array;
}

function decodeIndex(index: Block, cmp: InternalKeyComparator, fileName: string): DecodedIndex {
  const it = new BlockIterator(index, cmp);
  const offsets: number[] = [];
  const sizes: number[] = [];
  const h = { offset: 0, size: 0, end: 0 };
  for (it.seekToFirst(); it.valid(); it.next()) {
    if (!decodeBlockHandleInto(it.blockData, it.valueStart, it.valueEnd, h)) {
      throw new CorruptionError('bad block handle in index', fileName, index.blockOffset);
    }
    offsets.push(h.offset);
    sizes.push(h.size);
  }
  return {
    keys: SortedKeys.fromBlock(index, cmp, false),
    offsets: Float64Array.from(offsets),
    sizes: Float64Array.from(sizes),
  };
}

/** checkIndex (paranoid) verifies the index keys increase and every handle lies in the data area. */
function checkIndex(index: Block, cmp: InternalKeyComparator, dataEnd: number, fileName: string): void {
  const it = new BlockIterator(index, cmp);
  const h = { offset: 0, size: 0, end: 0 };
  let prev: Uint8Array | null = null;
  let prevEnd = 0;
  for (it.seekToFirst(); it.valid(); it.next()) {
    const k = it.key();
    if (prev !== null && cmp.compare(prev, k) >= 0) {
      throw new CorruptionError('index block keys out of order', fileName, index.blockOffset);
    }
    prev = k.slice();
    if (
      !decodeBlockHandleInto(it.blockData, it.valueStart, it.valueEnd, h) ||
      h.offset < prevEnd ||
      h.offset + h.size + BLOCK_TRAILER_SIZE > dataEnd
    ) {
      throw new CorruptionError('bad block handle in index', fileName, index.blockOffset);
    }
    prevEnd = h.offset + h.size + BLOCK_TRAILER_SIZE;
  }
}

/**
 * readFilter finds `filter.<policy name>` in the metaindex and loads that filter block. Any problem
 * (unreadable metaindex, bad handle, bad CRC) yields null: the table works without its filter.
 */
function readFilter(
  file: RandomAccessFile,
  metaindexHandle: BlockHandle,
  policy: FilterPolicy,
  verify: boolean,
  fileName: string,
  limit: number,
): FilterBlockReader | null {
  try {
    const meta = new Block(
      readBlockAt(file, metaindexHandle.offset, metaindexHandle.size, verify, fileName).data,
      fileName,
      metaindexHandle.offset,
    );
    const it = new BlockIterator(meta, bytewiseComparator);
    const name = utf8(FILTER_META_PREFIX + policy.name);
    it.seek(name);
    if (!it.valid() || bytewiseComparator.compare(it.key(), name) !== 0) return null;
    const h = { offset: 0, size: 0, end: 0 };
    if (!decodeBlockHandleInto(it.blockData, it.valueStart, it.valueEnd, h)) return null;
    if (h.offset + h.size + BLOCK_TRAILER_SIZE > limit) return null;
    const contents = readBlockAt(file, h.offset, h.size, verify, fileName);
    return new FilterBlockReader(policy, contents.data);
  } catch (err) {
    // As LevelDB's ReadMeta: the table is usable without its filter. I/O errors are real failures.
    if (err instanceof ShaleError && !(err instanceof IOError)) return null;
    throw err;
  }
}
