/**
 * LevelStats accumulates per-level compaction work (LevelDB's CompactionStats): time, bytes read and
 * bytes written, the inputs of `leveldb.stats` and write amplification.
 */

/** CompactionStats is the work done by flushes or compactions into one level. */
export interface CompactionStats {
  micros: number;
  bytesRead: number;
  bytesWritten: number;
  count: number;
}

/** LevelStats holds one CompactionStats per level, plus the bytes users wrote. */
export class LevelStats {
  readonly levels: CompactionStats[];
  /**
   * userBytesWritten counts the bytes of user writes as the WAL would hold them with their values
   * inline (the denominator of write amplification), wherever write-time separation put the values.
   */
  userBytesWritten = 0;
  /** writeTimeSegmentBytes counts the segment bytes write-time separation appended (the values' one write). */
  writeTimeSegmentBytes = 0;

  constructor(numLevels: number) {
    this.levels = Array.from({ length: numLevels }, () => ({
      micros: 0,
      bytesRead: 0,
      bytesWritten: 0,
      count: 0,
    }));
  }

  /** add records one job's work into `level`. */
  add(level: number, s: { micros: number; bytesRead: number; bytesWritten: number }): void {
    const l = this.levels[level]!;
    l.micros += s.micros;
    l.bytesRead += s.bytesRead;
    l.bytesWritten += s.bytesWritten;
    l.count++;
  }

  /** totalBytesWritten sums table bytes written by flushes and compactions. */
  totalBytesWritten(): number {
    let n = 0;
    for (const l of this.levels) n += l.bytesWritten;
    return n;
  }
}
