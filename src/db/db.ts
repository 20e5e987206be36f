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
import { MemTable } from '../memtable/memtable.js';
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
import { BATCH_HEADER_SIZE, WriteBatch, iterateBatch } from './write-batch.js';
import { DBIterator, type Bounds } from './db-iterator.js';
import { Iterator } from './iterator.js';
import { Snapshot, SnapshotList } from './snapshot.js';
import { replayLog } from './recovery.js';
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
  private readonly scratch = new Encoder(256);

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
    this.makeRoomForWrite();
    const seq = this.versions.lastSequence + 1;
    const rep = batch.encodeWithSequence(seq);
    this.appendToLog(rep, sync);
    let s = seq;
    const mem = this.mem;
    iterateBatch(rep, {
      put: (k, v) => mem.add(s++, ValueType.VALUE, k, v),
      delete: (k) => mem.add(s++, ValueType.DELETION, k, EMPTY),
    });
    this.versions.lastSequence = seq + batch.count - 1;
  }

  private writeRecord(e: Encoder, count: number, sync: boolean, apply: (seq: number) => void): void {
    this.makeRoomForWrite();
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

  /** makeRoomForWrite switches to a fresh memtable (and log) when the current one is full. */
  private makeRoomForWrite(): void {
    if (this.mem.approximateMemoryUsage() < this.opts.writeBufferSize) return;
    this.switchMemTable();
    this.flushImmutable();
  }

  /** switchMemTable makes the memtable immutable and starts a new one with a new log. */
  private switchMemTable(): void {
    if (this.imm !== null) this.flushImmutable();
    const number = this.versions.newFileNumber();
    let file: WritableFile | null = null;
    try {
      file = this.fs.createWritable(logFileName(this.walDir, number));
      this.fs.syncDir(this.walDir);
      // The older log is synced in full before any record of the newer one can be made durable, so a
      // power cut never keeps a later write while losing an earlier one.
      this.log!.sync();
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

  /** flushImmutable writes the immutable memtable to a level-0 table and records it. */
  private flushImmutable(): void {
    const imm = this.imm;
    if (imm === null) return;
    const edit = new VersionEdit();
    try {
      const number = this.versions.newFileNumber();
      this.pendingOutputs.add(number);
      const start = performance.now();
      try {
        const iter = imm.iterator();
        const meta = buildTable(this.fs, this.location, number, iter, this.tableBuilderOptions());
        iter.close();
        if (meta !== null) {
          this.fs.syncDir(this.location);
          edit.addFile(0, meta);
          this.stats.add(0, { micros: (performance.now() - start) * 1000, bytesRead: 0, bytesWritten: meta.fileSize });
        }
        edit.logNumber = this.logFileNumber;
        edit.prevLogNumber = 0;
        this.versions.logAndApply(edit);
      } finally {
        this.pendingOutputs.delete(number);
      }
    } catch (err) {
      this.setBackgroundError(err);
      throw err;
    }
    this.imm = null;
    this.deleteObsoleteFiles();
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
    const seq = this.readSequence(options);
    let v = this.mem.get(k, seq);
    if (v === undefined && this.imm !== null) v = this.imm.get(k, seq);
    if (v !== undefined) return v === null ? undefined : v.slice();
    const version = this.versions.current;
    const r = version.get(k, seq, this.tableCache, this.tableReadOptions(options));
    version.updateStats(r);
    return r.state === 'found' ? r.value!.slice() : undefined;
  }

  /** has returns true iff `key` is present. */
  has(key: Uint8Array | string, options?: ReadOptions): boolean {
    return this.get(key, options) !== undefined;
  }

  /** iterator returns an iterator (cursor and iterable) over a range at one snapshot. */
  iterator(options: IteratorOptions = {}): Iterator {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('iterator options must be an object');
    this.checkOpen();
    const bounds = iteratorBounds(options);
    const limit = options.limit === undefined || options.limit < 0 ? Infinity : options.limit;
    if (typeof limit !== 'number' || Number.isNaN(limit)) throw new InvalidArgumentError('limit must be a number');
    const seq = this.readSequence(options);
    const inner = this.internalIterator(options);
    const version = this.versions.current;
    this.versions.ref(version);
    const cursor: DBIterator = new DBIterator(inner, this.opts.comparator, seq, bounds, () => {
      this.versions.unref(version);
      this.iterators.delete(cursor);
      if (!this.closed) this.deleteObsoleteFiles();
    });
    this.iterators.add(cursor);
    return new Iterator(cursor, options.reverse === true, limit);
  }

  /** internalIterator merges the memtables and every table of the current version. @internal */
  internalIterator(options: ReadOptions = {}): InternalIterator {
    const children: InternalIterator[] = [this.mem.iterator()];
    if (this.imm !== null) children.push(this.imm.iterator());
    const ro = this.tableReadOptions(options);
    this.versions.current.addIterators(this.tableCache, ro, children, (files) => new LevelIterator(this.icmp, files, this.tableCache, ro));
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
    if (!Array.isArray(ranges)) throw new InvalidArgumentError('ranges must be an array of [start, end] pairs');
    const version = this.versions.current;
    return ranges.map((r) => {
      if (!Array.isArray(r) || r.length !== 2) throw new InvalidArgumentError('each range must be [start, end]');
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

  /** flush writes the memtable to a table now (even if it is not full). */
  async flush(): Promise<void> {
    this.checkWritable();
    if (this.mem.count === 0 && this.imm === null) return;
    if (this.mem.count > 0) this.switchMemTable();
    this.flushImmutable();
  }

  /** compactRange compacts the key range [start, end] (both optional) down the levels. */
  async compactRange(start?: Uint8Array | string, end?: Uint8Array | string): Promise<void> {
    if (start !== undefined) toBytes(start, 'start');
    if (end !== undefined) toBytes(end, 'end');
    await this.flush();
  }

  /**
   * close releases the database. Open iterators and snapshots become unusable (ClosedError); later
   * calls on the database throw ClosedError. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const it of [...this.iterators]) it.invalidate();
    this.iterators.clear();
    this.snapshots.invalidateAll();
    this.abandon();
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
    return new MemTable(this.icmp);
  }

  private readSequence(options: ReadOptions | undefined): number {
    if (options === undefined) return this.versions.lastSequence;
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('read options must be an object');
    const snap = options.snapshot;
    if (snap === undefined) return this.versions.lastSequence;
    if (!(snap instanceof Snapshot)) throw new InvalidArgumentError('snapshot must come from db.snapshot()');
    snap.checkUsable();
    return snap.sequence;
  }

  private tableReadOptions(options: ReadOptions | undefined): { verifyChecksums: boolean; fillCache: boolean } {
    return {
      verifyChecksums: options?.verifyChecksums ?? (this.opts.verifyChecksums || this.opts.paranoidChecks),
      fillCache: options?.fillCache ?? true,
    };
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('the database is closed');
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.bgError !== null) {
      throw new BackgroundError(`the database is read-only after an earlier failure: ${this.bgError.message}`, {
        cause: this.bgError,
      });
    }
  }

  private setBackgroundError(err: unknown): void {
    if (this.bgError === null) this.bgError = err instanceof ShaleError ? err : new BackgroundError(String(err), { cause: err });
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
      if (leftovers.length > 0) {
        throw new CorruptionError(
          `CURRENT is missing but database files remain (${leftovers.slice(0, 3).join(', ')}); run DB.repair`,
          currentFileName(dir),
        );
      }
      if (!this.opts.createIfMissing) throw new NotFoundError(`${dir} holds no database (createIfMissing is false)`);
      VersionSet.createNew(fs, dir, this.opts.comparator.name);
    } else if (this.opts.errorIfExists) {
      throw new InvalidArgumentError(`${dir} already holds a database (errorIfExists is true)`);
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
      throw new CorruptionError(`${expected.size} table file(s) missing, e.g. ${tableFileName(dir, first)}`, tableFileName(dir, first));
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

    // Reuse the last log only if it was read cleanly and nothing of it was flushed already.
    const lastLog = logs.length > 0 ? logs[logs.length - 1]! : -1;
    if (this.opts.reuseLogs && lastLog >= 0 && lastLogClean && !flushedDuringReplay) {
      const path = logFileName(this.walDir, lastLog);
      this.logFile = fs.openAppendable(path);
      this.log = new LogWriter(this.logFile);
      this.logFileNumber = lastLog;
    } else {
      flushMem();
      if (edit.newFiles.length > 0) fs.syncDir(dir);
      const number = versions.newFileNumber();
      this.logFile = fs.createWritable(logFileName(this.walDir, number));
      fs.syncDir(this.walDir);
      this.log = new LogWriter(this.logFile);
      this.logFileNumber = number;
    }
    edit.logNumber = this.logFileNumber;
    edit.prevLogNumber = 0;
    versions.logAndApply(edit);
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
   * deleteObsoleteFiles removes logs older than the live one, old MANIFESTs, tables no live version
   * needs and stray temp files (LevelDB DBImpl::RemoveObsoleteFiles). Failures are ignored: a file
   * left behind is deleted at a later pass.
   */
  private deleteObsoleteFiles(): void {
    if (this.bgError !== null) return; // the state on disk is uncertain: keep everything
    const live = this.versions.liveFiles();
    for (const n of this.pendingOutputs) live.add(n);
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
            keep = dir !== this.location || live.has(p.number);
            break;
          case 'temp':
            keep = live.has(p.number);
            break;
          default:
            keep = true;
        }
        if (keep) continue;
        if (p.type === 'table') this.tableCache.evict(p.number);
        try {
          this.fs.remove(join(dir, name));
        } catch {
          // retried at the next pass
        }
      }
    }
  }
}

const EMPTY = new Uint8Array(0);

function syncOption(options: WriteOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('write options must be an object');
  const s = options.sync;
  if (s !== undefined && typeof s !== 'boolean') throw new InvalidArgumentError('sync must be a boolean');
  return s === true;
}

function iteratorBounds(o: IteratorOptions): Bounds {
  const b: { lower?: Uint8Array; lowerInclusive?: boolean; upper?: Uint8Array; upperInclusive?: boolean } = {};
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
