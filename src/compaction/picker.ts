/**
 * The compaction picker (LevelDB VersionSet::PickCompaction / CompactRange / SetupOtherInputs): chooses
 * the level most over budget (round robin inside it via the compact pointer), else a file whose seek
 * allowance ran out; widens the inputs where that is free; records the grandparents.
 */
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import { userKeyOf } from '../memtable/internal-key.js';
import { NUM_LEVELS, type FileMetaData } from '../version/version-edit.js';
import type { Version } from '../version/version.js';
import type { VersionSet } from '../version/version-set.js';
import { Compaction, totalFileSize } from './compaction.js';

/** PickerOptions are the size knobs of compaction. */
export interface PickerOptions {
  readonly maxFileSize: number;
}

/** MAX_MEM_COMPACT_LEVEL: a flush may land as deep as this level when it overlaps nothing (LevelDB: 2). */
export const MAX_MEM_COMPACT_LEVEL = 2;

function maxGrandparentOverlapBytes(o: PickerOptions): number {
  return 10 * o.maxFileSize;
}

function expandedCompactionByteSizeLimit(o: PickerOptions): number {
  return 25 * o.maxFileSize;
}

/** getRange returns the smallest and largest internal keys of `files` (non-empty). */
function getRange(icmp: InternalKeyComparator, files: readonly FileMetaData[]): [Uint8Array, Uint8Array] {
  let smallest = files[0]!.smallest;
  let largest = files[0]!.largest;
  for (const f of files) {
    if (icmp.compare(f.smallest, smallest) < 0) smallest = f.smallest;
    if (icmp.compare(f.largest, largest) > 0) largest = f.largest;
  }
  return [smallest, largest];
}

/**
 * addBoundaryInputs adds files of `levelFiles` that start with the same user key the compaction's
 * largest key ends with: leaving them behind would let an older version of that user key, left at
 * this level, hide a newer one moved down (LevelDB 1.21+).
 */
function addBoundaryInputs(
  icmp: InternalKeyComparator,
  levelFiles: readonly FileMetaData[],
  inputs: FileMetaData[],
): void {
  if (inputs.length === 0) return;
  let largest = getRange(icmp, inputs)[1];
  for (;;) {
    let boundary: FileMetaData | null = null;
    for (const f of levelFiles) {
      if (
        icmp.compare(f.smallest, largest) > 0 &&
        icmp.user.compare(userKeyOf(f.smallest), userKeyOf(largest)) === 0 &&
        (boundary === null || icmp.compare(f.smallest, boundary.smallest) < 0)
      ) {
        boundary = f;
      }
    }
    if (boundary === null) return;
    inputs.push(boundary);
    largest = boundary.largest;
  }
}

/** needsCompaction returns true iff the current version has a level over budget or a seek-exhausted file. */
export function needsCompaction(v: Version): boolean {
  return v.compactionScore >= 1 || v.fileToCompact !== null;
}

/** pickCompaction returns the next automatic compaction, or null when none is needed. */
export function pickCompaction(vset: VersionSet, o: PickerOptions): Compaction | null {
  const v = vset.current;
  const icmp = vset.icmp;
  let c: Compaction;
  if (v.compactionScore >= 1) {
    const level = v.compactionLevel;
    c = new Compaction(level, v, icmp, o.maxFileSize, maxGrandparentOverlapBytes(o));
    const pointer = vset.compactPointers[level];
    for (const f of v.files[level]!) {
      if (pointer === undefined || icmp.compare(f.largest, pointer) > 0) {
        c.inputs[0].push(f);
        break;
      }
    }
    if (c.inputs[0].length === 0) c.inputs[0].push(v.files[level]![0]!); // wrap around
  } else if (v.fileToCompact !== null) {
    c = new Compaction(v.fileToCompactLevel, v, icmp, o.maxFileSize, maxGrandparentOverlapBytes(o));
    c.inputs[0].push(v.fileToCompact);
  } else {
    return null;
  }
  if (c.level === 0) {
    const [smallest, largest] = getRange(icmp, c.inputs[0]);
    c.inputs[0].splice(
      0,
      c.inputs[0].length,
      ...v.getOverlappingInputs(0, userKeyOf(smallest), userKeyOf(largest)),
    );
  }
  setupOtherInputs(vset, c, o);
  return c;
}

/**
 * compactRange returns a compaction of the files at `level` overlapping the user-key range
 * [begin, end] (undefined = unbounded), or null when none overlap. Above level 0 it takes only about
 * one output file's worth of input at a time; the caller repeats until the range is done.
 */
export function compactRange(
  vset: VersionSet,
  level: number,
  begin: Uint8Array | undefined,
  end: Uint8Array | undefined,
  o: PickerOptions,
): Compaction | null {
  const v = vset.current;
  const inputs = v.getOverlappingInputs(level, begin, end);
  if (inputs.length === 0) return null;
  if (level > 0) {
    let total = 0;
    for (let i = 0; i < inputs.length; i++) {
      total += inputs[i]!.fileSize;
      if (total >= o.maxFileSize) {
        inputs.length = i + 1;
        break;
      }
    }
  }
  const c = new Compaction(level, v, vset.icmp, o.maxFileSize, maxGrandparentOverlapBytes(o));
  c.inputs[0].push(...inputs);
  setupOtherInputs(vset, c, o);
  return c;
}

/**
 * pickBottomCompaction returns a compaction that rewrites the files of `level` overlapping [begin, end]
 * in place (RocksDB's forced bottommost compaction): shaped as a compaction from level - 1 with no
 * inputs there, so the outputs land back in `level`. Null when nothing overlaps or `level` is 0.
 */
export function pickBottomCompaction(
  vset: VersionSet,
  level: number,
  begin: Uint8Array | undefined,
  end: Uint8Array | undefined,
  o: PickerOptions,
): Compaction | null {
  if (level === 0) return null;
  const v = vset.current;
  const inputs = v.getOverlappingInputs(level, begin, end);
  if (inputs.length === 0) return null;
  const c = new Compaction(level - 1, v, vset.icmp, o.maxFileSize, maxGrandparentOverlapBytes(o));
  c.inputs[1].push(...inputs);
  addBoundaryInputs(vset.icmp, v.files[level]!, c.inputs[1]);
  if (level + 1 < NUM_LEVELS) {
    const [smallest, largest] = getRange(vset.icmp, c.inputs[1]);
    c.grandparents = v.getOverlappingInputs(level + 1, userKeyOf(smallest), userKeyOf(largest));
  }
  return c;
}

function setupOtherInputs(vset: VersionSet, c: Compaction, o: PickerOptions): void {
  const v = c.inputVersion;
  const icmp = vset.icmp;
  const level = c.level;
  addBoundaryInputs(icmp, v.files[level]!, c.inputs[0]);
  let largest = getRange(icmp, c.inputs[0])[1];
  const smallest = getRange(icmp, c.inputs[0])[0];
  c.inputs[1] = v.getOverlappingInputs(level + 1, userKeyOf(smallest), userKeyOf(largest));
  addBoundaryInputs(icmp, v.files[level + 1]!, c.inputs[1]);
  let [allStart, allLimit] = getRange(icmp, [...c.inputs[0], ...c.inputs[1]]);

  // Grow the level inputs if that pulls in no more level+1 files.
  if (c.inputs[1].length > 0) {
    const expanded0 = v.getOverlappingInputs(level, userKeyOf(allStart), userKeyOf(allLimit));
    addBoundaryInputs(icmp, v.files[level]!, expanded0);
    const inputs1Size = totalFileSize(c.inputs[1]);
    const expanded0Size = totalFileSize(expanded0);
    if (
      expanded0.length > c.inputs[0].length &&
      inputs1Size + expanded0Size < expandedCompactionByteSizeLimit(o)
    ) {
      const [newStart, newLimit] = getRange(icmp, expanded0);
      const expanded1 = v.getOverlappingInputs(level + 1, userKeyOf(newStart), userKeyOf(newLimit));
      addBoundaryInputs(icmp, v.files[level + 1]!, expanded1);
      if (expanded1.length === c.inputs[1].length) {
        largest = newLimit;
        c.inputs[0] = expanded0;
        c.inputs[1] = expanded1;
        [allStart, allLimit] = getRange(icmp, [...c.inputs[0], ...c.inputs[1]]);
      }
    }
  }
  if (level + 2 < NUM_LEVELS) {
    c.grandparents = v.getOverlappingInputs(level + 2, userKeyOf(allStart), userKeyOf(allLimit));
  }
  // The next compaction of this level starts after this one's range (round robin).
  vset.compactPointers[level] = largest;
  c.edit.compactPointers.push([level, largest]);
}

/**
 * pickLevelForMemTableOutput returns where a flushed table with user keys [smallest, largest] goes:
 * level 0 if it overlaps level 0, else as deep as MAX_MEM_COMPACT_LEVEL while it overlaps nothing and
 * the grandparent overlap stays small (LevelDB Version::PickLevelForMemTableOutput).
 */
export function pickLevelForMemTableOutput(
  v: Version,
  smallest: Uint8Array,
  largest: Uint8Array,
  o: PickerOptions,
): number {
  let level = 0;
  if (v.overlapInLevel(0, smallest, largest)) return 0;
  while (level < MAX_MEM_COMPACT_LEVEL) {
    if (v.overlapInLevel(level + 1, smallest, largest)) break;
    if (level + 2 < NUM_LEVELS) {
      const overlaps = v.getOverlappingInputs(level + 2, smallest, largest);
      if (totalFileSize(overlaps) > maxGrandparentOverlapBytes(o)) break;
    }
    level++;
  }
  return level;
}
