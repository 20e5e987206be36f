/**
 * DB: the engine's front door (LevelDB db/db_impl.cc). It owns the memtables, the write-ahead log, the
 * version set and the caches, and orchestrates writes, reads, flushes, recovery and close.
 *
 * Threading: everything here runs on the main thread. Reads and writes are synchronous; operations that
 * wait for background work return Promises.
 *
 * Invariants:
 * 1. Every acknowledged write is in the WAL (in the OS; fsynced too when `sync`) before it is applied to
 *    the memtable, and a write that failed to reach the WAL puts the database in read-only mode.
 * 2. Sequence numbers are assigned in write order; a batch's entries get consecutive numbers.
 * 3. No file that a live version, iterator or pending output refers to is ever deleted.
 */
import { join } from 'node:path';
import type { FileLock, FileSystem, WritableFile } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import { LogWriter } from '../wal/log-writer.js';
import { MemTable, type MemTableArenas } from '../memtable/memtable.js';
import { InternalKeyComparator, ValueType } from '../memtable/internal-key.js';
import { BloomFilterPolicy } from '../sstable/bloom.js';
import type { FilterPolicy } from '../sstable/filter-policy.js';
import type { Block } from '../sstable/block.js';
import { MergingIterator } from '../sstable/merging-iterator.js';
import type { TableBuilderOptions } from '../sstable/table-builder.js';
import { TableCache } from '../version/table-cache.js';
import { VersionSet } from '../version/version-set.js';
import { VersionEdit, NUM_LEVELS } from '../version/version-edit.js';
import { LevelIterator } from '../version/level-iterator.js';
import {
  currentFileName,
  lockFileName,
  logFileName,
  parseFileName,
  tableFileName,
} from '../version/file-names.js';
import { buildTable } from '../compaction/build-table.js';
import type { Compaction } from '../compaction/compaction.js';
import { deeperLevels } from '../compaction/compaction.js';
import {
  compactRange as pickCompactRange,
  pickBottomCompaction,
  pickCompaction,
  pickLevelForMemTableOutput,
  type PickerOptions,
} from '../compaction/picker.js';
import type { CompactionJobResult, CompactionJobSpec, JobFile } from '../compaction/job.js';
import { InlineJobRunner, WorkerJobRunner, type JobRunner } from '../compaction/job-runner.js';
import type { TableSettings } from '../compaction/table-settings.js';
import { newFileMetaData, type FileMetaData } from '../version/version-edit.js';
import { userKeyOf } from '../memtable/internal-key.js';
import { bytewiseComparator } from '../util/comparator.js';
import { encodeFixed32, encodeFixed64 } from '../util/coding.js';
import { LruCache } from '../util/lru-cache.js';
import { Encoder } from '../util/coding.js';
import { toBytes } from '../util/bytes.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import {
  BackgroundError,
  ClosedError,
  CorruptionError,
  InvalidArgumentError,
  NotFoundError,
  ShaleError,
} from '../util/errors.js';
import { resolveOptions, type Options, type ResolvedOptions } from './options.js';
import { BATCH_HEADER_SIZE, WriteBatch, batchCount, insertEncodedBatch } from './write-batch.js';
import { DBIterator, type Bounds } from './db-iterator.js';
import { Iterator } from './iterator.js';
import { Snapshot, SnapshotList } from './snapshot.js';
import { replayLog } from './recovery.js';
import { repairDB, type RepairReport } from './repair.js';
import { ensureZstd } from '../sstable/zstd.js';
import { getProperty } from './properties.js';
import { LevelStats } from './level-stats.js';

/** WriteOptions control one write. */
export interface WriteOptions {
  /** sync: fsync the WAL before returning, so the write survives power loss. Default false. */
  sync?: boolean;
}

/** ReadOptions control one read or iterator. */
export interface ReadOptions {
  /** snapshot: read the database as of this snapshot. */
  snapshot?: Snapshot;
  /** verifyChecksums: verify block checksums read from disk (default: the database's option). */
  verifyChecksums?: boolean;
  /** fillCache: keep blocks read for this call in the block cache. Default true. */
  fillCache?: boolean;
}

/** IteratorOptions select a range and direction. Keys are Uint8Array or string. */
export interface IteratorOptions extends ReadOptions {
  gt?: Uint8Array | string;
  gte?: Uint8Array | string;
  lt?: Uint8Array | string;
  lte?: Uint8Array | string;
  /** reverse: for-of yields from the end of the range backwards. */
  reverse?: boolean;
  /** limit: for-of yields at most this many entries (-1 or Infinity: no limit). */
  limit?: number;
}

/** DB is an open database. */
export class DB {
  /** @internal */ readonly opts: ResolvedOptions;
  /** @internal */ readonly icmp: InternalKeyComparator;
  /** @internal */ readonly versions: VersionSet;
  /** @internal */ readonly tableCache: TableCache;
  /** @internal */ readonly blockCache: LruCache<number, Block> | null;
  /** @internal */ readonly stats = new LevelStats(NUM_LEVELS);
  /** @internal */ mem: MemTable;
  /** @internal */ imm: MemTable | null = null;
  private readonly filterPolicy: FilterPolicy | null;
  private readonly walDir: string;
  private logFile: WritableFile | null = null;
  private log: LogWriter | null = null;
  private logFileNumber = 0;
  private readonly snapshots = new SnapshotList();
  private readonly iterators = new Set<DBIterator>();
  private readonly pendingOutputs = new Set<number>();
  private bgError: ShaleError | null = null;
  private closed = false;
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private readonly scratch = new Encoder(256);
  private readonly runner: JobRunner;
  private readonly tableSettings: TableSettings;
  private readonly pickerOptions: PickerOptions;
  private scheduling = false;
  private flushJob: { readonly number: number } | null = null;
  /** compactionJob.floor: every table numbered from here on may be an output of the running job. */
  private compactionJob: { readonly floor: number } | null = null;
  private readonly manualQueue: ManualCompaction[] = [];
  private progressWaiters: (() => void)[] = [];
  private readonly writeQueue: QueuedWrite[] = [];
  private groupWriterActive = false;
  private syncsInFlight = 0;
  /** removals: obsolete files being unlinked in the background, by path. */
  private readonly removals = new Map<string, Promise<unknown>>();
  /** spareArenas: the memory of the last memtable nobody reads any more, for the next one. */
  private spareArenas: MemTableArenas | null = null;
  /** stallMicros counts the time synchronous writers spent delayed or waiting on background work. */
  stallMicros = 0;

  private constructor(
    readonly location: string,
    private readonly fs: FileSystem,
    options: ResolvedOptions,
    private readonly lock: FileLock,
  ) {
    this.opts = options;
    this.icmp = new InternalKeyComparator(options.comparator);
    this.walDir = options.walDir ?? location;
    this.filterPolicy = options.bloomBitsPerKey > 0 ? new BloomFilterPolicy(options.bloomBitsPerKey) : null;
    this.blockCache = options.blockCacheSize > 0 ? new LruCache<number, Block>(options.blockCacheSize) : null;
    this.tableCache = new TableCache(
      fs,
      location,
      {
        comparator: this.icmp,
        filterPolicy: this.filterPolicy,
        blockCache: this.blockCache,
        verifyChecksums: options.verifyChecksums || options.paranoidChecks,
        paranoidChecks: options.paranoidChecks,
      },
      options.maxOpenFiles - 10,
    );
    this.versions = new VersionSet(fs, location, this.icmp, {
      maxManifestFileSize: options.maxManifestFileSize,
      level1MaxBytes: options.level1MaxBytes,
      l0CompactionTrigger: options.l0CompactionTrigger,
    });
    this.mem = this.newMemTable();
    this.tableSettings = {
      blockSize: options.blockSize,
      blockRestartInterval: options.blockRestartInterval,
      compression: options.compression,
      bloomBitsPerKey: options.bloomBitsPerKey,
    };
    this.pickerOptions = { maxFileSize: options.maxFileSize };
    const inline =
      options.backgroundJobs === 'inline' ||
      !(fs instanceof NodeFileSystem) ||
      options.comparator !== bytewiseComparator ||
      options.compactionFilterFactory !== undefined;
    this.runner = inline
      ? new InlineJobRunner(fs, this.icmp, this.versions.fileCounter)
      : new WorkerJobRunner(this.versions.fileCounter);
  }

  /** backgroundJobs tells where flushes and compactions run ('worker' or 'inline'; see Options). */
  get backgroundJobs(): 'worker' | 'inline' {
    return this.runner.kind;
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
      db.recover();
    } catch (err) {
      db.abandon();
      throw err;
    }
    return db;
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
  static repair(location: string, options: Options = {}): Promise<RepairReport> {
    return repairDB(location, options);
  }

  // ---- writes ----

  /** put sets `key` to `value`. Returns once the write is in the OS (and on disk with `sync`). */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const v = toBytes(value, 'value');
    const sync = syncOption(options);
    this.checkWritable();
    const e = this.scratch;
    e.reset();
    e.ensure(BATCH_HEADER_SIZE);
    e.pos = BATCH_HEADER_SIZE;
    e.byte(ValueType.VALUE).lengthPrefixed(k).lengthPrefixed(v);
    this.writeRecord(e, 1, sync, (seq) => this.mem.add(seq, ValueType.VALUE, k, v));
  }

  /** delete removes `key` (a no-op if it is absent). */
  delete(key: Uint8Array | string, options?: WriteOptions): void {
    const k = toBytes(key, 'key');
    const sync = syncOption(options);
    this.checkWritable();
    const e = this.scratch;
    e.reset();
    e.ensure(BATCH_HEADER_SIZE);
    e.pos = BATCH_HEADER_SIZE;
    e.byte(ValueType.DELETION).lengthPrefixed(k);
    this.writeRecord(e, 1, sync, (seq) => this.mem.add(seq, ValueType.DELETION, k, EMPTY));
  }

  /** write applies every operation of `batch` atomically. */
  write(batch: WriteBatch, options?: WriteOptions): void {
    if (!(batch instanceof WriteBatch)) throw new InvalidArgumentError('write() needs a WriteBatch');
    const sync = syncOption(options);
    this.checkWritable();
    if (batch.count === 0) return;
    this.makeRoomForWrite(false);
    const seq = this.versions.lastSequence + 1;
    const rep = batch.encodeWithSequence(seq);
    this.appendToLog(rep, sync);
    this.applyToMemTable(rep, seq);
    this.versions.lastSequence = seq + batch.count - 1;
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
      this.checkWritable();
      if (batch.count === 0) return Promise.resolve();
      // Unsynced, nothing ahead, room: apply now (see canWriteNow).
      if (!sync && this.canWriteNow()) {
        this.write(batch);
        return Promise.resolve();
      }
      // Copy the operations: the caller may reuse the batch before the group is written.
      const body = batch.encodeWithSequence(0).slice(BATCH_HEADER_SIZE);
      return this.enqueueWrite(body, batch.count, sync);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** putAsync is put() through the group commit of writeAsync(). */
  putAsync(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      if (!syncOption(options) && this.canWriteNow()) {
        this.put(key, value);
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
      if (!syncOption(options) && this.canWriteNow()) {
        this.delete(key);
        return Promise.resolve();
      }
      return this.writeAsync(new WriteBatch().delete(key), options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private enqueueWrite(body: Uint8Array, count: number, sync: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.writeQueue.push({ body, count, sync, resolve, reject });
      if (!this.groupWriterActive) void this.runGroupCommits();
    });
  }

  /**
   * canWriteNow: an unsynced async write with nothing queued ahead of it and room in the memtable has
   * nothing to wait for or share, so it is applied at once (a group of one costs a queue trip and a few
   * promises more). Writes behind a queue still go through it, so they keep their order.
   */
  private canWriteNow(): boolean {
    return (
      this.writeQueue.length === 0 &&
      !this.groupWriterActive &&
      !this.closing &&
      this.roomAction(false, true) === 'ok'
    );
  }

  /** runGroupCommits drains the write queue, one group (one WAL record, at most one fsync) at a time. */
  private async runGroupCommits(): Promise<void> {
    this.groupWriterActive = true;
    try {
      while (this.writeQueue.length > 0) {
        let group: QueuedWrite[] = [];
        try {
          this.checkGroupWritable();
          if (this.roomAction(false, true) !== 'ok') await this.makeRoomForWriteAsync();
          this.checkGroupWritable();
          group = this.takeGroup();
          const seq = this.versions.lastSequence + 1;
          const rep = encodeGroup(group, seq);
          const sync = group[0]!.sync;
          this.appendToLog(rep, false);
          const count = batchCount(rep);
          this.applyToMemTable(rep, seq);
          this.versions.lastSequence = seq + count - 1;
          if (sync) {
            this.syncsInFlight++;
            try {
              await this.log!.syncAsync();
            } catch (err) {
              this.setBackgroundError(err);
              throw err;
            } finally {
              this.syncsInFlight--;
            }
          }
        } catch (err) {
          if (group.length === 0) group = this.writeQueue.splice(0, this.writeQueue.length);
          for (const w of group) w.reject(err as Error);
          continue;
        }
        for (const w of group) w.resolve();
      }
    } finally {
      this.groupWriterActive = false;
    }
  }

  /**
   * takeGroup removes the next group from the queue: as many writes as fit LevelDB's limits (1 MiB, or
   * 128 KiB more than a small first write), never letting a sync write ride in a group that is not synced.
   */
  private takeGroup(): QueuedWrite[] {
    const q = this.writeQueue;
    const first = q[0]!;
    let size = first.body.length;
    const limit = size <= 128 * 1024 ? size + 128 * 1024 : 1024 * 1024;
    let n = 1;
    while (n < q.length) {
      const w = q[n]!;
      if (w.sync && !first.sync) break;
      if (size + w.body.length > limit) break;
      size += w.body.length;
      n++;
    }
    return q.splice(0, n);
  }

  private writeRecord(e: Encoder, count: number, sync: boolean, apply: (seq: number) => void): void {
    this.makeRoomForWrite(false);
    const seq = this.versions.lastSequence + 1;
    const buf = e.buf;
    // Header: fixed64 sequence, fixed32 count (little-endian).
    let lo = seq % 0x1_0000_0000;
    let hi = Math.floor(seq / 0x1_0000_0000);
    for (let i = 0; i < 4; i++, lo >>>= 8) buf[i] = lo & 0xff;
    for (let i = 4; i < 8; i++, hi >>>= 8) buf[i] = hi & 0xff;
    buf[8] = count & 0xff;
    buf[9] = (count >>> 8) & 0xff;
    buf[10] = (count >>> 16) & 0xff;
    buf[11] = (count >>> 24) & 0xff;
    this.appendToLog(e.finish(), sync);
    apply(seq);
    this.versions.lastSequence = seq + count - 1;
  }

  /** applyToMemTable inserts a batch this process encoded (written to the log) into the memtable. */
  private applyToMemTable(rep: Uint8Array, seq: number): void {
    insertEncodedBatch(rep, seq, this.mem);
  }

  private appendToLog(record: Uint8Array, sync: boolean): void {
    try {
      this.log!.addRecord(record);
      if (sync) this.log!.sync();
      this.stats.userBytesWritten += record.length;
    } catch (err) {
      this.setBackgroundError(err);
      throw err;
    }
  }

  /**
   * makeRoomForWrite (synchronous writers) makes sure the memtable has room, applying LevelDB's
   * back-pressure: one 1 ms delay per write at l0SlowdownWritesTrigger level-0 files; a wait while the
   * previous memtable is still being flushed or level 0 holds l0StopWritesTrigger files. `force`
   * switches to a new memtable even if this one is not full.
   */
  private makeRoomForWrite(force: boolean): void {
    let allowDelay = !force;
    this.runner.poll();
    for (;;) {
      const action = this.roomAction(force, allowDelay);
      if (action === 'ok') return;
      if (action === 'delay') {
        allowDelay = false;
        Atomics.wait(SLEEP_WORD, 0, 0, 1);
        this.stallMicros += 1000;
        this.runner.poll();
      } else if (action === 'wait-flush' || action === 'wait-compaction') {
        const lane = action === 'wait-flush' ? 'flush' : 'compaction';
        this.maybeScheduleWork();
        if (!this.runner.busy(lane)) {
          if (action === 'wait-compaction') return; // nothing can run: let the write through
          continue;
        }
        const t = performance.now();
        this.runner.waitSync(lane);
        this.stallMicros += (performance.now() - t) * 1000;
      } else {
        this.switchMemTable();
        force = false;
        this.maybeScheduleWork();
      }
    }
  }

  /** makeRoomForWriteAsync is makeRoomForWrite for the async writers: it awaits instead of blocking. */
  private async makeRoomForWriteAsync(): Promise<void> {
    let allowDelay = true;
    for (;;) {
      const action = this.roomAction(false, allowDelay);
      if (action === 'ok') return;
      if (action === 'delay') {
        allowDelay = false;
        await new Promise((r) => setTimeout(r, 1));
      } else if (action === 'wait-flush' || action === 'wait-compaction') {
        const lane = action === 'wait-flush' ? 'flush' : 'compaction';
        this.maybeScheduleWork();
        if (!this.runner.busy(lane)) {
          if (action === 'wait-compaction') return;
          continue;
        }
        await this.backgroundProgress();
      } else {
        this.switchMemTable();
        this.maybeScheduleWork();
      }
    }
  }

  private roomAction(
    force: boolean,
    allowDelay: boolean,
  ): 'ok' | 'delay' | 'wait-flush' | 'wait-compaction' | 'switch' {
    if (this.bgError !== null) this.checkWritable();
    const l0 = this.versions.current.numFiles(0);
    if (allowDelay && l0 >= this.opts.l0SlowdownWritesTrigger) return 'delay';
    if (!force && this.mem.approximateMemoryUsage() < this.opts.writeBufferSize) return 'ok';
    if (this.imm !== null) return 'wait-flush';
    if (l0 >= this.opts.l0StopWritesTrigger) return 'wait-compaction';
    return 'switch';
  }

  /** switchMemTable makes the memtable immutable and starts a new one with a new log. */
  private switchMemTable(): void {
    const number = this.versions.newFileNumber();
    let file: WritableFile | null = null;
    try {
      // The older log is synced in full before the newer one exists, so a power cut never keeps a later
      // write while losing an earlier one, and only the newest log can end in a torn record.
      this.log!.sync();
      file = this.fs.createWritable(logFileName(this.walDir, number));
      this.fs.syncDir(this.walDir);
      this.logFile!.close();
    } catch (err) {
      try {
        file?.close();
      } catch {
        // first error wins
      }
      this.setBackgroundError(err);
      throw err;
    }
    this.logFile = file;
    this.log = new LogWriter(file);
    this.logFileNumber = number;
    this.imm = this.mem;
    this.mem = this.newMemTable();
  }

  /** @internal */
  tableBuilderOptions(): TableBuilderOptions {
    return {
      comparator: this.icmp,
      blockSize: this.opts.blockSize,
      blockRestartInterval: this.opts.blockRestartInterval,
      compression: this.opts.compression,
      filterPolicy: this.filterPolicy,
    };
  }

  // ---- reads ----

  /** get returns a copy of the value of `key`, or undefined when it is absent. */
  get(key: Uint8Array | string, options?: ReadOptions): Uint8Array | undefined {
    const k = toBytes(key, 'key');
    this.checkOpen();
    // A loop of synchronous reads never yields to the event loop: take finished background work here,
    // or level 0 stays as deep as the last write left it, for as long as the loop runs.
    this.runner.poll();
    const seq = this.readSequence(options);
    let v = this.mem.get(k, seq);
    if (v === undefined && this.imm !== null) v = this.imm.get(k, seq);
    if (v !== undefined) return v === null ? undefined : v.slice();
    const version = this.versions.current;
    const r = version.get(k, seq, this.tableCache, this.tableReadOptions(options));
    if (version.updateStats(r)) this.maybeScheduleWork();
    return r.state === 'found' ? r.value!.slice() : undefined;
  }

  /** has returns true iff `key` is present. */
  has(key: Uint8Array | string, options?: ReadOptions): boolean {
    return this.get(key, options) !== undefined;
  }

  /** iterator returns an iterator (cursor and iterable) over a range at one snapshot. */
  iterator(options: IteratorOptions = {}): Iterator {
    if (options === null || typeof options !== 'object')
      throw new InvalidArgumentError('iterator options must be an object');
    this.checkOpen();
    const bounds = iteratorBounds(options);
    const limit = options.limit === undefined || options.limit < 0 ? Infinity : options.limit;
    if (typeof limit !== 'number' || Number.isNaN(limit))
      throw new InvalidArgumentError('limit must be a number');
    this.runner.poll(); // as in get()
    const seq = this.readSequence(options);
    const inner = this.internalIterator(options);
    // The iterator reads these memtables until closed: their memory must not be reused before.
    const mems = this.imm === null ? [this.mem] : [this.mem, this.imm];
    for (const m of mems) m.refs++;
    const version = this.versions.current;
    this.versions.ref(version);
    const cursor: DBIterator = new DBIterator(inner, this.opts.comparator, seq, bounds, () => {
      this.iterators.delete(cursor);
      for (const m of mems) this.unrefMemTable(m);
      // Only a released old version can leave files to delete (listing the directory per iterator close
      // was most of the cost of short scans).
      if (this.versions.unref(version) && !this.closed) this.deleteObsoleteFiles();
    });
    this.iterators.add(cursor);
    return new Iterator(cursor, options.reverse === true, limit);
  }

  /** internalIterator merges the memtables and every table of the current version. @internal */
  internalIterator(options: ReadOptions = {}): InternalIterator {
    const children: InternalIterator[] = [this.mem.iterator()];
    if (this.imm !== null) children.push(this.imm.iterator());
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
    this.checkOpen();
    return this.snapshots.create(this.versions.lastSequence);
  }

  /** getProperty returns a named statistic (LevelDB's names; see docs/properties.md), or undefined. */
  getProperty(name: string): string | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError('property name must be a string');
    this.checkOpen();
    return getProperty(this, name);
  }

  /** approximateSizes returns, per [start, end) range, about how many bytes of tables it covers. */
  approximateSizes(ranges: readonly (readonly [Uint8Array | string, Uint8Array | string])[]): number[] {
    this.checkOpen();
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

  private approximateOffsetOf(version: import('../version/version.js').Version, userKey: Uint8Array): number {
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
    this.checkWritable();
    if (this.mem.count > 0) {
      for (;;) {
        this.maybeScheduleWork();
        if (this.imm === null) break;
        await this.backgroundProgress();
        this.checkWritable();
      }
      this.switchMemTable();
    }
    for (;;) {
      this.maybeScheduleWork();
      this.checkWritable();
      if (this.imm === null) return;
      await this.backgroundProgress();
    }
  }

  /**
   * compactRange compacts the key range [start, end] (both optional, inclusive) down the levels, as
   * LevelDB's CompactRange: the memtable is flushed, then each level's overlapping files are merged into
   * the next, until the range sits in one level with every shadowed version and obsolete deletion gone.
   */
  async compactRange(start?: Uint8Array | string, end?: Uint8Array | string): Promise<void> {
    const begin = start === undefined || start === null ? undefined : toBytes(start, 'start');
    const limit = end === undefined || end === null ? undefined : toBytes(end, 'end');
    this.checkWritable();
    await this.flush();
    let maxLevel = 1;
    const v = this.versions.current;
    for (let level = 1; level < NUM_LEVELS; level++)
      if (v.overlapInLevel(level, begin, limit)) maxLevel = level;
    // Each level into the next, then the bottom level rewritten in place, so that afterwards no
    // shadowed version or deletion that no snapshot needs is left in the range.
    for (let level = 0; level <= maxLevel; level++) {
      this.checkWritable();
      await new Promise<void>((resolve, reject) => {
        this.manualQueue.push({ level, bottom: level === maxLevel, begin, end: limit, resolve, reject });
        this.maybeScheduleWork();
      });
    }
  }

  /** backgroundProgress resolves the next time a background job finishes (or fails). */
  private backgroundProgress(): Promise<void> {
    return new Promise((resolve) => this.progressWaiters.push(resolve));
  }

  private notifyProgress(): void {
    const waiters = this.progressWaiters;
    if (waiters.length === 0) return;
    this.progressWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * maybeScheduleWork starts what background work is due: the flush of the immutable memtable on the
   * flush lane; a manual compaction, else the most needed automatic one, on the compaction lane (trivial
   * moves are applied here at once). Inline jobs run to completion before this returns.
   */
  private maybeScheduleWork(): void {
    if (this.scheduling) return;
    this.scheduling = true;
    try {
      for (let progress = true; progress;) {
        progress = false;
        if (this.closing) return;
        if (this.bgError !== null) {
          for (const m of this.manualQueue.splice(0)) m.reject(this.bgError);
          return;
        }
        if (this.imm !== null && this.flushJob === null) {
          this.startFlush();
          progress = true;
          continue;
        }
        if (this.compactionJob === null) progress = this.startCompaction();
      }
    } finally {
      this.scheduling = false;
    }
  }

  private startFlush(): void {
    const imm = this.imm!;
    const number = this.versions.newFileNumber();
    this.pendingOutputs.add(number);
    const logNumber = this.logFileNumber;
    this.flushJob = { number };
    this.runner.flush(
      { dir: this.location, number, memtable: imm.share(), table: this.tableSettings },
      (err, r) => {
        this.pendingOutputs.delete(number);
        this.flushJob = null;
        if (err === null) {
          try {
            this.finishFlush(r!.file, r!.micros, logNumber);
          } catch (e) {
            err = e instanceof ShaleError ? e : new BackgroundError(String(e), { cause: e });
          }
        }
        if (err !== null) this.setBackgroundError(err);
        this.notifyProgress();
        this.maybeScheduleWork();
      },
    );
  }

  private finishFlush(meta: FileMetaData | null, micros: number, logNumber: number): void {
    const edit = new VersionEdit();
    if (meta !== null) {
      // While a compaction runs, its inputs must not gain an overlapping neighbour below level 0.
      const level =
        this.compactionJob === null
          ? pickLevelForMemTableOutput(
              this.versions.current,
              userKeyOf(meta.smallest),
              userKeyOf(meta.largest),
              this.pickerOptions,
            )
          : 0;
      edit.addFile(level, meta);
      this.stats.add(level, { micros, bytesRead: 0, bytesWritten: meta.fileSize });
    }
    edit.logNumber = logNumber;
    edit.prevLogNumber = 0;
    this.versions.logAndApply(edit);
    const flushed = this.imm;
    this.imm = null;
    if (flushed !== null) this.unrefMemTable(flushed);
    this.deleteObsoleteFiles();
  }

  /** startCompaction starts the next compaction, if any; returns true if it applied or started one. */
  private startCompaction(): boolean {
    const manual = this.manualQueue[0];
    let c: Compaction | null;
    if (manual !== undefined) {
      c = manual.bottom
        ? pickBottomCompaction(this.versions, manual.level, manual.begin, manual.end, this.pickerOptions)
        : pickCompactRange(this.versions, manual.level, manual.begin, manual.end, this.pickerOptions);
      if (c === null) {
        this.manualQueue.shift();
        manual.resolve();
        return true;
      }
    } else {
      c = pickCompaction(this.versions, this.pickerOptions);
      if (c === null) return false;
      if (c.isTrivialMove()) {
        const f = c.inputs[0][0]!;
        c.edit.deleteFile(c.level, f.number);
        c.edit.addFile(c.level + 1, f);
        this.versions.logAndApply(c.edit);
        this.stats.levels[c.level + 1]!.count++;
        return true;
      }
    }
    const floor = this.versions.nextFileNumber;
    const job: CompactionJobSpec = {
      dir: this.location,
      level: c.level,
      inputs: [c.inputs[0].map(jobFile), c.inputs[1].map(jobFile)],
      grandparents: c.grandparents.map(jobFile),
      deeperLevels: deeperLevels(c).map((l) => l.map(jobFile)),
      snapshots: this.snapshots.sequences(),
      maxOutputFileSize: this.opts.maxFileSize,
      maxGrandparentOverlapBytes: c.maxGrandparentOverlapBytes,
      isManual: manual !== undefined,
    };
    const filter =
      this.opts.compactionFilterFactory?.({ level: c.level, isManual: manual !== undefined }) ?? null;
    this.versions.ref(c.inputVersion);
    this.compactionJob = { floor };
    const compaction = c;
    this.runner.compact({ spec: job, table: this.tableSettings }, filter, (err, r) => {
      this.compactionJob = null;
      this.versions.unref(compaction.inputVersion);
      if (err === null) {
        try {
          this.finishCompaction(compaction, r!, manual);
        } catch (e) {
          err = e instanceof ShaleError ? e : new BackgroundError(String(e), { cause: e });
        }
      }
      if (err !== null) {
        this.setBackgroundError(err);
        for (const m of this.manualQueue.splice(0)) m.reject(err);
      }
      this.notifyProgress();
      this.maybeScheduleWork();
    });
    return true;
  }

  private finishCompaction(
    c: Compaction,
    r: CompactionJobResult,
    manual: ManualCompaction | undefined,
  ): void {
    const edit = c.edit;
    c.addInputDeletions(edit);
    for (const o of r.outputs)
      edit.addFile(c.level + 1, newFileMetaData(o.number, o.fileSize, o.smallest, o.largest));
    this.versions.logAndApply(edit);
    this.stats.add(c.level + 1, { micros: r.micros, bytesRead: r.bytesRead, bytesWritten: r.bytesWritten });
    if (manual !== undefined && !manual.bottom && c.level > 0) {
      // Above level 0 a manual step takes about one file's worth; continue after what it took.
      const last = c.inputs[0][c.inputs[0].length - 1]!;
      const next = userKeyOf(last.largest);
      if (manual.end !== undefined && this.opts.comparator.compare(next, manual.end) >= 0) {
        this.manualQueue.shift();
        manual.resolve();
      } else {
        manual.begin = next;
      }
    } else if (manual !== undefined) {
      this.manualQueue.shift();
      manual.resolve();
    }
    this.deleteObsoleteFiles();
  }

  /**
   * close waits for the running background job, then releases the database. Open iterators and
   * snapshots become unusable (ClosedError); later calls on the database throw ClosedError. Safe to
   * call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.closePromise !== null) return this.closePromise;
    this.closing = true;
    this.notifyProgress();
    this.closePromise = (async () => {
      while (this.groupWriterActive || this.runner.busy('flush') || this.runner.busy('compaction')) {
        if (this.runner.busy('flush') || this.runner.busy('compaction')) await this.backgroundProgress();
        else await new Promise((r) => setTimeout(r, 1));
      }
      for (const m of this.manualQueue.splice(0)) m.reject(new ClosedError('the database was closed'));
      for (const w of this.writeQueue.splice(0)) w.reject(new ClosedError('the database was closed'));
      this.closed = true;
      for (const it of [...this.iterators]) it.invalidate();
      this.iterators.clear();
      this.snapshots.invalidateAll();
      await this.runner.close();
      await Promise.all(this.removals.values());
      this.abandon();
    })();
    return this.closePromise;
  }

  /** isClosed is true once close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- internals ----

  private abandon(): void {
    this.closed = true;
    try {
      this.logFile?.close();
    } catch {
      // closing after a failure
    }
    this.logFile = null;
    this.log = null;
    this.versions.close();
    this.tableCache.close();
    this.blockCache?.clear();
    this.lock.release();
  }

  private newMemTable(): MemTable {
    const spare = this.spareArenas;
    if (spare === null) return new MemTable(this.icmp);
    this.spareArenas = null;
    return MemTable.reusing(this.icmp, spare);
  }

  /**
   * unrefMemTable drops a reference to a memtable; the last one (the database let go of it and no
   * iterator reads it) keeps its arenas for the next memtable. A flush worker is done with it by then:
   * its result was applied before the database let go.
   */
  private unrefMemTable(m: MemTable): void {
    if (--m.refs > 0 || this.spareArenas !== null || this.closed) return;
    this.spareArenas = m.releaseArenas();
  }

  private readSequence(options: ReadOptions | undefined): number {
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

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('the database is closed');
  }

  private checkGroupWritable(): void {
    if (this.closed) throw new ClosedError('the database is closed');
    if (this.bgError !== null) this.checkWritable();
  }

  private checkWritable(): void {
    if (this.closing && !this.closed) throw new ClosedError('the database is closing');
    this.checkOpen();
    if (this.bgError !== null) {
      throw new BackgroundError(
        `the database is read-only after an earlier failure: ${this.bgError.message}`,
        {
          cause: this.bgError,
        },
      );
    }
  }

  private setBackgroundError(err: unknown): void {
    if (this.bgError === null)
      this.bgError = err instanceof ShaleError ? err : new BackgroundError(String(err), { cause: err });
  }

  /** recover brings the database to its last consistent state (LevelDB DBImpl::Recover). */
  private recover(): void {
    const fs = this.fs;
    const dir = this.location;
    if (!fs.exists(currentFileName(dir))) {
      const leftovers = fs.list(dir).filter((n) => {
        const p = parseFileName(n);
        return p !== undefined && (p.type === 'manifest' || p.type === 'table' || p.type === 'log');
      });
      // Only MANIFESTs and no log or table: a creation cut short before CURRENT was written. Nothing
      // was ever written to such a database, so it is created afresh.
      const walLogs =
        this.walDir !== dir && fs.exists(this.walDir)
          ? fs.list(this.walDir).filter((n) => parseFileName(n)?.type === 'log')
          : [];
      if (
        leftovers.length > 0 &&
        walLogs.length === 0 &&
        leftovers.every((n) => parseFileName(n)!.type === 'manifest')
      ) {
        for (const n of leftovers) fs.remove(join(dir, n));
        leftovers.length = 0;
      }
      if (leftovers.length > 0) {
        throw new CorruptionError(
          `CURRENT is missing but database files remain (${leftovers.slice(0, 3).join(', ')}); run DB.repair`,
          currentFileName(dir),
        );
      }
      if (!this.opts.createIfMissing)
        throw new NotFoundError(`${dir} holds no database (createIfMissing is false)`);
      VersionSet.createNew(fs, dir, this.opts.comparator.name);
    } else if (this.opts.errorIfExists) {
      throw new InvalidArgumentError(`${dir} already exists and holds a database (errorIfExists is true)`);
    }
    const versions = this.versions;
    versions.recover();

    // Every table the version names must exist; collect the logs to replay.
    const expected = versions.liveFiles();
    const logs: number[] = [];
    for (const name of fs.list(dir)) {
      const p = parseFileName(name);
      if (p === undefined) continue;
      versions.markFileNumberUsed(p.number);
      if (p.type === 'table') expected.delete(p.number);
      else if (p.type === 'log' && this.walDir === dir) collectLog(p.number);
    }
    if (this.walDir !== dir) {
      for (const name of fs.list(this.walDir)) {
        const p = parseFileName(name);
        if (p === undefined || p.type !== 'log') continue;
        versions.markFileNumberUsed(p.number);
        collectLog(p.number);
      }
    }
    function collectLog(n: number): void {
      if (n >= versions.logNumber || n === versions.prevLogNumber) logs.push(n);
    }
    if (expected.size > 0) {
      const first = [...expected][0]!;
      throw new CorruptionError(
        `${expected.size} table file(s) missing, e.g. ${tableFileName(dir, first)}`,
        tableFileName(dir, first),
      );
    }
    logs.sort((a, b) => a - b);

    const edit = new VersionEdit();
    let maxSequence = versions.lastSequence;
    let flushedDuringReplay = false;
    let lastLogClean = false;
    const flushMem = (): void => {
      if (this.mem.count === 0) return;
      const meta = this.writeLevel0Table(this.mem);
      if (meta !== null) edit.addFile(0, meta);
      this.mem = this.newMemTable();
      flushedDuringReplay = true;
    };
    for (let i = 0; i < logs.length; i++) {
      flushedDuringReplay = false;
      const r = replayLog(
        fs,
        logFileName(this.walDir, logs[i]!),
        { mode: this.opts.walRecoveryMode, isNewest: i === logs.length - 1, icmp: this.icmp },
        () => this.mem,
        flushMem,
        this.opts.writeBufferSize,
      );
      if (r.maxSequence > maxSequence) maxSequence = r.maxSequence;
      lastLogClean = r.clean && i === logs.length - 1;
      if (r.stop) break;
    }
    versions.lastSequence = maxSequence;

    // Reuse the last log only if it was read cleanly, nothing of it was flushed already, and it is the
    // only log: the memtable then holds exactly its writes (older logs replayed into it would be deleted
    // as obsolete while their writes are only in memory).
    const lastLog = logs.length > 0 ? logs[logs.length - 1]! : -1;
    if (this.opts.reuseLogs && logs.length === 1 && lastLogClean && !flushedDuringReplay) {
      const path = logFileName(this.walDir, lastLog);
      this.logFile = fs.openAppendable(path);
      this.log = new LogWriter(this.logFile);
      this.logFileNumber = lastLog;
      edit.logNumber = lastLog;
      edit.prevLogNumber = 0;
      versions.logAndApply(edit);
    } else {
      flushMem();
      if (edit.newFiles.length > 0) fs.syncDir(dir);
      // Record the new log's number before the log exists: from that edit on, the replayed logs are
      // obsolete, so a crash in between never leaves an older log with a torn tail next to a newer one.
      const number = versions.newFileNumber();
      edit.logNumber = number;
      edit.prevLogNumber = 0;
      versions.logAndApply(edit);
      this.logFile = fs.createWritable(logFileName(this.walDir, number));
      fs.syncDir(this.walDir);
      this.log = new LogWriter(this.logFile);
      this.logFileNumber = number;
    }
    this.deleteObsoleteFiles();
  }

  /** writeLevel0Table writes a memtable to a new level-0 table during recovery. */
  private writeLevel0Table(mem: MemTable): import('../version/version-edit.js').FileMetaData | null {
    const number = this.versions.newFileNumber();
    this.pendingOutputs.add(number);
    try {
      const iter = mem.iterator();
      try {
        return buildTable(this.fs, this.location, number, iter, this.tableBuilderOptions());
      } finally {
        iter.close();
      }
    } finally {
      this.pendingOutputs.delete(number);
    }
  }

  /**
   * removeFile deletes an obsolete file, off the main thread when the file system can; failures are
   * ignored (the next pass retries). close() waits for removals in flight, so none outlives the lock.
   */
  private removeFile(path: string): void {
    const fs = this.fs;
    if (fs.removeInBackground === undefined) {
      try {
        fs.remove(path);
      } catch {
        // retried at the next pass
      }
      return;
    }
    if (this.removals.has(path)) return;
    const done = fs.removeInBackground(path).then(
      () => this.removals.delete(path),
      () => this.removals.delete(path),
    );
    this.removals.set(path, done);
  }

  /**
   * deleteObsoleteFiles removes logs older than the live one, old MANIFESTs, tables no live version
   * needs and stray temp files (LevelDB DBImpl::RemoveObsoleteFiles). Failures are ignored: a file
   * left behind is deleted at a later pass.
   */
  private deleteObsoleteFiles(): void {
    if (this.bgError !== null) return; // the state on disk is uncertain: keep everything
    const live = this.versions.liveFiles();
    for (const n of this.pendingOutputs) live.add(n);
    // Outputs of a running compaction are numbered from its floor on and named by no version yet.
    const floor = this.compactionJob?.floor ?? Infinity;
    const dirs = this.walDir === this.location ? [this.location] : [this.location, this.walDir];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = this.fs.list(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const p = parseFileName(name);
        if (p === undefined) continue;
        let keep = true;
        switch (p.type) {
          case 'log':
            keep = p.number >= this.versions.logNumber || p.number === this.versions.prevLogNumber;
            break;
          case 'manifest':
            keep = dir !== this.location || p.number >= this.versions.manifestFileNumber;
            break;
          case 'table':
            keep = dir !== this.location || live.has(p.number) || p.number >= floor;
            break;
          case 'temp':
            keep = live.has(p.number) || p.number >= floor;
            break;
          default:
            keep = true;
        }
        if (keep) continue;
        if (p.type === 'table') this.tableCache.evict(p.number);
        this.removeFile(join(dir, name));
      }
    }
  }
}

const EMPTY = new Uint8Array(0);

/** QueuedWrite is one writeAsync() call waiting for its group. */
interface QueuedWrite {
  readonly body: Uint8Array;
  readonly count: number;
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** ManualCompaction is one level's step of compactRange(), waiting for or running on the compaction lane. */
interface ManualCompaction {
  readonly level: number;
  /** bottom: rewrite `level` in place (the last step of compactRange) instead of merging it down. */
  readonly bottom: boolean;
  begin: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** SLEEP_WORD: Atomics.wait on it (never notified) is a synchronous sleep. */
const SLEEP_WORD = new Int32Array(new SharedArrayBuffer(4));

/** encodeGroup joins the writes of a group into one batch record starting at `seq`. */
function encodeGroup(group: readonly QueuedWrite[], seq: number): Uint8Array {
  let size = BATCH_HEADER_SIZE;
  let count = 0;
  for (const w of group) {
    size += w.body.length;
    count += w.count;
  }
  const rep = new Uint8Array(size);
  encodeFixed64(rep, 0, seq);
  encodeFixed32(rep, 8, count);
  let pos = BATCH_HEADER_SIZE;
  for (const w of group) {
    rep.set(w.body, pos);
    pos += w.body.length;
  }
  return rep;
}

function jobFile(f: FileMetaData): JobFile {
  return { number: f.number, fileSize: f.fileSize, smallest: f.smallest, largest: f.largest };
}

function syncOption(options: WriteOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('write options must be an object');
  const s = options.sync;
  if (s !== undefined && typeof s !== 'boolean') throw new InvalidArgumentError('sync must be a boolean');
  return s === true;
}

function iteratorBounds(o: IteratorOptions): Bounds {
  const b: { lower?: Uint8Array; lowerInclusive?: boolean; upper?: Uint8Array; upperInclusive?: boolean } =
    {};
  if (o.gte !== undefined) {
    b.lower = toBytes(o.gte, 'gte');
    b.lowerInclusive = true;
  } else if (o.gt !== undefined) {
    b.lower = toBytes(o.gt, 'gt');
    b.lowerInclusive = false;
  }
  if (o.lte !== undefined) {
    b.upper = toBytes(o.lte, 'lte');
    b.upperInclusive = true;
  } else if (o.lt !== undefined) {
    b.upper = toBytes(o.lt, 'lt');
    b.upperInclusive = false;
  }
  return b;
}
