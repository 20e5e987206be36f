/**
 * TableCache keeps up to `capacity` tables open (LevelDB db/table_cache.cc), bounded by maxOpenFiles.
 * A table leaves the cache when evicted, but its file closes only once no iterator still uses it.
 */
import type { FileSystem } from '../env/file-system.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { FilterPolicy } from '../sstable/filter-policy.js';
import type { BlockCache } from '../sstable/block-cache.js';
import type { CompressedBlockCache } from '../sstable/compressed-block-cache.js';
import { DISCARDED_COUNTERS, type ReadCounters } from '../sstable/read-counters.js';
import { Table, type TableEntry } from '../sstable/table.js';
import { TAG_SIZE } from '../memtable/internal-key.js';
import { LruCache } from '../util/lru-cache.js';
import { CorruptionError, IOError, ShaleError, toIOError } from '../util/errors.js';
import { sstTableFileName, tableFileName } from './file-names.js';

/** TableReadOptions are the per-read knobs a table honours. */
export interface TableReadOptions {
  readonly verifyChecksums?: boolean;
  readonly fillCache?: boolean;
}

/** TableCacheOptions configure how tables are opened. */
export interface TableCacheOptions {
  readonly comparator: InternalKeyComparator;
  readonly filterPolicy: FilterPolicy | null;
  readonly blockCache: BlockCache | null;
  /** compressedBlockCache: verified file bytes of data blocks, read instead of the file (null: none). */
  readonly compressedBlockCache?: CompressedBlockCache | null;
  readonly verifyChecksums: boolean;
  readonly paranoidChecks: boolean;
  /** counters receive table cache hits and misses and every table's read events (default: discarded). */
  readonly counters?: ReadCounters;
}

class Handle {
  refs = 1; // the cache's own reference
  /** release drops an iterator's reference (one function per table, not one closure per iterator). */
  readonly release = (): void => this.unref();
  constructor(readonly table: Table) {}
  unref(): void {
    if (--this.refs === 0) this.table.close();
  }
}

/** TableCache opens and caches Table readers by file number. */
export class TableCache {
  private readonly cache: LruCache<number, Handle>;
  private readonly counters: ReadCounters;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly options: TableCacheOptions,
    capacity: number,
  ) {
    this.cache = new LruCache<number, Handle>(Math.max(1, capacity), (_k, h) => h.unref());
    this.counters = options.counters ?? DISCARDED_COUNTERS;
  }

  private open(fileNumber: number, fileSize: number): Handle {
    const cached = this.cache.get(fileNumber);
    if (cached !== undefined) {
      this.counters.tableCacheHits++;
      return cached;
    }
    this.counters.tableCacheMisses++;
    let path = tableFileName(this.dir, fileNumber);
    let file;
    try {
      file = this.fs.openRandomAccess(path);
    } catch (err) {
      if (!(err instanceof IOError && err.errno === 'ENOENT')) throw err;
      const legacy = sstTableFileName(this.dir, fileNumber);
      try {
        file = this.fs.openRandomAccess(legacy);
        path = legacy;
      } catch {
        throw new CorruptionError(`table file ${fileNumber} is missing`, path, undefined, { cause: err });
      }
    }
    try {
      if (file.size !== fileSize) {
        throw new CorruptionError(
          `table file size ${file.size} differs from the MANIFEST's ${fileSize}`,
          path,
        );
      }
      const table = Table.open(file, fileSize, {
        comparator: this.options.comparator,
        filterPolicy: this.options.filterPolicy,
        blockCache: this.options.blockCache,
        compressedBlockCache: this.options.compressedBlockCache ?? null,
        fileName: path,
        verifyChecksums: this.options.verifyChecksums,
        paranoidChecks: this.options.paranoidChecks,
        counters: this.counters,
      });
      const handle = new Handle(table);
      this.cache.set(fileNumber, handle);
      return handle;
    } catch (err) {
      file.close();
      throw err instanceof ShaleError ? err : toIOError(err, path);
    }
  }

  /**
   * get returns the first entry >= `ikey` in the table, or undefined (a bloom miss or past the end). The
   * entry is reused by the table's next get.
   */
  get(
    fileNumber: number,
    fileSize: number,
    ikey: Uint8Array,
    opts?: TableReadOptions,
    keyHash?: number,
  ): TableEntry | undefined {
    return this.open(fileNumber, fileSize).table.get(ikey, opts, keyHash);
  }

  /** keyHash returns the filter policy's hash of the user key in `ikey` (once per lookup), if it has one. */
  keyHash(ikey: Uint8Array): number | undefined {
    const policy = this.options.filterPolicy;
    return policy?.hashKey === undefined ? undefined : policy.hashKey(ikey, 0, ikey.length - TAG_SIZE);
  }

  /** iterator returns an iterator over a table that keeps the table open until closed. */
  iterator(fileNumber: number, fileSize: number, opts?: TableReadOptions): InternalIterator {
    const handle = this.open(fileNumber, fileSize);
    const it = handle.table.iterator(opts, handle.release);
    handle.refs++;
    return it;
  }

  /** approximateOffsetOf returns where `ikey` would sit in the table's file. */
  approximateOffsetOf(fileNumber: number, fileSize: number, ikey: Uint8Array): number {
    return this.open(fileNumber, fileSize).table.approximateOffsetOf(ikey);
  }

  /** evict drops a table (its file was deleted). */
  evict(fileNumber: number): void {
    this.cache.delete(fileNumber);
  }

  /** openCount is the number of tables held open by the cache. */
  get openCount(): number {
    return this.cache.size;
  }

  /** close drops every cached table. */
  close(): void {
    this.cache.clear();
  }
}
