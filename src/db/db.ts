/**
 * DB: the engine's front door (LevelDB db/db_impl.cc). It checks each call's input, then hands the work to
 * the part that owns it:
 * - open.ts: recovery at open (CURRENT, MANIFEST, WAL replay);
 * - commit-pipeline.ts: every write (sequence numbers, WAL, memtable; group commit);
 * - write-stall.ts: room in the memtable, back-pressure, memtable switches;
 * - background-work.ts: flush and compaction scheduling and their results;
 * - obsolete-files.ts: deleting files nothing refers to;
 * - memtables.ts, live-log.ts, db-status.ts: the state they share.
 * Reads (get, iterators) are short enough to live here.
 *
 * Threading: everything here runs on the main thread. Reads and writes are synchronous; operations that
 * wait for background work return Promises.
 */
import { join } from 'node:path';
import type { FileLock, FileSystem } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import { InternalKeyComparator, TYPE_VALUE_POINTER, typeOf } from '../memtable/internal-key.js';
import { BloomFilterPolicy } from '../sstable/bloom.js';
import { BlockCache } from '../sstable/block-cache.js';
import { CompressedBlockCache } from '../sstable/compressed-block-cache.js';
import { MergingIterator } from '../sstable/merging-iterator.js';
import type { TableBuilderOptions } from '../sstable/table-builder.js';
import { TableCache } from '../version/table-cache.js';
import { VersionSet } from '../version/version-set.js';
import type { Version } from '../version/version.js';
import { NUM_LEVELS, VersionEdit } from '../version/version-edit.js';
import { LevelIterator } from '../version/level-iterator.js';
import { currentFileName, lockFileName, parseFileName } from '../version/file-names.js';
import { InlineJobRunner, WorkerJobRunner, type JobRunner } from '../compaction/job-runner.js';
import { bytewiseComparator } from '../util/comparator.js';
import { toBytes } from '../util/bytes.js';
import { COPY_BYTES, type ValueCopier } from './value-copier.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import {
  ClosedError,
  CorruptionError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
} from '../util/errors.js';
import { ValueLogReader } from '../vlog/value-log-reader.js';
import { decodePointer, type ValuePointer } from '../vlog/value-pointer.js';
import { ValueLogGc, liveRatio, type GarbageCollectionReport } from './value-log-gc.js';
import { ensureZstd } from '../sstable/zstd.js';
import { resolveOptions, valueLogSettings, type Options, type ResolvedOptions } from './options.js';
import { WriteBatch } from './write-batch.js';
import { DBIterator } from './db-iterator.js';
import { Iterator } from './iterator.js';
import { Snapshot, SnapshotList } from './snapshot.js';
import { repairDB, type RepairReport } from './repair.js';
import { getProperty } from './properties.js';
import { LevelStats } from './level-stats.js';
import {
  checkIteratorOptions,
  syncOption,
  type IteratorOptions,
  type ProgressOptions,
  type ReadOptions,
  type WriteOptions,
} from './call-options.js';
import { DBStatus } from './db-status.js';
import { MemTables } from './memtables.js';
import type { LiveLog } from './live-log.js';
import { MeteredLiveLog } from './metered-live-log.js';
import { EngineMetrics, GET_SAMPLE } from './engine-metrics.js';
import { collectMetrics, type Metrics } from './metrics.js';
import { prometheusText, type PrometheusTextOptions } from './prometheus-text.js';
import { ObsoleteFiles } from './obsolete-files.js';
import { BackgroundWork } from './background-work.js';
import { WriteStall } from './write-stall.js';
import { CommitPipeline } from './commit-pipeline.js';
import { recoverDatabase } from './open.js';
import { verifyDatabase, type VerifyReport } from './verify.js';
import { writeCheckpoint, type CheckpointReport } from './checkpoint.js';
import { WriteTimeValues } from './write-time-values.js';
import { segmentFileName } from '../vlog/vlog-format.js';
import { catchUp as catchUpSecondary, evictUnusedTables, type CatchUpContext } from './secondary.js';
import {
  Transaction,
  isRetryable,
  type TransactOptions,
  type TransactionOptions,
} from '../txn/transaction.js';
import { LockManager } from '../txn/lock-manager.js';

/** SAMPLE_MASK: a get or write is timed when its count is a multiple of GET_SAMPLE. */
const SAMPLE_MASK = GET_SAMPLE - 1;

export type { WriteOptions, ReadOptions, IteratorOptions, ProgressOptions } from './call-options.js';

/** DB is an open database. */
export class DB {
  /** @internal */ readonly opts: ResolvedOptions;
  /** @internal */ readonly icmp: InternalKeyComparator;
  /** @internal */ readonly versions: VersionSet;
  /** @internal */ readonly tableCache: TableCache;
  /** @internal */ readonly blockCache: BlockCache | null;
  /** @internal */ readonly compressedBlockCache: CompressedBlockCache | null;
  /** @internal */ readonly stats = new LevelStats(NUM_LEVELS);
  /** @internal */ readonly meter = new EngineMetrics(NUM_LEVELS);
  /** @internal */ readonly status = new DBStatus();
  /** @internal */ readonly memtables: MemTables;
  /** @internal */ readonly snapshots = new SnapshotList();
  /** @internal */ readonly pipeline: CommitPipeline;
  /** @internal */ readonly locks = new LockManager();
  private readonly walDir: string;
  private readonly log: LiveLog;
  private readonly iterators = new Set<DBIterator>();
  private closePromise: Promise<void> | null = null;
  /** secondaryTables: a secondary instance's open tables (secondary.ts); null for other opens. */
  private secondaryTables: Set<number> | null = null;
  private readonly runner: JobRunner;
  private readonly work: BackgroundWork;
  private readonly stall: WriteStall;
  private readonly obsolete: ObsoleteFiles;
  /** @internal */ readonly tableBuilderOptions: TableBuilderOptions;
  /** writeValues: write-time value separation's open segment (null: values separated at flush). */
  private readonly writeValues: WriteTimeValues | null;
  /** valueLog follows value pointers (null: the value log is off). @internal */
  readonly valueLog: ValueLogReader | null;
  /** gc: value-log garbage collection (null: the value log is off). @internal */
  readonly gc: ValueLogGc | null;
  private gcScheduled = false;

  private constructor(
    readonly location: string,
    private readonly fs: FileSystem,
    options: ResolvedOptions,
    private readonly lock: FileLock,
  ) {
    this.opts = options;
    this.icmp = new InternalKeyComparator(options.comparator);
    this.walDir = options.walDir ?? location;
    const filterPolicy = options.bloomBitsPerKey > 0 ? new BloomFilterPolicy(options.bloomBitsPerKey) : null;
    this.blockCache = options.blockCacheSize > 0 ? new BlockCache(options.blockCacheSize) : null;
    this.compressedBlockCache =
      options.compressedBlockCacheSize > 0
        ? new CompressedBlockCache(options.compressedBlockCacheSize)
        : null;
    this.tableCache = new TableCache(
      fs,
      location,
      {
        comparator: this.icmp,
        filterPolicy,
        blockCache: this.blockCache,
        compressedBlockCache: this.compressedBlockCache,
        verifyChecksums: options.verifyChecksums || options.paranoidChecks,
        paranoidChecks: options.paranoidChecks,
        counters: this.meter.read,
      },
      options.maxOpenFiles - 10,
    );
    this.versions = new VersionSet(fs, location, this.icmp, {
      maxManifestFileSize: options.maxManifestFileSize,
      level1MaxBytes: options.level1MaxBytes,
      l0CompactionTrigger: options.l0CompactionTrigger,
    });
    this.tableBuilderOptions = {
      comparator: this.icmp,
      blockSize: options.blockSize,
      blockRestartInterval: options.blockRestartInterval,
      compression: options.compression,
      filterPolicy,
    };
    const inline =
      options.backgroundJobs === 'inline' ||
      !(fs instanceof NodeFileSystem) ||
      options.comparator !== bytewiseComparator ||
      options.compactionFilterFactory !== undefined;
    this.runner = inline
      ? new InlineJobRunner(fs, this.icmp, this.versions.fileCounter)
      : new WorkerJobRunner(fs, this.icmp, this.versions.fileCounter);
    // A key filter of 1 bit per 8 bytes of write buffer: ~17 bits per key for 100-byte values.
    this.memtables = new MemTables(
      this.icmp,
      Math.min(16 << 20, Math.max(1024, options.writeBufferSize / 64)),
    );
    this.log = new MeteredLiveLog(
      fs,
      this.walDir,
      this.meter,
      (err) => this.status.setBackgroundError(err),
      options.syncOnCaller,
      options.walPreallocateSize,
    );
    this.work = new BackgroundWork({
      location,
      opts: options,
      versions: this.versions,
      memtables: this.memtables,
      log: this.log,
      runner: this.runner,
      snapshots: this.snapshots,
      stats: this.stats,
      metrics: this.meter,
      status: this.status,
      tableSettings: {
        blockSize: options.blockSize,
        blockRestartInterval: options.blockRestartInterval,
        compression: options.compression,
        bloomBitsPerKey: options.bloomBitsPerKey,
      },
      pickerOptions: { maxFileSize: options.maxFileSize },
    });
    this.obsolete = new ObsoleteFiles(
      fs,
      location,
      this.walDir,
      this.versions,
      this.tableCache,
      this.status,
      () => this.work.outputFloor(),
    );
    this.work.obsolete = this.obsolete;
    this.valueLog =
      options.valueLog === null ? null : new ValueLogReader(fs, location, options.valueLog.cacheSize);
    this.obsolete.onSegmentRemoved = (n) => this.valueLog?.forget(n);
    this.gc =
      options.valueLog === null
        ? null
        : new ValueLogGc({
            fs,
            dir: location,
            versions: this.versions,
            snapshots: this.snapshots,
            currentPointer: (k) => this.currentPointer(k),
            write: (b) => this.write(b),
            flush: () => this.flush(),
            checkWritable: () => this.status.checkWritable(),
            afterDrop: () => this.obsolete.deleteObsoleteFiles(),
          });
    if (options.valueLog?.backgroundGc === true) this.work.onGarbage = () => this.scheduleBackgroundGc();
    const vlog = valueLogSettings(options);
    this.writeValues =
      vlog === null || options.valueLog!.separateAt !== 'write' || options.readOnly || options.secondary
        ? null
        : new WriteTimeValues(fs, location, this.versions, vlog);
    if (this.writeValues !== null) this.log.companion = this.writeValues;
    this.stall = new WriteStall(
      options,
      this.versions,
      this.memtables,
      this.log,
      this.runner,
      this.work,
      this.status,
      this.meter,
      this.writeValues,
    );
    this.pipeline = new CommitPipeline(
      this.versions,
      this.memtables,
      this.log,
      this.stall,
      this.stats,
      this.status,
      this.writeValues,
    );
  }

  /** backgroundJobs tells where flushes and compactions run ('worker' or 'inline'; see Options). */
  get backgroundJobs(): 'worker' | 'inline' {
    return this.runner.kind;
  }

  /** @internal */
  get mem(): import('../memtable/memtable.js').MemTable {
    return this.memtables.mem;
  }

  /** imms: the immutable memtables, newest first. @internal */
  get imms(): import('../memtable/memtable.js').MemTable[] {
    return this.memtables.all().slice(1);
  }

  /** stallMicros counts the time synchronous writers spent delayed or waiting on background work. */
  get stallMicros(): number {
    return this.stall.stallMicros;
  }

  /**
   * open opens (or creates) the database in `location`. Rejects with a typed error: LockedError when
   * another holder has it, NotFoundError when it is missing and createIfMissing is false,
   * InvalidArgumentError when it exists and errorIfExists is true, CorruptionError on damage.
   */
  static async open(location: string, options: Options = {}): Promise<DB> {
    if (typeof location !== 'string' || location.length === 0) {
      throw new InvalidArgumentError('location must be a non-empty string');
    }
    const opts = resolveOptions(options);
    const fs = options.fs ?? new NodeFileSystem();
    // Loaded at every open (once per process, ~10 ms): tables written by upstream LevelDB may use zstd.
    await ensureZstd();
    if (opts.secondary) return DB.openSecondaryInstance(location, fs, opts);
    if (opts.readOnly) return DB.openReadOnly(location, fs, opts);
    if (!fs.exists(location)) {
      if (!opts.createIfMissing) {
        throw new NotFoundError(`${location} does not exist (createIfMissing is false)`);
      }
      fs.mkdir(location);
    }
    if (opts.walDir !== undefined) fs.mkdir(opts.walDir);
    const lock = await fs.lock(lockFileName(location));
    const db = new DB(location, fs, opts, lock);
    try {
      recoverDatabase(db.recoveryContext());
    } catch (err) {
      db.abandon();
      throw err;
    }
    return db;
  }

  /**
   * openSecondary opens the database in `location` as a secondary instance (RocksDB's): read-only, no
   * lock, nothing written, renamed or deleted there, beside a primary writing in another process (or
   * this one). It sees the state at open; `catchUp()` brings it up to the primary's newer writes. Every
   * table it reads stays open while it may need it, so the primary's compactions deleting them do not
   * take them away (see src/db/secondary.ts). Same as DB.open(location, { ...options, secondary: true }).
   */
  static openSecondary(location: string, options: Options = {}): Promise<DB> {
    return DB.open(location, { ...options, secondary: true });
  }

  /**
   * catchUp (secondary instances only) reads the primary's newer MANIFEST edits and log records and
   * makes them visible: afterwards reads see the state after some prefix of the primary's acknowledged
   * writes, at least those acknowledged before the call (written to the OS: a write is in the primary's
   * log before it returns). Iterators opened before keep their view. Resolves to the sequence number of
   * the newest write now visible, and how many times it read the primary's state (more than once when
   * it raced the primary switching its MANIFEST or deleting logs). NotSupportedError on a database not opened as a secondary.
   */
  async catchUp(): Promise<{ lastSequence: number; attempts: number }> {
    this.status.checkOpen();
    if (this.secondaryTables === null)
      throw new NotSupportedError('catchUp() needs a secondary instance (DB.openSecondary)');
    const r = await catchUpSecondary(this.catchUpContext());
    return { lastSequence: r.lastSequence, attempts: r.attempts };
  }

  private catchUpContext(): CatchUpContext {
    return {
      fs: this.fs,
      location: this.location,
      walDir: this.walDir,
      opts: this.opts,
      icmp: this.icmp,
      versions: this.versions,
      memtables: this.memtables,
      tableCache: this.tableCache,
      opened: this.secondaryTables!,
    };
  }

  /**
   * openReadOnly: no lock (a writer may hold it), no background work, nothing written or deleted. The
   * live tables are opened at once, so a writer's compaction that unlinks them later does not take
   * them away from this reader (up to maxOpenFiles tables).
   */
  private static openReadOnly(location: string, fs: FileSystem, opts: ResolvedOptions): DB {
    if (!fs.exists(location)) throw new NotFoundError(`${location} does not exist (opened read-only)`);
    const db = new DB(
      location,
      fs,
      { ...opts, backgroundJobs: 'inline' },
      {
        path: lockFileName(location),
        release: () => {},
      },
    );
    db.status.readOnly = true;
    try {
      recoverDatabase(db.recoveryContext());
      const v = db.versions.current;
      for (let level = 0; level < NUM_LEVELS; level++)
        for (const f of v.files[level]!) db.tableCache.iterator(f.number, f.fileSize).close();
      for (const n of v.segments.keys()) db.valueLog?.pin(n);
      // Open segments too: the replayed memtable points into them, and the writer may finish them.
      for (const n of db.versions.activeSegments)
        if (fs.exists(segmentFileName(location, n))) db.valueLog?.pin(n);
    } catch (err) {
      db.abandon();
      throw err;
    }
    return db;
  }

  /**
   * openSecondaryInstance: a read-only open whose state comes from a catch-up (which starts over when
   * it races the primary switching its MANIFEST or deleting files), with every table it reads kept open:
   * its table cache is unbounded (see secondary.ts).
   */
  private static async openSecondaryInstance(
    location: string,
    fs: FileSystem,
    opts: ResolvedOptions,
  ): Promise<DB> {
    if (!fs.exists(currentFileName(location)))
      throw new NotFoundError(
        `${location} does not exist (a secondary open creates nothing): it holds no CURRENT file`,
      );
    const db = new DB(
      location,
      fs,
      { ...opts, backgroundJobs: 'inline', maxOpenFiles: 2 ** 40 },
      { path: lockFileName(location), release: () => {} },
    );
    db.status.readOnly = true;
    db.secondaryTables = new Set();
    try {
      await catchUpSecondary(db.catchUpContext());
    } catch (err) {
      db.abandon();
      throw err;
    }
    return db;
  }

  private recoveryContext(): Parameters<typeof recoverDatabase>[0] {
    return {
      fs: this.fs,
      location: this.location,
      walDir: this.walDir,
      opts: this.opts,
      icmp: this.icmp,
      versions: this.versions,
      memtables: this.memtables,
      log: this.log,
      obsolete: this.obsolete,
      tableBuilderOptions: this.tableBuilderOptions,
    };
  }

  /** destroy deletes the database in `location` (every file shale or LevelDB would own there). */
  static async destroy(location: string, options: { fs?: FileSystem } = {}): Promise<void> {
    const fs = options.fs ?? new NodeFileSystem();
    if (!fs.exists(location)) return;
    const lock = await fs.lock(lockFileName(location));
    try {
      for (const name of fs.list(location)) {
        const parsed = parseFileName(name);
        if (parsed !== undefined && parsed.type !== 'lock') fs.remove(join(location, name));
      }
    } finally {
      lock.release();
    }
    for (const name of ['LOCK', 'LOCK.shale']) {
      if (fs.exists(join(location, name))) fs.remove(join(location, name));
    }
    if (fs.list(location).length === 0) fs.removeDir(location);
  }

  /**
   * repair rebuilds the MANIFEST of the database in `location` from the tables and logs that survive;
   * tables that cannot be read are moved to `lost/` (see src/db/repair.ts). The database must be closed.
   */
  static repair(location: string, options: Options & ProgressOptions = {}): Promise<RepairReport> {
    return repairDB(location, options);
  }

  /**
   * verify checks every checksum of the closed database in `location` (MANIFEST, live tables, the logs
   * recovery would replay) and every batch and key order, changing nothing; see src/db/verify.ts.
   */
  static verify(location: string, options: Options & ProgressOptions = {}): Promise<VerifyReport> {
    return verifyDatabase(location, options);
  }

  /**
   * migrateFromValueLog moves every value of the closed database in `location` back from value-log
   * segments into its tables, deletes the segments and starts a new MANIFEST: afterwards the database
   * opens without the valueLog option and in LevelDB again. Returns how many segments were removed.
   */
  static async migrateFromValueLog(
    location: string,
    options: Options = {},
  ): Promise<{ segmentsRemoved: number }> {
    const valueLog = { ...(options.valueLog ?? {}), mode: 'inline' as const, backgroundGc: false };
    const db = await DB.open(location, { ...options, valueLog, createIfMissing: false });
    try {
      await db.compactRange();
      // Every entry was rewritten with its value inline; check before dropping a segment.
      const it = db.internalIterator({ fillCache: false });
      try {
        for (it.seekToFirst(); it.valid(); it.next()) {
          if (typeOf(it.key()) === TYPE_VALUE_POINTER)
            throw new CorruptionError('a value pointer survived the migration; nothing was removed');
        }
      } finally {
        it.close();
      }
      const edit = new VersionEdit();
      for (const n of db.versions.current.segments.keys()) edit.deletedSegments.add(n);
      db.versions.startNewManifest();
      db.versions.logAndApply(edit);
      db.obsolete.deleteObsoleteFiles();
      return { segmentsRemoved: edit.deletedSegments.size };
    } finally {
      await db.close();
    }
  }

  // ---- writes ----

  /** put sets `key` to `value`. Returns once the write is in the OS (and on disk with `sync`). */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const v = toBytes(value, 'value');
    const sync = syncOption(options);
    this.status.checkWritable();
    const m = this.meter;
    // Counted always, timed once in GET_SAMPLE (engine-metrics.ts): the fast path is an increment and a test.
    if ((++m.writes & SAMPLE_MASK) !== 0) return this.pipeline.put(k, v, sync);
    const t = performance.now();
    this.pipeline.put(k, v, sync);
    m.writeNanos.record((performance.now() - t) * 1e6);
  }

  /** delete removes `key` (a no-op if it is absent). */
  delete(key: Uint8Array | string, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const sync = syncOption(options);
    this.status.checkWritable();
    const m = this.meter;
    if ((++m.writes & SAMPLE_MASK) !== 0) return this.pipeline.delete(k, sync);
    const t = performance.now();
    this.pipeline.delete(k, sync);
    m.writeNanos.record((performance.now() - t) * 1e6);
  }

  /** write applies every operation of `batch` atomically. */
  write(batch: WriteBatch, options?: WriteOptions): void {
    if (!(batch instanceof WriteBatch)) throw new InvalidArgumentError('write() needs a WriteBatch');
    const sync = syncOption(options);
    this.status.checkWritable();
    if (batch.count === 0) return;
    const m = this.meter;
    if ((++m.writes & SAMPLE_MASK) !== 0) return this.pipeline.write(batch, sync);
    const t = performance.now();
    this.pipeline.write(batch, sync);
    m.writeNanos.record((performance.now() - t) * 1e6);
  }

  /**
   * writeAsync applies `batch` atomically, like write(), through a group commit: writes queued while the
   * previous group is being written share one WAL record and, if any of them asked for `sync`, one
   * fsync (which runs off the main thread). The promise settles once the write is in the OS (with
   * `sync`: on disk). Writes become visible to readers when appended, before their fsync completes.
   */
  writeAsync(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    try {
      if (!(batch instanceof WriteBatch)) throw new InvalidArgumentError('writeAsync() needs a WriteBatch');
      const sync = syncOption(options);
      this.status.checkWritable();
      if (batch.count === 0) return Promise.resolve();
      this.meter.asyncWrites++;
      // Unsynced, nothing ahead, room: apply now (see CommitPipeline.canWriteNow).
      if (!sync && this.pipeline.canWriteNow()) {
        this.pipeline.write(batch, false);
        return Promise.resolve();
      }
      return this.pipeline.enqueue(batch, sync);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** putAsync is put() through the group commit of writeAsync(). */
  putAsync(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      if (!syncOption(options) && this.pipeline.canWriteNow()) {
        this.put(key, value);
        this.meter.writes--;
        this.meter.asyncWrites++;
        return Promise.resolve();
      }
      return this.writeAsync(new WriteBatch().put(key, value), options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** deleteAsync is delete() through the group commit of writeAsync(). */
  deleteAsync(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      if (!syncOption(options) && this.pipeline.canWriteNow()) {
        this.delete(key);
        this.meter.writes--;
        this.meter.asyncWrites++;
        return Promise.resolve();
      }
      return this.writeAsync(new WriteBatch().delete(key), options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  // ---- transactions ----

  /**
   * transaction starts a transaction: reads at a snapshot taken now plus its own writes, committed
   * atomically by commit() (see src/txn/transaction.ts and docs/transactions.md).
   */
  transaction(options: TransactionOptions = {}): Transaction {
    return new Transaction(this, options);
  }

  /**
   * transact runs `fn` in a transaction and commits it, running it again (up to `retries` more times,
   * after a random pause that grows with each attempt) when the commit conflicts or a lock wait
   * deadlocks. Resolves to what `fn` returned. Any other error `fn` throws is rethrown as is, with
   * nothing committed.
   */
  async transact<T>(fn: (tx: Transaction) => T | Promise<T>, options: TransactOptions = {}): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('transact() needs a function');
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('transact options must be an object');
    const retries = options.retries ?? 8;
    if (!Number.isInteger(retries) || retries < 0)
      throw new InvalidArgumentError('retries must be a non-negative integer');
    const sync = syncOption(options);
    for (let attempt = 0; ; attempt++) {
      const tx = this.transaction(options);
      try {
        // A function that returns no promise commits in the same turn of the event loop: awaiting it
        // would let other transactions run between its reads and its commit (and conflict with it).
        let result = fn(tx);
        if (isPromiseLike(result)) result = await result;
        await tx.commit({ sync });
        return result;
      } catch (err) {
        tx.abortIfOpen();
        if (!isRetryable(err) || attempt >= retries) throw err;
      }
      // The first retry runs at once (the conflict was found at commit, so a re-run reads fresh data);
      // later ones back off a random while (up to 2^attempt ms, at most 100) to spread contenders out.
      if (attempt === 0) await new Promise((r) => setImmediate(r));
      else await new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }

  // ---- reads ----

  /**
   * get returns a copy of the value of `key`, or undefined when it is absent. Copies of up to 1 KiB share
   * 8 KiB ArrayBuffers, as Node's pooled Buffers do (a buffer of its own per value cost more than the rest
   * of a cached read): use byteOffset/byteLength with `.buffer`, and never transfer it.
   */
  get(key: Uint8Array | string, options?: ReadOptions): Uint8Array | undefined {
    return this.getWith(key, options, COPY_BYTES);
  }

  /**
   * getWith is get whose result `copier` makes from the value's bytes (shale/level builds its Buffers and
   * strings from them without a copy in between). @internal
   */
  getWith<T>(
    key: Uint8Array | string,
    options: ReadOptions | undefined,
    copier: ValueCopier<T>,
  ): T | undefined {
    const m = this.meter;
    // Counted always, timed once in GET_SAMPLE (engine-metrics.ts): the fast path is an increment and a test.
    if ((++m.gets & SAMPLE_MASK) !== 0) return this.getValue(key, options, copier);
    const t = performance.now();
    const v = this.getValue(key, options, copier);
    m.getNanos.record((performance.now() - t) * 1e6);
    return v;
  }

  private getValue<T>(
    key: Uint8Array | string,
    options: ReadOptions | undefined,
    copier: ValueCopier<T>,
  ): T | undefined {
    const k = toBytes(key, 'key');
    this.status.checkOpen();
    // A loop of synchronous reads never yields to the event loop: take finished background work here,
    // or level 0 stays as deep as the last write left it, for as long as the loop runs.
    this.runner.poll();
    const seq = this.readSequence(options);
    const m = this.memtables;
    const v = m.get(k, seq);
    if (v !== undefined) {
      if (v === null) return undefined;
      this.meter.getsFound++;
      // Write-time separation: the memtable holds a pointer into the open segment.
      return m.lastWasPointer ? copier.adopt(this.followPointer(v)) : copier.copy(v, 0, v.length);
    }
    const version = this.versions.current;
    const r = version.get(k, seq, this.tableCache, this.tableReadOptions(options));
    if (version.updateStats(r)) this.work.maybeScheduleWork();
    if (r.state !== 'found') return undefined;
    this.meter.getsFound++;
    return r.pointer
      ? copier.adopt(this.followPointer(r.value))
      : copier.copy(r.valueData, r.valueStart, r.valueEnd);
  }

  /** has returns true iff `key` is present. */
  has(key: Uint8Array | string, options?: ReadOptions): boolean {
    return this.get(key, options) !== undefined;
  }

  /** iterator returns an iterator (cursor and iterable) over a range at one snapshot. */
  iterator(options: IteratorOptions = {}): Iterator {
    const { bounds, limit } = checkIteratorOptions(options);
    this.status.checkOpen();
    this.runner.poll(); // as in get()
    const seq = this.readSequence(options);
    return new Iterator(this.dbIterator(seq, bounds, options), options.reverse === true, limit);
  }

  /** dbIterator returns a cursor over the user entries visible at `seq` within `bounds`. @internal */
  dbIterator(seq: number, bounds: import('./db-iterator.js').Bounds, options: ReadOptions): DBIterator {
    const inner = this.internalIterator(options);
    // The iterator reads these memtables until closed: their memory must not be reused before.
    const mems = this.memtables.refAll();
    const version = this.versions.current;
    this.versions.ref(version);
    this.meter.iterators++;
    const cursor: DBIterator = new DBIterator(
      inner,
      this.opts.comparator,
      seq,
      bounds,
      this.meter,
      () => {
        this.iterators.delete(cursor);
        for (const m of mems) this.memtables.unref(m);
        // Only a released old version can leave files to delete (listing the directory per iterator
        // close was most of the cost of short scans).
        if (this.versions.unref(version) && !this.status.closed) {
          if (this.secondaryTables !== null) this.evictUnusedTables();
          else this.obsolete.deleteObsoleteFiles();
        }
      },
      this.valueLog === null ? null : (ptr) => this.followPointer(ptr),
    );
    this.iterators.add(cursor);
    return cursor;
  }

  /** internalIterator merges the memtables and every table of the current version. @internal */
  internalIterator(options: ReadOptions = {}): InternalIterator {
    const children: InternalIterator[] = this.memtables.all().map((m) => m.iterator());
    const ro = this.tableReadOptions(options);
    this.versions.current.addIterators(
      this.tableCache,
      ro,
      children,
      (files) => new LevelIterator(this.icmp, files, this.tableCache, ro),
    );
    return new MergingIterator(this.icmp, children);
  }

  /** snapshot captures the current state; reads given it ignore later writes. Release it when done. */
  snapshot(): Snapshot {
    this.status.checkOpen();
    return this.snapshots.create(this.versions.lastSequence);
  }

  /**
   * metrics returns what the database has done since it was opened and how it looks now: counters and
   * latency percentiles of gets, writes, iterators, the WAL, flushes, compactions and write stalls,
   * cache and bloom filter hits, bytes read and written, files per level (see Metrics and
   * docs/operations.md). A plain object, new on each call; cheap enough to call often.
   */
  metrics(): Metrics {
    this.status.checkOpen();
    return collectMetrics({
      metrics: this.meter,
      version: this.versions.current,
      blockCacheUsage: this.blockCache?.usage ?? 0,
      blockCacheCapacity: this.blockCache?.capacity ?? 0,
      compressedBlockCacheUsage: this.compressedBlockCache?.usage ?? 0,
      compressedBlockCacheCapacity: this.compressedBlockCache?.capacity ?? 0,
      openTables: this.tableCache.openCount,
    });
  }

  /** metricsText returns metrics() as Prometheus exposition text (see prometheusText). */
  metricsText(options?: PrometheusTextOptions): string {
    return prometheusText(this.metrics(), options);
  }

  /** getProperty returns a named statistic (LevelDB's names; see docs/properties.md), or undefined. */
  getProperty(name: string): string | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError('property name must be a string');
    this.status.checkOpen();
    return getProperty(this, name);
  }

  /** approximateSizes returns, per [start, end) range, about how many bytes of tables it covers. */
  approximateSizes(ranges: readonly (readonly [Uint8Array | string, Uint8Array | string])[]): number[] {
    this.status.checkOpen();
    if (!Array.isArray(ranges))
      throw new InvalidArgumentError('ranges must be an array of [start, end] pairs');
    const version = this.versions.current;
    return ranges.map((r) => {
      if (!Array.isArray(r) || r.length !== 2)
        throw new InvalidArgumentError('each range must be [start, end]');
      const start = toBytes(r[0], 'range start');
      const end = toBytes(r[1], 'range end');
      const a = this.approximateOffsetOf(version, start);
      const b = this.approximateOffsetOf(version, end);
      return b > a ? b - a : 0;
    });
  }

  private approximateOffsetOf(version: Version, userKey: Uint8Array): number {
    const ikey = new Uint8Array(userKey.length + 8);
    ikey.set(userKey);
    // The largest possible tag: sorts before every real entry of userKey.
    ikey.fill(0xff, userKey.length);
    let result = 0;
    for (let level = 0; level < NUM_LEVELS; level++) {
      for (const f of version.files[level]!) {
        if (this.icmp.compare(f.largest, ikey) <= 0) {
          result += f.fileSize;
        } else if (this.icmp.compare(f.smallest, ikey) > 0) {
          if (level > 0) break;
        } else {
          result += this.tableCache.approximateOffsetOf(f.number, f.fileSize, ikey);
        }
      }
    }
    return result;
  }

  // ---- background work ----

  /** flush writes the memtable to a table now (even if it is not full) and waits until it is recorded. */
  async flush(): Promise<void> {
    this.status.checkWritable();
    const m = this.memtables;
    if (m.mem.count > 0) {
      for (;;) {
        this.work.maybeScheduleWork();
        if (m.imms.length < this.opts.maxImmutableMemTables) break;
        await this.work.progress();
        this.status.checkWritable();
      }
      this.stall.switchMemTable();
    }
    for (;;) {
      this.work.maybeScheduleWork();
      this.status.checkWritable();
      if (m.imms.length === 0) return;
      await this.work.progress();
    }
  }

  /**
   * checkpoint makes a consistent copy of the database in `dest` (which must not exist) while writes go
   * on: it holds at least every write acknowledged before the call, shares tables by hard links where
   * the file system allows, and opens in shale and in LevelDB. See src/db/checkpoint.ts.
   */
  async checkpoint(dest: string, options: ProgressOptions = {}): Promise<CheckpointReport> {
    if (typeof dest !== 'string' || dest.length === 0)
      throw new InvalidArgumentError('checkpoint destination must be a non-empty string');
    this.status.checkWritable();
    if (this.fs.exists(dest)) throw new InvalidArgumentError(`checkpoint destination ${dest} already exists`);
    await this.flush();
    this.status.checkWritable();
    // Synchronous from here: no flush, compaction or write can change the files while they are copied.
    return writeCheckpoint(this.fs, this.location, this.walDir, this.versions, dest, options.onProgress);
  }

  /**
   * compactRange compacts the key range [start, end] (both optional, inclusive) down the levels, as
   * LevelDB's CompactRange: the memtable is flushed, then each level's overlapping files are merged into
   * the next, until the range sits in one level with every shadowed version and obsolete deletion gone.
   */
  async compactRange(
    start?: Uint8Array | string,
    end?: Uint8Array | string,
    options: ProgressOptions = {},
  ): Promise<void> {
    const begin = start === undefined || start === null ? undefined : toBytes(start, 'start');
    const limit = end === undefined || end === null ? undefined : toBytes(end, 'end');
    this.status.checkWritable();
    await this.flush();
    let maxLevel = 1;
    const v = this.versions.current;
    for (let level = 1; level < NUM_LEVELS; level++)
      if (v.overlapInLevel(level, begin, limit)) maxLevel = level;
    // Each level into the next, then the bottom level rewritten in place, so that afterwards no
    // shadowed version or deletion that no snapshot needs is left in the range.
    // Progress in steps: one per level merged down, plus the bottom level's rewrite.
    for (let level = 0; level <= maxLevel; level++) {
      options.onProgress?.(level, maxLevel + 1);
      this.status.checkWritable();
      await this.work.manual(level, level === maxLevel, begin, limit);
    }
    options.onProgress?.(maxLevel + 1, maxLevel + 1);
  }

  /**
   * collectGarbage runs value-log garbage collection now (docs/vlog.md): every segment whose live ratio
   * is below `gcRatio` (default: the valueLog option's) has its live values written again through the
   * normal write path (a concurrent write to the same key wins), then leaves the database once no
   * snapshot older than the rewrites remains; its file is deleted once no open iterator needs it. With
   * the value log off it does nothing.
   */
  async collectGarbage(options: { gcRatio?: number } = {}): Promise<GarbageCollectionReport> {
    this.status.checkWritable();
    const ratio = options?.gcRatio ?? this.opts.valueLog?.gcRatio ?? 0.5;
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1))
      throw new InvalidArgumentError('gcRatio must be a number in [0, 1]');
    if (this.gc === null) {
      return {
        segmentsRewritten: 0,
        valuesRelocated: 0,
        bytesRelocated: 0,
        segmentsDropped: 0,
        segmentsPending: 0,
        micros: 0,
      };
    }
    return this.gc.collect(ratio);
  }

  /** scheduleBackgroundGc starts a garbage collection soon, if none runs and one is due. */
  private scheduleBackgroundGc(): void {
    if (this.gcScheduled || this.gc === null || this.gc.busy) return;
    const ratio = this.opts.valueLog!.gcRatio;
    let due = false;
    for (const s of this.versions.current.segments.values()) if (liveRatio(s) < ratio) due = true;
    if (!due) return;
    this.gcScheduled = true;
    setImmediate(() => {
      this.gcScheduled = false;
      if (this.status.closing || this.status.closed || this.status.bgError !== null) return;
      // A failed run leaves everything as it was; the next compaction with garbage tries again.
      this.gc!.collect(ratio).catch(() => undefined);
    });
  }

  /**
   * currentPointer returns the value-log pointer held by the newest entry of `key`, or null when that
   * entry is in a memtable, a deletion, an inline value, or absent. @internal
   */
  currentPointer(key: Uint8Array): ValuePointer | null {
    const seq = this.versions.lastSequence;
    const m = this.memtables;
    if (m.get(key, seq) !== undefined) return null;
    const r = this.versions.current.get(key, seq, this.tableCache, this.tableReadOptions(undefined));
    return r.state === 'found' && r.pointer ? decodePointer(r.value) : null;
  }

  /**
   * close waits for the running background job, then releases the database. Open iterators and
   * snapshots become unusable (ClosedError); later calls on the database throw ClosedError. Safe to
   * call twice.
   */
  async close(): Promise<void> {
    if (this.status.closed) return;
    if (this.closePromise !== null) return this.closePromise;
    this.status.closing = true;
    this.work.notifyProgress();
    this.closePromise = (async () => {
      await this.gc?.settled();
      while (!this.pipeline.idle || this.work.busy) {
        if (this.work.busy) await this.work.progress();
        else await new Promise((r) => setTimeout(r, 1));
      }
      this.work.rejectManual(new ClosedError('the database was closed'));
      this.pipeline.rejectQueued(new ClosedError('the database was closed'));
      this.status.closed = true;
      for (const it of [...this.iterators]) it.invalidate();
      this.iterators.clear();
      this.snapshots.invalidateAll();
      await this.log.settled(); // synced commits waiting for their fsync
      await this.runner.close();
      await this.obsolete.settled();
      this.abandon();
    })();
    return this.closePromise;
  }

  /** isClosed is true once close() was called. */
  get isClosed(): boolean {
    return this.status.closed;
  }

  // ---- internals ----

  private evictUnusedTables(): void {
    evictUnusedTables({
      versions: this.versions,
      tableCache: this.tableCache,
      opened: this.secondaryTables!,
    });
  }

  /** followPointer reads the value a value-log pointer locates (CorruptionError naming the segment). */
  private followPointer(ptr: Uint8Array): Uint8Array {
    if (this.valueLog === null)
      throw new CorruptionError('a table holds a value pointer but the value log is off');
    return this.valueLog.read(ptr);
  }

  private abandon(): void {
    this.status.closed = true;
    this.memtables.released = true;
    this.log.close();
    this.writeValues?.close();
    this.versions.close();
    this.tableCache.close();
    this.valueLog?.close();
    this.blockCache?.clear();
    this.compressedBlockCache?.clear();
    this.lock.release();
  }

  /** readSequence returns the sequence number a read sees: its snapshot's, else the newest. @internal */
  readSequence(options: ReadOptions | undefined): number {
    if (options === undefined) return this.versions.lastSequence;
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('read options must be an object');
    const snap = options.snapshot;
    if (snap === undefined) return this.versions.lastSequence;
    if (!(snap instanceof Snapshot)) throw new InvalidArgumentError('snapshot must come from db.snapshot()');
    snap.checkUsable();
    return snap.sequence;
  }

  private tableReadOptions(options: ReadOptions | undefined): {
    verifyChecksums: boolean;
    fillCache: boolean;
  } {
    return {
      verifyChecksums: options?.verifyChecksums ?? (this.opts.verifyChecksums || this.opts.paranoidChecks),
      fillCache: options?.fillCache ?? true,
    };
  }
}

function isPromiseLike<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}
