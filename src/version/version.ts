/**
 * Version: one immutable snapshot of the live table files per level (LevelDB db/version_set.cc).
 * Reads and iterators pin the version they started on (ref/unref), so compaction never deletes a
 * file a reader still needs.
 */
import { bytewiseComparator } from '../util/comparator.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import type { Comparator } from '../util/comparator.js';
import {
  type InternalKeyComparator,
  ValueType,
  MAX_SEQUENCE,
  TAG_SIZE,
  LOOKUP_TYPE,
  TYPE_VALUE_POINTER,
  lookupKey,
  userKeyOf,
  writeTag,
} from '../memtable/internal-key.js';
import { NUM_LEVELS, type FileMetaData, type SegmentMeta } from './version-edit.js';

const NO_SEGMENTS: ReadonlyMap<number, SegmentMeta> = new Map();
import type { TableCache, TableReadOptions } from './table-cache.js';
import { SortedKeys } from '../sstable/sorted-keys.js';

/**
 * findFile returns the index of the first file in `files` (sorted, non-overlapping) whose largest key
 * is >= `ikey`, or files.length when there is none.
 */
export function findFile(
  icmp: InternalKeyComparator,
  files: readonly FileMetaData[],
  ikey: Uint8Array,
): number {
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (icmp.compare(files[mid]!.largest, ikey) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const NO_BYTES = new Uint8Array(0);

/**
 * GetResult is the outcome of a point lookup in a version: one reused object, valid until the next get.
 * A found value lies in `valueData[valueStart, valueEnd)` (an immutable block): the DB's ValueCopier
 * copies it out from there without making a view first (a view plus `slice()` cost ~3x the pooled copy).
 */
export class GetResult {
  /** state: 'found', 'deleted' or 'notFound'. */
  state: 'found' | 'deleted' | 'notFound' = 'notFound';
  valueData: Uint8Array = NO_BYTES;
  valueStart = 0;
  valueEnd = 0;
  /** seekFile is the first file read that did not hold the key when more than one was read. */
  seekFile: FileMetaData | undefined = undefined;
  /** pointer is true when the found value is a value-log pointer (src/vlog/value-pointer.ts). */
  pointer = false;
  seekFileLevel: number | undefined = undefined;

  /** value is a view of the found value (it keeps its block in memory). Requires: state === 'found'. */
  get value(): Uint8Array {
    return this.valueData.subarray(this.valueStart, this.valueEnd);
  }
}

/** L0_SCRATCH holds the level-0 candidates of one lookup (lookups never nest). */
const L0_SCRATCH: (FileMetaData | undefined)[] = [];

/**
 * The lookup key and result of the current get, reused (lookups never nest): a fresh internal key and
 * result object per get were 5-8% of a cached point read.
 */
let lookupBuf = new Uint8Array(64);
let lookupView = lookupBuf.subarray(0, 0);
const RESULT = new GetResult();

/** scratchLookupKey returns lookupKey(userKey, seq) in the reused buffer (a view valid until the next call). */
function scratchLookupKey(userKey: Uint8Array, seq: number): Uint8Array {
  const n = userKey.length + TAG_SIZE;
  if (n > lookupBuf.length) {
    lookupBuf = new Uint8Array(Math.max(n, lookupBuf.length * 2));
    lookupView = lookupBuf.subarray(0, 0);
  }
  if (lookupView.length !== n) lookupView = lookupBuf.subarray(0, n);
  lookupView.set(userKey);
  writeTag(lookupView, userKey.length, seq, LOOKUP_TYPE);
  return lookupView;
}

function sortByNumberDesc(a: (FileMetaData | undefined)[], n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]!.number < x.number) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = x;
  }
}

/**
 * sameUserKey tells whether the user-key part of the internal key `data[start, end)` equals `userKey`
 * under `ucmp`.
 */
function sameUserKey(
  ucmp: InternalKeyComparator['user'],
  data: Uint8Array,
  start: number,
  end: number,
  userKey: Uint8Array,
): boolean {
  const n = end - start - TAG_SIZE;
  if (n === userKey.length) {
    let i = 0;
    while (i < n && data[start + i] === userKey[i]) i++;
    if (i === n) return true;
  }
  // Different bytes: only a custom comparator can still call them equal.
  return (
    ucmp !== bytewiseComparator && n >= 0 && ucmp.compare(data.subarray(start, start + n), userKey) === 0
  );
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

  /** levelKeys[level]: the files' largest keys, packed for get() on first use (levels >= 1). */
  private readonly levelKeys: (SortedKeys | undefined)[] = [];

  constructor(
    readonly icmp: InternalKeyComparator,
    /** files[level] is sorted by smallest key; level 0 files may overlap. */
    readonly files: readonly (readonly FileMetaData[])[],
    /** segments: the value-log segments the tables may point into, by number (docs/vlog.md). */
    readonly segments: ReadonlyMap<number, SegmentMeta> = NO_SEGMENTS,
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
   * deeper level. The result is one reused object, valid until the next get on any version.
   */
  get(userKey: Uint8Array, seq: number, tableCache: TableCache, opts: TableReadOptions): GetResult {
    const ucmp = this.icmp.user;
    const ikey = scratchLookupKey(userKey, seq);
    const result = RESULT;
    result.state = 'notFound';
    result.valueData = NO_BYTES;
    result.seekFile = undefined;
    result.seekFileLevel = undefined;
    let lastRead: FileMetaData | undefined;
    let lastReadLevel = -1;
    let keyHash: number | undefined;

    // Level 0: every file whose range holds the key, newest (highest number) first; then one file per
    // deeper level. A lookup that reads past a file charges that file a seek (LevelDB's rule).
    const l0 = this.files[0]!;
    let hits = 0;
    const cand = L0_SCRATCH;
    for (let i = 0; i < l0.length; i++) {
      const f = l0[i]!;
      if (ucmp.compare(userKey, f.smallestUser) >= 0 && ucmp.compare(userKey, f.largestUser) <= 0)
        cand[hits++] = f;
    }
    if (hits > 1) sortByNumberDesc(cand, hits);
    for (let level = 0, i = 0; level < NUM_LEVELS;) {
      let f: FileMetaData | undefined;
      if (level === 0) {
        if (i >= hits) {
          level++;
          continue;
        }
        f = cand[i++];
      } else {
        const files = this.files[level]!;
        level++;
        if (files.length === 0) continue;
        const lk = (this.levelKeys[level - 1] ??= SortedKeys.fromKeys(
          this.icmp,
          files.map((x) => x.largest),
        ));
        const j = lk.lowerBound(ikey);
        if (j >= files.length) continue;
        f = files[j]!;
        if (ucmp.compare(userKey, f.smallestUser) < 0) continue;
      }
      const fileLevel = level === 0 ? 0 : level - 1;
      if (lastRead !== undefined && result.seekFile === undefined) {
        result.seekFile = lastRead;
        result.seekFileLevel = lastReadLevel;
      }
      lastRead = f!;
      lastReadLevel = fileLevel;
      keyHash ??= tableCache.keyHash(ikey);
      const e = tableCache.get(f!.number, f!.fileSize, ikey, opts, keyHash);
      if (e === undefined) continue;
      const same = sameUserKey(ucmp, e.keyData, e.keyStart, e.keyEnd, userKey);
      if (same) {
        const t = e.keyData[e.keyEnd - TAG_SIZE];
        result.state = t === ValueType.VALUE || t === TYPE_VALUE_POINTER ? 'found' : 'deleted';
        result.pointer = t === TYPE_VALUE_POINTER;
        result.valueData = e.valueData;
        result.valueStart = e.valueStart;
        result.valueEnd = e.valueEnd;
      }
      // The table's entry may point into a block slab: let it go (every open table has one).
      e.valueData = NO_BYTES;
      if (!same) continue;
      cand.fill(undefined, 0, hits);
      return result;
    }
    cand.fill(undefined, 0, hits);
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
  addIterators(
    tableCache: TableCache,
    opts: TableReadOptions,
    out: InternalIterator[],
    makeLevel: LevelIteratorFactory,
  ): void {
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
  getOverlappingInputs(
    level: number,
    begin: Uint8Array | undefined,
    end: Uint8Array | undefined,
  ): FileMetaData[] {
    const ucmp = this.icmp.user;
    const inputs: FileMetaData[] = [];
    let userBegin = begin;
    let userEnd = end;
    const files = this.files[level]!;
    for (let i = 0; i < files.length;) {
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
  const afterFile = (f: FileMetaData): boolean =>
    largest !== undefined && ucmp.compare(largest, userKeyOf(f.smallest)) < 0;
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
