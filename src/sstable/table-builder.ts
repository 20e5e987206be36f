/**
 * TableBuilder writes a sorted table (LevelDB table/table_builder.cc) in LevelDB's format, so LevelDB
 * reads shale's tables: data blocks, the filter block, the metaindex, the index and the footer.
 * See leveldb-format.md §6 and §7.
 */
import type { WritableFile } from '../env/file-system.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { FilterPolicy } from './filter-policy.js';
import { encodeFixed32 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc } from '../util/crc32c.js';
import { InvalidArgumentError } from '../util/errors.js';
import { copyRange, utf8, escapeBytes } from '../util/bytes.js';
import { TAG_SIZE } from '../memtable/internal-key.js';
import { BlockBuilder } from './block-builder.js';
import { CompressionType, compressBlock } from './compression.js';
import { FilterBlockBuilder } from './filter-block.js';
import {
  BLOCK_TRAILER_SIZE,
  BlockHandle,
  Footer,
  MAX_BLOCK_HANDLE_LENGTH,
  encodeBlockHandle,
} from './format.js';

/** FILTER_META_PREFIX prefixes the policy name in the metaindex key of a filter block. */
export const FILTER_META_PREFIX = 'filter.'; // FROZEN: on-disk

// Expensive order checks run only with SHALE_INVARIANTS=1 (on in tests).
const INVARIANTS = typeof process !== 'undefined' && process.env?.SHALE_INVARIANTS === '1';

/** TableBuilderOptions configure the layout of a new table. */
export interface TableBuilderOptions {
  /** comparator orders the internal keys; it also shortens index separators. */
  readonly comparator: InternalKeyComparator;
  /** blockSize is the uncompressed size at which a data block is cut (LevelDB default 4096). */
  readonly blockSize: number;
  /** blockRestartInterval is the number of keys between restart points in data blocks (default 16). */
  readonly blockRestartInterval: number;
  /** compression is the codec tried on each block; kept only when it saves more than 1/8. */
  readonly compression: CompressionType;
  /** filterPolicy builds a filter over the user keys, or null for no filter block. */
  readonly filterPolicy: FilterPolicy | null;
}

/**
 * TableBuilder streams entries into a table file. Usage: `add()` entries in increasing internal-key
 * order, then `finish()` (or `abandon()`). The builder does not sync or close the file.
 *
 * After any method throws (an I/O error from the file, a bad argument), the builder is unusable and
 * every further call rethrows that error.
 */
export class TableBuilder {
  private readonly dataBlock: BlockBuilder;
  private readonly indexBlock: BlockBuilder;
  private readonly filterBlock: FilterBlockBuilder | null;
  private readonly cmp: InternalKeyComparator;
  private offset = 0;
  private entries = 0;
  private closed = false;
  private failed: unknown = null;
  private lastKey = new Uint8Array(64);
  private lastKeyLen = 0;
  // Set after a data block is written; its index entry waits for the next key (for a short separator).
  private pendingIndexEntry = false;
  private pendingOffset = 0;
  private pendingSize = 0;
  private readonly handleBuf = new Uint8Array(MAX_BLOCK_HANDLE_LENGTH);
  private readonly trailer = new Uint8Array(BLOCK_TRAILER_SIZE);

  constructor(
    private readonly options: TableBuilderOptions,
    private readonly file: WritableFile,
  ) {
    if (!(options.blockSize >= 1))
      throw new InvalidArgumentError(`blockSize must be >= 1, got ${options.blockSize}`);
    if (
      options.compression !== CompressionType.NONE &&
      options.compression !== CompressionType.SNAPPY &&
      options.compression !== CompressionType.ZSTD
    ) {
      throw new InvalidArgumentError(`compression type ${options.compression} cannot be written`);
    }
    this.cmp = options.comparator;
    this.dataBlock = new BlockBuilder(options.blockRestartInterval, options.blockSize + 1024);
    this.indexBlock = new BlockBuilder(1, 1024);
    this.filterBlock = options.filterPolicy === null ? null : new FilterBlockBuilder(options.filterPolicy);
    this.filterBlock?.startBlock(0);
  }

  /** numEntries is the number of add() calls so far. */
  get numEntries(): number {
    return this.entries;
  }

  /** fileSize is the size of the file written so far; after finish(), the final table size. */
  get fileSize(): number {
    return this.offset;
  }

  /**
   * add appends an entry. Requires: `internalKey` is larger than every key added before (checked when
   * SHALE_INVARIANTS=1), and finish()/abandon() were not called. The key and value are copied.
   */
  add(internalKey: Uint8Array, value: Uint8Array): void {
    this.checkOpen();
    try {
      if (INVARIANTS) this.checkOrder(internalKey);
      if (this.pendingIndexEntry) {
        const sep = this.cmp.findShortestSeparator(this.lastKey.subarray(0, this.lastKeyLen), internalKey);
        this.addIndexEntry(sep);
      }
      this.filterBlock?.addKey(internalKey, internalKey.length - TAG_SIZE);
      this.setLastKey(internalKey);
      this.entries++;
      this.dataBlock.add(internalKey, value);
      if (this.dataBlock.currentSizeEstimate() >= this.options.blockSize) this.flushDataBlock();
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /**
   * flush writes the pending data block now, even if it is smaller than blockSize (so two keys end up in
   * different blocks). Rarely needed: add() flushes at blockSize.
   */
  flush(): void {
    this.checkOpen();
    try {
      this.flushDataBlock();
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /**
   * finish writes the last data block, the filter, metaindex and index blocks and the footer; returns the
   * file size. The file is neither synced nor closed.
   */
  finish(): number {
    this.checkOpen();
    try {
      this.flushDataBlock();
      this.closed = true;

      let filterHandle: BlockHandle | null = null;
      if (this.filterBlock !== null) {
        // Filter blocks are always stored uncompressed.
        filterHandle = this.writeRawBlock(this.filterBlock.finish(), CompressionType.NONE);
      }

      const meta = new BlockBuilder(this.options.blockRestartInterval, 256);
      if (filterHandle !== null) {
        meta.add(utf8(FILTER_META_PREFIX + this.options.filterPolicy!.name), filterHandle.encode());
      }
      const metaindexHandle = this.writeBlock(meta);

      if (this.pendingIndexEntry) {
        this.addIndexEntry(this.cmp.findShortSuccessor(this.lastKey.subarray(0, this.lastKeyLen)));
      }
      const indexHandle = this.writeBlock(this.indexBlock);

      const footer = new Footer(metaindexHandle, indexHandle).encode();
      this.file.append(footer);
      this.offset += footer.length;
      return this.offset;
    } catch (err) {
      this.failed = err;
      this.closed = true;
      throw err;
    }
  }

  /** abandon gives up on the table: nothing more is written. The caller removes the file. */
  abandon(): void {
    this.checkOpen();
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.failed !== null) throw this.failed;
    if (this.closed) throw new InvalidArgumentError('TableBuilder used after finish() or abandon()');
  }

  private checkOrder(key: Uint8Array): void {
    if (key.length < TAG_SIZE) throw new InvalidArgumentError('internal key shorter than its 8-byte tag');
    if (this.entries > 0 && this.cmp.compare(key, this.lastKey.subarray(0, this.lastKeyLen)) <= 0) {
      throw new InvalidArgumentError(
        `table keys out of order: ${escapeBytes(key)} after ${escapeBytes(this.lastKey.subarray(0, this.lastKeyLen))}`,
      );
    }
  }

  /** lastKeyCopy returns a copy of the last key added (the table's largest key). Requires: entries > 0. */
  lastKeyCopy(): Uint8Array {
    return this.lastKey.slice(0, this.lastKeyLen);
  }

  private setLastKey(key: Uint8Array): void {
    if (key.length > this.lastKey.length)
      this.lastKey = new Uint8Array(Math.max(key.length, this.lastKey.length * 2));
    copyRange(this.lastKey, 0, key, 0, key.length);
    this.lastKeyLen = key.length;
  }

  private addIndexEntry(separator: Uint8Array): void {
    const n = encodeBlockHandle(this.handleBuf, 0, this.pendingOffset, this.pendingSize);
    this.indexBlock.add(separator, this.handleBuf.subarray(0, n));
    this.pendingIndexEntry = false;
  }

  private flushDataBlock(): void {
    if (this.dataBlock.empty) return;
    const h = this.writeBlock(this.dataBlock);
    this.pendingOffset = h.offset;
    this.pendingSize = h.size;
    this.pendingIndexEntry = true;
    this.filterBlock?.startBlock(this.offset);
  }

  /** writeBlock finishes `block`, compresses it if that pays, writes it and resets the builder. */
  private writeBlock(block: BlockBuilder): BlockHandle {
    const raw = block.finish();
    let contents = raw;
    let type: CompressionType = CompressionType.NONE;
    if (this.options.compression !== CompressionType.NONE) {
      const compressed = compressBlock(this.options.compression, raw);
      if (compressed.length < raw.length - Math.floor(raw.length / 8)) {
        contents = compressed;
        type = this.options.compression;
      }
    }
    const handle = this.writeRawBlock(contents, type);
    block.reset();
    return handle;
  }

  /**
   * writeRawBlock appends `contents`, then its trailer. Tables are written through a
   * BufferedWritableFile, so the two appends are two copies into its buffer, and `contents` (possibly
   * the compressor's output in WebAssembly memory) is CRC'd and copied where it lies.
   */
  private writeRawBlock(contents: Uint8Array, type: CompressionType): BlockHandle {
    const n = contents.length;
    const trailer = this.trailer;
    trailer[0] = type;
    encodeFixed32(trailer, 1, maskCrc(crc32cExtend(crc32c(contents, 0, n), trailer, 0, 1)));
    const handle = new BlockHandle(this.offset, n);
    this.file.append(contents);
    this.file.append(trailer);
    this.offset += n + BLOCK_TRAILER_SIZE;
    return handle;
  }
}
