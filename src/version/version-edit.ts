/**
 * VersionEdit (LevelDB db/version_edit.cc): one MANIFEST record, a delta between two versions of the
 * set of live table files. See docs/formats.md for the tags.
 */
import { Decoder, Encoder } from '../util/coding.js';
import { CorruptionError } from '../util/errors.js';
import { checkInternalKey } from '../memtable/internal-key.js';

// FROZEN: on-disk VersionEdit tags. Tag 8 ("large value refs") is retired and rejected, as in LevelDB.
const Tag = {
  COMPARATOR: 1,
  LOG_NUMBER: 2,
  NEXT_FILE_NUMBER: 3,
  LAST_SEQUENCE: 4,
  COMPACT_POINTER: 5,
  DELETED_FILE: 6,
  NEW_FILE: 7,
  PREV_LOG_NUMBER: 9,
  // shale extensions (docs/vlog.md). LevelDB rejects an unknown tag, so a MANIFEST naming a value-log
  // segment fails to open there with "Corruption: VersionEdit: unknown tag" instead of being misread.
  NEW_SEGMENT: 100,
  DELETED_SEGMENT: 101,
  SEGMENT_GARBAGE: 102,
  GC_RUN: 103,
  // A segment being written by write-time separation: WAL records may point into it before any table
  // does. Recorded before its first byte is written; a later NEW_SEGMENT or DELETED_SEGMENT ends it.
  ACTIVE_SEGMENT: 104,
} as const;

/** GcRunRecord is one value-log garbage collection, kept in the MANIFEST for `shale stats`. */
export interface GcRunRecord {
  /** time: when the run ended, in milliseconds since 1970. */
  readonly time: number;
  readonly segmentsRewritten: number;
  readonly valuesRelocated: number;
  readonly bytesRelocated: number;
  readonly segmentsDropped: number;
}

/** SegmentMeta describes one value-log segment file (src/vlog/) in a version. */
export interface SegmentMeta {
  readonly number: number;
  /** size is the segment file's length in bytes. */
  readonly size: number;
  /** records and valueBytes: how many values the segment holds and their total length. */
  readonly records: number;
  readonly valueBytes: number;
  /**
   * garbageRecords and garbageBytes: of those, the values whose pointers compactions have dropped
   * (overwritten or deleted). The rest is live or still reachable from a shadowed entry.
   */
  readonly garbageRecords: number;
  readonly garbageBytes: number;
}

/** SegmentGarbage is a change of a segment's garbage counters (from one compaction). */
export interface SegmentGarbage {
  readonly number: number;
  readonly records: number;
  readonly bytes: number;
}

/** NUM_LEVELS is the number of levels in the tree (LevelDB config::kNumLevels). */
export const NUM_LEVELS = 7;

/** FileMetaData describes one table file in a version. */
export interface FileMetaData {
  readonly number: number;
  readonly fileSize: number;
  /** smallest is the smallest internal key in the file. */
  readonly smallest: Uint8Array;
  /** largest is the largest internal key in the file. */
  readonly largest: Uint8Array;
  /** smallestUser, largestUser: the user keys of smallest and largest (views; lookups compare these). */
  readonly smallestUser: Uint8Array;
  readonly largestUser: Uint8Array;
  /** allowedSeeks counts down reads that had to look past this file (seek-triggered compaction). */
  allowedSeeks: number;
}

/** newFileMetaData builds a FileMetaData with LevelDB's initial allowedSeeks (one per 16 KiB, min 100). */
export function newFileMetaData(
  number: number,
  fileSize: number,
  smallest: Uint8Array,
  largest: Uint8Array,
): FileMetaData {
  return {
    number,
    fileSize,
    smallest,
    largest,
    smallestUser: smallest.subarray(0, smallest.length - 8),
    largestUser: largest.subarray(0, largest.length - 8),
    allowedSeeks: Math.max(100, Math.floor(fileSize / 16384)),
  };
}

/** VersionEdit collects the changes of one MANIFEST record. */
export class VersionEdit {
  comparator: string | undefined;
  logNumber: number | undefined;
  prevLogNumber: number | undefined;
  nextFileNumber: number | undefined;
  lastSequence: number | undefined;
  readonly compactPointers: [level: number, key: Uint8Array][] = [];
  /** deletedFiles holds `level:number` strings so duplicates collapse. */
  readonly deletedFiles = new Set<string>();
  readonly newFiles: [level: number, file: FileMetaData][] = [];
  /** newSegments: value-log segments the edit adds; deletedSegments: segment numbers it drops. */
  readonly newSegments: SegmentMeta[] = [];
  readonly deletedSegments = new Set<number>();
  /** segmentGarbage: values of live segments that became garbage (added to their counters). */
  readonly segmentGarbage: SegmentGarbage[] = [];
  /** gcRuns: garbage collection runs to remember (the version set keeps the last few). */
  readonly gcRuns: GcRunRecord[] = [];
  /** activeSegments: segments write-time separation starts appending to (WAL records point in). */
  readonly activeSegments: number[] = [];

  /** addSegment records a new value-log segment (no garbage unless given). */
  addSegment(s: Omit<SegmentMeta, 'garbageRecords' | 'garbageBytes'> & Partial<SegmentMeta>): this {
    this.newSegments.push({
      number: s.number,
      size: s.size,
      records: s.records,
      valueBytes: s.valueBytes,
      garbageRecords: s.garbageRecords ?? 0,
      garbageBytes: s.garbageBytes ?? 0,
    });
    return this;
  }

  /** addFile records a new table at `level`. */
  addFile(level: number, file: FileMetaData): this {
    this.newFiles.push([level, file]);
    return this;
  }

  /** deleteFile records that table `number` leaves `level`. */
  deleteFile(level: number, number: number): this {
    this.deletedFiles.add(`${level}:${number}`);
    return this;
  }

  /** deletedFileList returns the deleted files as [level, number] pairs. */
  deletedFileList(): [level: number, number: number][] {
    return [...this.deletedFiles].map((s) => {
      const i = s.indexOf(':');
      return [Number(s.slice(0, i)), Number(s.slice(i + 1))];
    });
  }

  /** encode returns the edit in LevelDB's tagged format. */
  encode(): Uint8Array {
    const e = new Encoder(64);
    if (this.comparator !== undefined)
      e.varint32(Tag.COMPARATOR).lengthPrefixed(new TextEncoder().encode(this.comparator));
    if (this.logNumber !== undefined) e.varint32(Tag.LOG_NUMBER).varint64(this.logNumber);
    if (this.prevLogNumber !== undefined) e.varint32(Tag.PREV_LOG_NUMBER).varint64(this.prevLogNumber);
    if (this.nextFileNumber !== undefined) e.varint32(Tag.NEXT_FILE_NUMBER).varint64(this.nextFileNumber);
    if (this.lastSequence !== undefined) e.varint32(Tag.LAST_SEQUENCE).varint64(this.lastSequence);
    for (const [level, key] of this.compactPointers)
      e.varint32(Tag.COMPACT_POINTER).varint32(level).lengthPrefixed(key);
    for (const [level, number] of this.deletedFileList())
      e.varint32(Tag.DELETED_FILE).varint32(level).varint64(number);
    for (const [level, f] of this.newFiles) {
      e.varint32(Tag.NEW_FILE).varint32(level).varint64(f.number).varint64(f.fileSize);
      e.lengthPrefixed(f.smallest).lengthPrefixed(f.largest);
    }
    for (const n of this.deletedSegments) e.varint32(Tag.DELETED_SEGMENT).varint64(n);
    for (const s of this.newSegments) {
      e.varint32(Tag.NEW_SEGMENT).varint64(s.number).varint64(s.size).varint64(s.records);
      e.varint64(s.valueBytes).varint64(s.garbageRecords).varint64(s.garbageBytes);
    }
    for (const g of this.segmentGarbage)
      e.varint32(Tag.SEGMENT_GARBAGE).varint64(g.number).varint64(g.records).varint64(g.bytes);
    for (const n of this.activeSegments) e.varint32(Tag.ACTIVE_SEGMENT).varint64(n);
    for (const r of this.gcRuns) {
      e.varint32(Tag.GC_RUN).varint64(r.time).varint64(r.segmentsRewritten).varint64(r.valuesRelocated);
      e.varint64(r.bytesRelocated).varint64(r.segmentsDropped);
    }
    return e.toBytes();
  }

  /** decode parses a MANIFEST record; throws CorruptionError naming `file` on any malformed field. */
  static decode(record: Uint8Array, file?: string): VersionEdit {
    const edit = new VersionEdit();
    const d = new Decoder(record);
    const level = (): number => {
      const l = d.varint32();
      if (l >= NUM_LEVELS) throw new CorruptionError(`version edit names level ${l}`, file);
      return l;
    };
    const ikey = (): Uint8Array => {
      const k = d.lengthPrefixed().slice();
      checkInternalKey(k, file);
      return k;
    };
    try {
      while (d.remaining > 0) {
        const tag = d.varint32();
        switch (tag) {
          case Tag.COMPARATOR:
            edit.comparator = new TextDecoder().decode(d.lengthPrefixed());
            break;
          case Tag.LOG_NUMBER:
            edit.logNumber = d.varint64();
            break;
          case Tag.PREV_LOG_NUMBER:
            edit.prevLogNumber = d.varint64();
            break;
          case Tag.NEXT_FILE_NUMBER:
            edit.nextFileNumber = d.varint64();
            break;
          case Tag.LAST_SEQUENCE:
            edit.lastSequence = d.varint64();
            break;
          case Tag.COMPACT_POINTER: {
            const l = level();
            edit.compactPointers.push([l, ikey()]);
            break;
          }
          case Tag.DELETED_FILE: {
            const l = level();
            edit.deleteFile(l, d.varint64());
            break;
          }
          case Tag.NEW_FILE: {
            const l = level();
            const number = d.varint64();
            const size = d.varint64();
            const smallest = ikey();
            const largest = ikey();
            edit.addFile(l, newFileMetaData(number, size, smallest, largest));
            break;
          }
          case Tag.NEW_SEGMENT: {
            const number = d.varint64();
            const size = d.varint64();
            const records = d.varint64();
            const valueBytes = d.varint64();
            const garbageRecords = d.varint64();
            const garbageBytes = d.varint64();
            edit.addSegment({ number, size, records, valueBytes, garbageRecords, garbageBytes });
            break;
          }
          case Tag.GC_RUN: {
            const time = d.varint64();
            const segmentsRewritten = d.varint64();
            const valuesRelocated = d.varint64();
            const bytesRelocated = d.varint64();
            const segmentsDropped = d.varint64();
            edit.gcRuns.push({ time, segmentsRewritten, valuesRelocated, bytesRelocated, segmentsDropped });
            break;
          }
          case Tag.SEGMENT_GARBAGE: {
            const number = d.varint64();
            const records = d.varint64();
            edit.segmentGarbage.push({ number, records, bytes: d.varint64() });
            break;
          }
          case Tag.DELETED_SEGMENT:
            edit.deletedSegments.add(d.varint64());
            break;
          case Tag.ACTIVE_SEGMENT:
            edit.activeSegments.push(d.varint64());
            break;
          default:
            throw new CorruptionError(`unknown tag ${tag} in version edit`, file);
        }
      }
    } catch (err) {
      if (err instanceof CorruptionError && err.file === undefined) {
        throw new CorruptionError(`malformed version edit: ${err.message}`, file, undefined, { cause: err });
      }
      throw err;
    }
    return edit;
  }
}
