/**
 * Version: one immutable snapshot of the live table files per level (LevelDB db/version_set.cc).
 * Reads and iterators pin the version they started on (ref/unref), so compaction never deletes a
 * file a reader still needs.
 */
import type { InternalIterator } from '../util/internal-iterator.js';
import type { Comparator } from '../util/comparator.js';
import {
  type InternalKeyComparator,
  ValueType,
  MAX_SEQUENCE,
  lookupKey,
  typeOf,
  userKeyOf,
} from '../memtable/internal-key.js';
import { NUM_LEVELS, type FileMetaData } from './version-edit.js';
import type { TableCache, TableReadOptions } from './table-cache.js';

/**
 * findFile returns the index of the first file in `files` (sorted, non-overlapping) whose largest key
 * is >= `ikey`, or files.length when there is none.
 */
export function findFile(icmp: InternalKeyComparator, files: readonly FileMetaData[], ikey: Uint8Array): number {
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (icmp.compare(files[mid]!.largest, ikey) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** GetResult is the outcome of a point lookup in a version. */
export interface GetResult {
  /** state: 'found' (value holds the value, a view to copy), 'deleted' or 'notFound'. */
  state: 'found' | 'deleted' | 'notFound';
  value?: Uint8Array;
  /** seekFile is the first file read that did not hold the key when more than one was read. */
  seekFile?: FileMetaData;
  seekFileLevel?: number;
}

/** Version lists the table files of every level at one point in time. */
export class Version {
  /** refs counts the readers pinning this version (the version set's `current` holds one). */
  refs = 0;
  /** compactionScore and compactionLevel: the level most in need of compaction (score >= 1 means needed). */
  compactionScore = -1;
  compactionLevel = -1;
  /** fileToCompact is a file whose allowed seeks ran out (seek-triggered compaction). */
  fileToCompact: FileMetaData | null = null;
  fileToCompactLevel = -1;

  constructor(
    readonly icmp: InternalKeyComparator,
    /** files[level] is sorted by smallest key; level 0 files may overlap. */
    readonly files: readonly (readonly FileMetaData[])[],
  ) {}

  /** numFiles returns how many files `level` holds. */
  numFiles(level: number): number {
    return this.files[level]!.length;
  }

  /** levelBytes returns the total size of the files at `level`. */
  levelBytes(level: number): number {
    let n = 0;
    for (const f of this.files[level]!) n += f.fileSize;
    return n;
  }

  /**
   * get looks `userKey` up at sequence `seq` in the tables: level 0 newest file first, then one file per
   * deeper level.
   */
  get(userKey: Uint8Array, seq: number, tableCache: TableCache, opts: TableReadOptions): GetResult {
    const ucmp = this.icmp.user;
    const ikey = lookupKey(userKey, seq);
    const result: GetResult = { state: 'notFound' };
    let lastRead: FileMetaData | undefined;
    let lastReadLevel = -1;

    const probe = (f: FileMetaData, level: number): boolean => {
      if (lastRead !== undefined && result.seekFile === undefined) {
        result.seekFile = lastRead;
        result.seekFileLevel = lastReadLevel;
      }
      lastRead = f;
      lastReadLevel = level;
      const e = tableCache.get(f.number, f.fileSize, ikey, opts);
      if (e === undefined || ucmp.compare(userKeyOf(e.key), userKey) !== 0) return false;
      if (typeOf(e.key) === ValueType.VALUE) {
        result.state = 'found';
        result.value = e.value;
      } else {
        result.state = 'deleted';
      }
      return true;
    };

    // Level 0: every file whose range holds the key, newest (highest number) first.
    const l0 = this.files[0]!;
    if (l0.length > 0) {
      const hits: FileMetaData[] = [];
      for (const f of l0) {
        if (ucmp.compare(userKey, userKeyOf(f.smallest)) >= 0 && ucmp.compare(userKey, userKeyOf(f.largest)) <= 0) {
          hits.push(f);
        }
      }
      hits.sort((a, b) => b.number - a.number);
      for (const f of hits) if (probe(f, 0)) return result;
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      const files = this.files[level]!;
      if (files.length === 0) continue;
      const i = findFile(this.icmp, files, ikey);
      if (i >= files.length) continue;
      const f = files[i]!;
      if (ucmp.compare(userKey, userKeyOf(f.smallest)) < 0) continue;
      if (probe(f, level)) return result;
    }
    return result;
  }

  /**
   * updateStats charges a seek to the file a lookup read needlessly; returns true when that file has
   * used up its allowed seeks and should be compacted.
   */
  updateStats(r: GetResult): boolean {
    const f = r.seekFile;
    if (f === undefined) return false;
    f.allowedSeeks--;
    if (f.allowedSeeks <= 0 && this.fileToCompact === null) {
      this.fileToCompact = f;
      this.fileToCompactLevel = r.seekFileLevel!;
      return true;
    }
    return false;
  }

  /** addIterators appends iterators covering every file: one per level-0 file, one per deeper level. */
  addIterators(tableCache: TableCache, opts: TableReadOptions, out: InternalIterator[], makeLevel: LevelIteratorFactory): void {
    for (const f of this.files[0]!) out.push(tableCache.iterator(f.number, f.fileSize, opts));
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (this.files[level]!.length > 0) out.push(makeLevel(this.files[level]!));
    }
  }

  /**
   * overlapInLevel returns true iff some file at `level` overlaps the user-key range
   * [smallest, largest] (undefined means unbounded).
   */
  overlapInLevel(level: number, smallest: Uint8Array | undefined, largest: Uint8Array | undefined): boolean {
    return someFileOverlapsRange(this.icmp, level > 0, this.files[level]!, smallest, largest);
  }

  /**
   * getOverlappingInputs returns the files at `level` that overlap the user-key range [begin, end]
   * (undefined = unbounded). At level 0 the range grows to cover every overlapping file's range, as
   * level-0 files overlap each other.
   */
  getOverlappingInputs(level: number, begin: Uint8Array | undefined, end: Uint8Array | undefined): FileMetaData[] {
    const ucmp = this.icmp.user;
    const inputs: FileMetaData[] = [];
    let userBegin = begin;
    let userEnd = end;
    const files = this.files[level]!;
    for (let i = 0; i < files.length; ) {
      const f = files[i++]!;
      const fStart = userKeyOf(f.smallest);
      const fLimit = userKeyOf(f.largest);
      if (userBegin !== undefined && ucmp.compare(fLimit, userBegin) < 0) continue;
      if (userEnd !== undefined && ucmp.compare(fStart, userEnd) > 0) continue;
      inputs.push(f);
      if (level === 0) {
        // Level-0 files may overlap each other: widen the range and restart.
        if (userBegin !== undefined && ucmp.compare(fStart, userBegin) < 0) {
          userBegin = fStart;
          inputs.length = 0;
          i = 0;
        } else if (userEnd !== undefined && ucmp.compare(fLimit, userEnd) > 0) {
          userEnd = fLimit;
          inputs.length = 0;
          i = 0;
        }
      }
    }
    return inputs;
  }
}

/** LevelIteratorFactory builds the iterator of one level's files. */
export type LevelIteratorFactory = (files: readonly FileMetaData[]) => InternalIterator;

/**
 * someFileOverlapsRange returns true iff a file in `files` overlaps the user-key range
 * [smallest, largest]. `disjoint` says the files are sorted and non-overlapping (levels >= 1), which
 * allows a binary search.
 */
export function someFileOverlapsRange(
  icmp: InternalKeyComparator,
  disjoint: boolean,
  files: readonly FileMetaData[],
  smallest: Uint8Array | undefined,
  largest: Uint8Array | undefined,
): boolean {
  const ucmp: Comparator = icmp.user;
  const afterFile = (f: FileMetaData): boolean => largest !== undefined && ucmp.compare(largest, userKeyOf(f.smallest)) < 0;
  const beforeFile = (f: FileMetaData): boolean =>
    smallest !== undefined && ucmp.compare(smallest, userKeyOf(f.largest)) > 0;
  if (!disjoint) {
    for (const f of files) if (!afterFile(f) && !beforeFile(f)) return true;
    return false;
  }
  let index = 0;
  if (smallest !== undefined) {
    // The earliest possible internal key for `smallest`.
    index = findFile(icmp, files, lookupKey(smallest, MAX_SEQUENCE));
  }
  if (index >= files.length) return false;
  return !afterFile(files[index]!);
}
