/**
 * Options: what `DB.open` accepts, with LevelDB's defaults except where noted (docs/options.md).
 */
import type { Comparator } from '../util/comparator.js';
import { bytewiseComparator } from '../util/comparator.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { FileSystem } from '../env/file-system.js';
import type { WalRecoveryMode } from '../wal/recovery-mode.js';
import { BLOCK_SIZE } from '../wal/log-format.js';
import { CompressionType } from '../sstable/compression.js';
import type { CompactionFilterFactory } from '../compaction/compaction-filter.js';
import type { ValueLogSettings } from '../vlog/vlog-format.js';

/** CompressionName is the user-facing name of a block compression. */
export type CompressionName = 'snappy' | 'none' | 'zstd';

/** Options configure a database when it is opened. Every field is optional. */
export interface Options {
  /** createIfMissing: create the database if the directory holds none. Default true (classic-level's). */
  createIfMissing?: boolean;
  /** errorIfExists: fail if a database already exists. Default false. */
  errorIfExists?: boolean;
  /**
   * readOnly: open without the lock, never write or delete a file, refuse writes (NotSupportedError).
   * Works beside a writer (even in another process): the reader sees the database as of its open,
   * including writes still only in the writer's log. Default false.
   */
  readOnly?: boolean;
  /**
   * secondary: a read-only open that can follow a primary writing in another process: `db.catchUp()`
   * replays the primary's newer MANIFEST edits and logs (RocksDB's secondary instance; see
   * DB.openSecondary). Implies readOnly. Default false.
   */
  secondary?: boolean;
  /** paranoidChecks: check aggressively and stop at the first sign of damage. Default false. */
  paranoidChecks?: boolean;
  /** writeBufferSize: bytes of writes held in the memtable before it is flushed to a table. Default 4 MiB. */
  writeBufferSize?: number;
  /**
   * maxImmutableMemTables: full memtables that may wait for their flush (one is flushed at a time)
   * before writes wait. More let writes go on while a flush runs (RocksDB's max_write_buffer_number,
   * less one), at writeBufferSize of memory each. Default 2 (LevelDB: 1).
   */
  maxImmutableMemTables?: number;
  /** maxOpenFiles: table files kept open at once (the table cache holds maxOpenFiles - 10). Default 1000. */
  maxOpenFiles?: number;
  /** blockSize: target uncompressed size of a table's data blocks. Default 4096. */
  blockSize?: number;
  /** blockRestartInterval: keys between restart points in a data block. Default 16. */
  blockRestartInterval?: number;
  /** maxFileSize: target size of the tables compaction writes. Default 2 MiB. */
  maxFileSize?: number;
  /**
   * compression: 'snappy' (default, as LevelDB), 'none', or 'zstd' (opt-in; upstream LevelDB's type 2,
   * which LevelDB 1.20 — the version inside classic-level — cannot read).
   */
  compression?: CompressionName;
  /** bloomBitsPerKey: bits per key of each table's bloom filter; 0 writes no filter. Default 10. */
  bloomBitsPerKey?: number;
  /** comparator: the order of keys. Its name is recorded and must match at every open. Default bytewise. */
  comparator?: Comparator;
  /** walRecoveryMode: what to do with a damaged write-ahead log at open. Default 'tolerateCorruptedTailRecords'. */
  walRecoveryMode?: WalRecoveryMode;
  /** reuseLogs: keep appending to the last WAL after a reopen instead of starting a new one. Default false. */
  reuseLogs?: boolean;
  /** walDir: keep write-ahead logs in this directory instead of the database directory. */
  walDir?: string;
  /** blockCacheSize: bytes of uncompressed blocks kept in memory. Default 8 MiB. */
  blockCacheSize?: number;
  /**
   * compressedBlockCacheSize: bytes of data blocks kept as they are in their files (compressed, checksum
   * verified), so a block-cache miss copies from memory instead of reading the file. Default 48 MiB; 0: none.
   * Memory is taken as blocks are read (a small database uses only its size).
   */
  compressedBlockCacheSize?: number;
  /** verifyChecksums: verify block checksums on every read from disk. Default true (LevelDB: false). */
  verifyChecksums?: boolean;
  /**
   * syncOnCaller: a synced commit that has no company (a transaction commit, or putAsync/writeAsync with
   * sync, while no other is in this turn and no fsync runs) fsyncs on the calling thread instead of the
   * thread pool: lower latency, while the event loop waits for the disk. The first overlap of commits
   * switches to group commit. Default true; false: always group commit off the main thread.
   */
  syncOnCaller?: boolean;
  /**
   * walPreallocateSize: while the write-ahead log is being synced it is zero-filled this many bytes at a
   * time ahead of its end, so a synced commit overwrites space already in the file instead of growing it
   * (fdatasync then has no size change to commit); a log nobody syncs grows by appends. A multiple of
   * 32 KiB; 0 turns it off. Default 1 MiB.
   */
  walPreallocateSize?: number;
  /** maxManifestFileSize: the MANIFEST starts afresh past this size. Default 64 MiB. */
  maxManifestFileSize?: number;
  /** l0CompactionTrigger: level-0 files that start a compaction. Default 4. */
  l0CompactionTrigger?: number;
  /** l0SlowdownWritesTrigger: level-0 files at which each write is delayed 1 ms. Default 8. */
  l0SlowdownWritesTrigger?: number;
  /** l0StopWritesTrigger: level-0 files at which writes wait for compaction. Default 12. */
  l0StopWritesTrigger?: number;
  /** level1MaxBytes: size budget of level 1; each deeper level gets 10x. Default 10 MiB. */
  level1MaxBytes?: number;
  /** fs: the FileSystem to use (tests use an in-memory one). Default: the real disk. */
  fs?: FileSystem;
  /**
   * backgroundJobs: where flushes and compactions run. 'worker' (default): on background worker
   * threads, so the main thread never stalls on them; 'inline': on the calling thread, at the moment
   * they are needed (deterministic; for tests). Jobs run inline regardless when the file system is not
   * the real disk, the comparator is not the default bytewise one, or a compaction filter is set: those
   * are JavaScript objects a worker thread cannot share.
   */
  backgroundJobs?: 'worker' | 'inline';
  /**
   * compactionFilterFactory: creates a CompactionFilter for each compaction, which may keep, remove or
   * change values as compaction rewrites them (never a version a live snapshot can see).
   */
  compactionFilterFactory?: CompactionFilterFactory;
  /**
   * valueLog: key-value separation (docs/vlog.md). Off by default, and then every file is LevelDB's.
   * When on, flushes and compactions move values of at least `minValueSize` bytes (default 1 KiB) to
   * value-log segments (`NNNNNN.vlog`, at most about `segmentSize` bytes each, default 64 MiB) and the
   * tables keep pointers; reads follow them through a cache of `cacheSize` bytes (default 8 MiB). A
   * database that holds segments refuses to open without this option (NotSupportedError), and LevelDB
   * refuses to open it (its MANIFEST carries a tag LevelDB does not know).
   */
  valueLog?: ValueLogOptions;
}

/** ValueLogOptions configure the value log; see Options.valueLog. */
export interface ValueLogOptions {
  minValueSize?: number;
  segmentSize?: number;
  cacheSize?: number;
  /** gcRatio: segments whose live ratio falls below it are rewritten by garbage collection (0.5). */
  gcRatio?: number;
  /** backgroundGc: run garbage collection after compactions that made garbage (default true). */
  backgroundGc?: boolean;
  /**
   * mode: 'separate' (default) moves large values into segments at flush and compaction; 'inline'
   * separates nothing and moves values back into the tables as compactions rewrite them (see
   * DB.migrateFromValueLog, which uses it to make a database LevelDB's again).
   */
  mode?: 'separate' | 'inline';
  /**
   * separateAt: 'write' (default) appends a large value to the open segment when it is written, and
   * the WAL and the memtable hold only its pointer (the value is written once); 'flush' keeps values
   * in the WAL and memtable and separates them when the memtable is flushed (docs/vlog.md).
   */
  separateAt?: 'write' | 'flush';
  /** compression: 'snappy' (default) stores a value compressed when that saves an eighth; 'none'. */
  compression?: 'snappy' | 'none';
}

/** ResolvedOptions are Options with every default filled in. @internal */
export interface ResolvedOptions {
  readonly createIfMissing: boolean;
  readonly errorIfExists: boolean;
  readonly readOnly: boolean;
  readonly secondary: boolean;
  readonly paranoidChecks: boolean;
  readonly writeBufferSize: number;
  readonly maxImmutableMemTables: number;
  readonly maxOpenFiles: number;
  readonly blockSize: number;
  readonly blockRestartInterval: number;
  readonly maxFileSize: number;
  readonly compression: CompressionType;
  readonly bloomBitsPerKey: number;
  readonly comparator: Comparator;
  readonly walRecoveryMode: WalRecoveryMode;
  readonly reuseLogs: boolean;
  readonly walDir: string | undefined;
  readonly blockCacheSize: number;
  readonly compressedBlockCacheSize: number;
  readonly verifyChecksums: boolean;
  readonly syncOnCaller: boolean;
  readonly walPreallocateSize: number;
  readonly maxManifestFileSize: number;
  readonly l0CompactionTrigger: number;
  readonly l0SlowdownWritesTrigger: number;
  readonly l0StopWritesTrigger: number;
  readonly level1MaxBytes: number;
  readonly backgroundJobs: 'worker' | 'inline';
  readonly compactionFilterFactory: CompactionFilterFactory | undefined;
  /** valueLog: null when off. */
  readonly valueLog: ResolvedValueLogOptions | null;
}

/** ResolvedValueLogOptions are ValueLogOptions with the defaults filled in. */
export interface ResolvedValueLogOptions {
  readonly minValueSize: number;
  readonly segmentSize: number;
  readonly cacheSize: number;
  readonly gcRatio: number;
  readonly backgroundGc: boolean;
  readonly mode: 'separate' | 'inline';
  readonly separateAt: 'write' | 'flush';
  readonly compression: 'snappy' | 'none';
}

/** valueLogSettings returns what a flush or compaction job needs of the value-log options. */
export function valueLogSettings(opts: ResolvedOptions): ValueLogSettings | null {
  const v = opts.valueLog;
  return v === null || v.mode === 'inline'
    ? null
    : { minValueSize: v.minValueSize, segmentSize: v.segmentSize, compress: v.compression === 'snappy' };
}

function resolveValueLog(v: unknown): ResolvedValueLogOptions | null {
  if (v === undefined || v === null || v === false) return null;
  if (v === true) v = {};
  if (typeof v !== 'object') throw new InvalidArgumentError('option valueLog must be an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (
      ![
        'minValueSize',
        'segmentSize',
        'cacheSize',
        'gcRatio',
        'backgroundGc',
        'mode',
        'separateAt',
        'compression',
      ].includes(k)
    )
      throw new InvalidArgumentError(`unknown valueLog option ${k}`);
  }
  const mode = o.mode ?? 'separate';
  if (mode !== 'separate' && mode !== 'inline')
    throw new InvalidArgumentError(
      `option valueLog.mode must be 'separate' or 'inline', got ${String(mode)}`,
    );
  const separateAt = o.separateAt ?? 'write';
  if (separateAt !== 'write' && separateAt !== 'flush')
    throw new InvalidArgumentError(
      `option valueLog.separateAt must be 'write' or 'flush', got ${String(separateAt)}`,
    );
  const compression = o.compression ?? 'snappy';
  if (compression !== 'snappy' && compression !== 'none')
    throw new InvalidArgumentError(
      `option valueLog.compression must be 'snappy' or 'none', got ${String(compression)}`,
    );
  const gcRatio = o.gcRatio ?? 0.5;
  if (typeof gcRatio !== 'number' || !(gcRatio >= 0 && gcRatio <= 1))
    throw new InvalidArgumentError(`option gcRatio must be a number in [0, 1], got ${String(gcRatio)}`);
  return {
    minValueSize: int(o, 'minValueSize', 1024, 1),
    segmentSize: int(o, 'segmentSize', 64 * 1048576, 1024),
    cacheSize: int(o, 'cacheSize', 8 * 1048576, 0),
    gcRatio,
    backgroundGc: bool(o, 'backgroundGc', true),
    mode,
    separateAt,
    compression,
  };
}

/** DEFAULT_WAL_PREALLOCATE_SIZE: 1 MiB of zeros at a time (docs/wal.md has the measurements). */
export const DEFAULT_WAL_PREALLOCATE_SIZE = 1 << 20;

const RECOVERY_MODES: readonly WalRecoveryMode[] = [
  'tolerateCorruptedTailRecords',
  'absoluteConsistency',
  'pointInTime',
  'skipAnyCorruptedRecords',
];

function bool(o: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`option ${name} must be a boolean`);
  return v;
}

function int(
  o: Record<string, unknown>,
  name: string,
  dflt: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = o[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`option ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/** walPreallocateSize reads the option of that name: 0, or a multiple of the log's 32 KiB block. */
function walPreallocateSize(o: Record<string, unknown>): number {
  const n = int(o, 'walPreallocateSize', DEFAULT_WAL_PREALLOCATE_SIZE, 0, 1 << 30);
  if (n % BLOCK_SIZE !== 0)
    throw new InvalidArgumentError(`option walPreallocateSize must be 0 or a multiple of ${BLOCK_SIZE}`);
  return n;
}

/** resolveOptions validates `options` and fills in defaults. Throws InvalidArgumentError on a bad value. */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('options must be an object');
  const o = options as Record<string, unknown>;
  const compressionName = o.compression ?? 'snappy';
  const compression =
    compressionName === 'snappy'
      ? CompressionType.SNAPPY
      : compressionName === 'none'
        ? CompressionType.NONE
        : compressionName === 'zstd'
          ? CompressionType.ZSTD
          : undefined;
  if (compression === undefined) {
    throw new InvalidArgumentError(
      `option compression must be 'snappy', 'none' or 'zstd', got ${String(compressionName)}`,
    );
  }
  const comparator = (o.comparator ?? bytewiseComparator) as Comparator;
  if (
    typeof comparator !== 'object' ||
    typeof comparator.name !== 'string' ||
    typeof comparator.compare !== 'function' ||
    typeof comparator.findShortestSeparator !== 'function' ||
    typeof comparator.findShortSuccessor !== 'function'
  ) {
    throw new InvalidArgumentError('option comparator must implement the Comparator interface');
  }
  const walRecoveryMode = (o.walRecoveryMode ?? 'tolerateCorruptedTailRecords') as WalRecoveryMode;
  if (!RECOVERY_MODES.includes(walRecoveryMode)) {
    throw new InvalidArgumentError(`option walRecoveryMode must be one of ${RECOVERY_MODES.join(', ')}`);
  }
  if (o.walDir !== undefined && typeof o.walDir !== 'string')
    throw new InvalidArgumentError('option walDir must be a string');
  const backgroundJobs = o.backgroundJobs ?? 'worker';
  if (backgroundJobs !== 'worker' && backgroundJobs !== 'inline') {
    throw new InvalidArgumentError(
      `option backgroundJobs must be 'worker' or 'inline', got ${String(backgroundJobs)}`,
    );
  }
  if (o.compactionFilterFactory !== undefined && typeof o.compactionFilterFactory !== 'function') {
    throw new InvalidArgumentError('option compactionFilterFactory must be a function');
  }
  const l0CompactionTrigger = int(o, 'l0CompactionTrigger', 4, 1, 1000);
  const l0SlowdownWritesTrigger = int(o, 'l0SlowdownWritesTrigger', 8, 1, 1000);
  return {
    createIfMissing: bool(o, 'createIfMissing', true),
    errorIfExists: bool(o, 'errorIfExists', false),
    readOnly: bool(o, 'readOnly', false) || bool(o, 'secondary', false),
    secondary: bool(o, 'secondary', false),
    paranoidChecks: bool(o, 'paranoidChecks', false),
    writeBufferSize: int(o, 'writeBufferSize', 4 * 1048576, 1024),
    maxImmutableMemTables: int(o, 'maxImmutableMemTables', 2, 1, 16),
    maxOpenFiles: int(o, 'maxOpenFiles', 1000, 12),
    blockSize: int(o, 'blockSize', 4096, 1, 256 * 1048576),
    blockRestartInterval: int(o, 'blockRestartInterval', 16, 1, 65536),
    maxFileSize: int(o, 'maxFileSize', 2 * 1048576, 1),
    compression,
    bloomBitsPerKey: int(o, 'bloomBitsPerKey', 10, 0, 100),
    comparator,
    walRecoveryMode,
    reuseLogs: bool(o, 'reuseLogs', false),
    walDir: o.walDir as string | undefined,
    blockCacheSize: int(o, 'blockCacheSize', 8 * 1048576, 0),
    compressedBlockCacheSize: int(o, 'compressedBlockCacheSize', 48 * 1048576, 0),
    verifyChecksums: bool(o, 'verifyChecksums', true),
    syncOnCaller: bool(o, 'syncOnCaller', true),
    walPreallocateSize: walPreallocateSize(o),
    maxManifestFileSize: int(o, 'maxManifestFileSize', 64 * 1048576, 1),
    l0CompactionTrigger,
    l0SlowdownWritesTrigger,
    l0StopWritesTrigger: int(o, 'l0StopWritesTrigger', 12, 1, 1000),
    level1MaxBytes: int(o, 'level1MaxBytes', 10 * 1048576, 1),
    backgroundJobs,
    compactionFilterFactory: o.compactionFilterFactory as CompactionFilterFactory | undefined,
    valueLog: resolveValueLog(o.valueLog),
  };
}
