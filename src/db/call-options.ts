/**
 * The options of one call (a write, a read, an iterator) and their checks: bad input is an
 * InvalidArgumentError before anything happens.
 */
import { toBytes } from '../util/bytes.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { Bounds } from './db-iterator.js';
import type { Snapshot } from './snapshot.js';

/** WriteOptions control one write. */
/**
 * ProgressOptions: long operations (verify, repair, checkpoint, compactRange, dump) report how far they
 * are through `onProgress(done, total)`, in the operation's own unit (bytes or files or steps, see each);
 * `total` may grow while the work finds more to do. Called synchronously, so keep it cheap.
 */
export interface ProgressOptions {
  readonly onProgress?: (done: number, total: number) => void;
}

/** WriteOptions are the per-call settings of writes. */
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

/** syncOption returns the `sync` flag of write options, checking their type. */
export function syncOption(options: WriteOptions | undefined): boolean {
  if (options === undefined) return false;
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('write options must be an object');
  const s = options.sync;
  if (s !== undefined && typeof s !== 'boolean') throw new InvalidArgumentError('sync must be a boolean');
  return s === true;
}

/** checkIteratorOptions checks iterator options; returns the bounds and the limit (Infinity: none). */
export function checkIteratorOptions(options: IteratorOptions): { bounds: Bounds; limit: number } {
  if (options === null || typeof options !== 'object')
    throw new InvalidArgumentError('iterator options must be an object');
  const bounds = iteratorBounds(options);
  const limit = options.limit === undefined || options.limit < 0 ? Infinity : options.limit;
  if (typeof limit !== 'number' || Number.isNaN(limit))
    throw new InvalidArgumentError('limit must be a number');
  return { bounds, limit };
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
