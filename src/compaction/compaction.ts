/**
 * Compaction: which files one compaction merges (LevelDB's Compaction class), as chosen by the picker.
 * The merge itself, with its rules for cutting outputs and dropping entries, is job.ts.
 */
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import { NUM_LEVELS, VersionEdit, type FileMetaData } from '../version/version-edit.js';
import type { Version } from '../version/version.js';

/** totalFileSize sums the sizes of `files`. */
export function totalFileSize(files: readonly FileMetaData[]): number {
  let n = 0;
  for (const f of files) n += f.fileSize;
  return n;
}

/** Compaction describes one merge of `inputs[0]` (at `level`) with `inputs[1]` (at `level + 1`). */
export class Compaction {
  /** inputs[0] are files at `level`, inputs[1] the overlapping files at `level + 1`. */
  readonly inputs: [FileMetaData[], FileMetaData[]] = [[], []];
  /** grandparents are the files at `level + 2` overlapping the compaction's range. */
  grandparents: FileMetaData[] = [];
  readonly edit = new VersionEdit();

  constructor(
    readonly level: number,
    readonly inputVersion: Version,
    readonly icmp: InternalKeyComparator,
    /** maxOutputFileSize is the size at which an output table is cut. */
    readonly maxOutputFileSize: number,
    /** maxGrandparentOverlapBytes: an output overlapping more of level+2 than this is cut (10 x file size). */
    readonly maxGrandparentOverlapBytes: number,
  ) {}

  /** isTrivialMove: one input file, nothing to merge with, little grandparent overlap: just relink it. */
  isTrivialMove(): boolean {
    return (
      this.inputs[0].length === 1 &&
      this.inputs[1].length === 0 &&
      totalFileSize(this.grandparents) <= this.maxGrandparentOverlapBytes
    );
  }

  /** addInputDeletions records the removal of every input file in the edit. */
  addInputDeletions(edit: VersionEdit): void {
    for (let which = 0; which < 2; which++) {
      for (const f of this.inputs[which as 0 | 1]) edit.deleteFile(this.level + which, f.number);
    }
  }
}

/**
 * deeperLevels returns, for a compaction at `level`, the files of levels level+2 and below: where a
 * tombstone could still hide something.
 */
export function deeperLevels(c: Compaction): FileMetaData[][] {
  const out: FileMetaData[][] = [];
  for (let l = c.level + 2; l < NUM_LEVELS; l++) out.push([...c.inputVersion.files[l]!]);
  return out;
}
