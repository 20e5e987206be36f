/**
 * shale: an embedded, LevelDB-compatible key-value store. This module is the public API; everything
 * else under src/ is internal.
 */
export { DB } from './db/db.js';
export type { WriteOptions, ReadOptions, IteratorOptions, ProgressOptions } from './db/db.js';
export { WriteBatch } from './db/write-batch.js';
export { Transaction } from './txn/transaction.js';
export type { Isolation, Savepoint, TransactionOptions, TransactOptions } from './txn/transaction.js';
export type { RepairReport } from './db/repair.js';
export type { VerifyReport, VerifyProblem } from './db/verify.js';
export type { CheckpointReport } from './db/checkpoint.js';
export type { Metrics, LatencyMetrics, LevelCompactionMetrics, LevelShape } from './db/metrics.js';
export { prometheusText, PROMETHEUS_CONTENT_TYPE } from './db/prometheus-text.js';
export type { PrometheusTextOptions } from './db/prometheus-text.js';
export type {
  CompactionFilter,
  CompactionFilterFactory,
  FilterDecision,
} from './compaction/compaction-filter.js';
export { KEEP, REMOVE } from './compaction/compaction-filter.js';
export { Iterator } from './db/iterator.js';
export { Snapshot } from './db/snapshot.js';
export type { Options, CompressionName } from './db/options.js';
export type { WalRecoveryMode } from './wal/recovery-mode.js';
export type { Comparator } from './util/comparator.js';
export { bytewiseComparator } from './util/comparator.js';
export type { FileSystem, WritableFile, RandomAccessFile, FileLock } from './env/file-system.js';
export { NodeFileSystem } from './env/node-fs.js';
export { MemFileSystem } from './env/mem-fs.js';
export {
  ErrorCode,
  ShaleError,
  InvalidArgumentError,
  CorruptionError,
  IOError,
  NotSupportedError,
  NotFoundError,
  LockedError,
  ClosedError,
  BackgroundError,
  TxnConflictError,
  TxnTooLargeError,
  LockTimeoutError,
  DeadlockError,
} from './util/errors.js';
