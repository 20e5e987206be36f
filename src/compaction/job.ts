/**
 * The compaction job (LevelDB DBImpl::DoCompactionWork): merge the input tables, drop what no reader can
 * see any more, apply the compaction filter, and write new tables cut at the target size or where they
 * would overlap too much of the level below. Plain data in, plain data out, so the same code runs on
 * the main thread (inline jobs) and in the background worker.
 *
 * Which entries survive (snapshots s1 < s2 < ... sorted; a "stripe" is the range of sequence numbers
 * between two consecutive snapshots, the last stripe being everything newer than the newest snapshot):
 * 1. Within one user key, newest first: an entry is dropped if a newer entry of the same key lies in the
 *    same stripe (no snapshot, and no current reader, can see it).
 * 2. A deletion in the oldest stripe is dropped when no deeper level may hold the key: every reader
 *    already sees the key as absent, and rule 1 drops the older entries it hid in this compaction.
 * 3. The compaction filter sees only the newest entry of a key, and only in the last stripe (no snapshot
 *    sees it); "remove" turns it into a deletion so that older versions never resurface.
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { BufferedWritableFile } from '../env/buffered-writable-file.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import {
  type InternalKeyComparator,
  TYPE_VALUE_POINTER,
  ValueType,
  sequenceOf,
  typeOf,
  userKeyOf,
  makeInternalKey,
  TAG_SIZE,
} from '../memtable/internal-key.js';
import { MergingIterator } from '../sstable/merging-iterator.js';
import { TableBuilder, type TableBuilderOptions } from '../sstable/table-builder.js';
import { tableFileName } from '../version/file-names.js';
import type { CompactionFilter } from './compaction-filter.js';
import { TableInputIterator } from './table-input-iterator.js';
import { ValueSeparator } from '../vlog/value-separator.js';
import { ValueLogReader } from '../vlog/value-log-reader.js';
import { decodePointer } from '../vlog/value-pointer.js';
import { segmentFileName } from '../vlog/vlog-format.js';
import { CorruptionError } from '../util/errors.js';
import { copyRange } from '../util/bytes.js';
import { rangeCompareFor } from '../sstable/block.js';
import type { SegmentInfo, ValueLogSettings } from '../vlog/vlog-format.js';

/** JobFile is the part of a FileMetaData a job needs (structured-clone friendly). */
export interface JobFile {
  readonly number: number;
  readonly fileSize: number;
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
}

/** CompactionJobSpec describes one compaction as plain data. */
export interface CompactionJobSpec {
  readonly dir: string;
  readonly level: number;
  readonly inputs: readonly [readonly JobFile[], readonly JobFile[]];
  readonly grandparents: readonly JobFile[];
  /** deeperLevels: files of levels level+2 .. 6, to decide whether a tombstone still hides something. */
  readonly deeperLevels: readonly (readonly JobFile[])[];
  /** snapshots: live snapshot sequence numbers, ascending. */
  readonly snapshots: readonly number[];
  readonly maxOutputFileSize: number;
  readonly maxGrandparentOverlapBytes: number;
  readonly isManual: boolean;
  /**
   * vlog: separate large values into value-log segments (null: the value log is off). Pointers are
   * copied as they are; values still in the tables (written before the value log was on, or changed by
   * a compaction filter) are separated here.
   */
  readonly vlog: ValueLogSettings | null;
  /** inlineValues: follow every pointer and write the value itself (moving values back into tables). */
  readonly inlineValues?: boolean;
}

/** JobContext supplies what cannot travel as data: the file system, order, numbering, and filter. */
export interface JobContext {
  readonly fs: FileSystem;
  readonly icmp: InternalKeyComparator;
  readonly table: TableBuilderOptions;
  newFileNumber(): number;
  readonly filter: CompactionFilter | null;
  /** verifyChecksums for input reads; compaction always verifies unless told otherwise. */
  readonly verifyChecksums?: boolean;
}

/** CompactionJobResult lists the tables written and what the job cost. */
export interface CompactionJobResult {
  readonly outputs: JobFile[];
  /** segments: new value-log segments the outputs point into (fsynced, not yet recorded). */
  readonly segments: SegmentInfo[];
  /** garbage: per segment, the values whose pointers the job dropped (overwritten or deleted). */
  readonly garbage: { number: number; records: number; bytes: number }[];
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly micros: number;
  readonly entriesIn: number;
  readonly entriesOut: number;
}

/** runCompactionJob performs the merge. On error every output it created is removed. */
export function runCompactionJob(spec: CompactionJobSpec, ctx: JobContext): CompactionJobResult {
  const start = performance.now();
  const { icmp, fs } = ctx;
  const ucmp = icmp.user;
  const userRange = rangeCompareFor(ucmp);
  const verify = ctx.verifyChecksums ?? true;
  const children: InternalIterator[] = [];
  const level0 = spec.level === 0;
  if (level0) {
    for (const f of spec.inputs[0]) children.push(new TableInputIterator(fs, spec.dir, [f], icmp, verify));
  } else if (spec.inputs[0].length > 0) {
    children.push(new TableInputIterator(fs, spec.dir, spec.inputs[0], icmp, verify));
  }
  if (spec.inputs[1].length > 0)
    children.push(new TableInputIterator(fs, spec.dir, spec.inputs[1], icmp, verify));
  const input = new MergingIterator(icmp, children);

  const outputs: JobFile[] = [];
  const created: string[] = [];
  const sep = spec.vlog === null ? null : new ValueSeparator(fs, spec.dir, spec.vlog, ctx.newFileNumber);
  // A compaction filter sees values, never pointers (filters only run in inline jobs).
  let reader: ValueLogReader | null = null;
  const filterValue = (key: Uint8Array, value: Uint8Array): Uint8Array | null => {
    if (typeOf(key) !== TYPE_VALUE_POINTER) return value;
    reader ??= new ValueLogReader(fs, spec.dir, 0);
    const p = decodePointer(value);
    try {
      return reader.readPointer(p);
    } catch (err) {
      // Garbage collection drops a segment only once every pointer into it is shadowed by a newer
      // entry (which this compaction may not include): such an entry is kept as is, unfiltered.
      if (err instanceof CorruptionError && !fs.exists(segmentFileName(spec.dir, p.segment))) return null;
      throw err;
    }
  };
  let segments: SegmentInfo[] = [];
  // Garbage accounting: the values whose pointers this compaction drops, per segment.
  const garbage = new Map<number, { records: number; bytes: number }>();
  const dropPointer = (key: Uint8Array, value: Uint8Array): void => {
    if (typeOf(key) !== TYPE_VALUE_POINTER) return;
    const p = decodePointer(value);
    const g = garbage.get(p.segment);
    if (g === undefined) garbage.set(p.segment, { records: 1, bytes: p.length });
    else {
      g.records++;
      g.bytes += p.length;
    }
  };
  let bytesRead = 0;
  for (const f of [...spec.inputs[0], ...spec.inputs[1]]) bytesRead += f.fileSize;

  let builder: TableBuilder | null = null;
  let file: WritableFile | null = null;
  let outNumber = 0;
  let smallest: Uint8Array | null = null;
  const splitter = new OutputSplitter(icmp, spec.grandparents, spec.maxGrandparentOverlapBytes);
  const base = new BaseLevelChecker(icmp, spec.deeperLevels);
  const snapshots = spec.snapshots;
  let entriesIn = 0;
  let entriesOut = 0;

  const finishOutput = (): void => {
    if (builder === null) return;
    const largest = builder.lastKeyCopy();
    const size = builder.finish();
    file!.sync();
    file!.close();
    outputs.push({
      number: outNumber,
      fileSize: size,
      smallest: smallest!,
      largest,
    });
    builder = null;
    file = null;
  };

  const add = (key: Uint8Array, value: Uint8Array): void => {
    if (sep !== null && sep.separate(key, value)) {
      key = sep.key;
      value = sep.value;
    } else if (spec.inlineValues === true && typeOf(key) === TYPE_VALUE_POINTER) {
      reader ??= new ValueLogReader(fs, spec.dir, 0);
      const p = decodePointer(value);
      value = reader.readPointer(p);
      key = makeInternalKey(userKeyOf(key), sequenceOf(key), ValueType.VALUE);
      // The value now lives in the table: its segment copy is garbage.
      const g = garbage.get(p.segment);
      if (g === undefined) garbage.set(p.segment, { records: 1, bytes: p.length });
      else {
        g.records++;
        g.bytes += p.length;
      }
    }
    if (builder === null) {
      outNumber = ctx.newFileNumber();
      const path = tableFileName(spec.dir, outNumber);
      file = new BufferedWritableFile(fs.createWritable(path));
      created.push(path);
      builder = new TableBuilder(ctx.table, file);
      smallest = key.slice();
    }
    builder.add(key, value);
    entriesOut++;
    if (builder.fileSize >= spec.maxOutputFileSize) finishOutput();
  };

  try {
    let currentKey = new Uint8Array(64);
    let currentLen = -1; // -1: no current user key
    let lastStripe = -1; // stripe of the previous (newer) entry of the current key; -1: none yet
    for (input.seekToFirst(); input.valid(); input.next()) {
      const key = input.key();
      entriesIn++;
      if (builder !== null && splitter.shouldStopBefore(key)) finishOutput();
      const userLen = key.length - TAG_SIZE;
      const seq = sequenceOf(key);
      const type = typeOf(key);
      const stripe = stripeOf(snapshots, seq);
      // Ranges, not subarrays: a view per entry was a tenth of a compaction's time.
      if (currentLen < 0 || userRange(key, 0, userLen, currentKey, 0, currentLen) !== 0) {
        if (currentKey.length < userLen) currentKey = new Uint8Array(userLen * 2);
        copyRange(currentKey, 0, key, 0, userLen);
        currentLen = userLen;
        lastStripe = -1;
      }
      const newest = lastStripe === -1;
      const shadowed = !newest && lastStripe === stripe;
      lastStripe = stripe;
      if (shadowed) {
        dropPointer(key, input.value());
        continue;
      }
      if (type === ValueType.DELETION) {
        if (stripe === 0 && base.isBaseLevelForKey(currentKey.subarray(0, currentLen))) continue;
        add(key, input.value());
        continue;
      }
      if (ctx.filter !== null && newest && stripe === snapshots.length) {
        const fv = filterValue(key, input.value());
        if (fv === null) {
          add(key, input.value());
          continue;
        }
        const userKey = currentKey.subarray(0, currentLen);
        const d = ctx.filter.filter(spec.level, userKey, fv);
        if (d.kind !== 'keep') dropPointer(key, input.value());
        if (d.kind === 'remove') {
          if (stripe === 0 && base.isBaseLevelForKey(userKey)) continue;
          add(makeInternalKey(userKey, seq, ValueType.DELETION), EMPTY);
          continue;
        }
        if (d.kind === 'change') {
          add(type === ValueType.VALUE ? key : makeInternalKey(userKey, seq, ValueType.VALUE), d.value);
          continue;
        }
      }
      add(key, input.value());
    }
    finishOutput();
    input.close();
    segments = sep?.finish() ?? [];
    if (outputs.length > 0 || segments.length > 0) fs.syncDir(spec.dir);
    (reader as ValueLogReader | null)?.close();
  } catch (err) {
    sep?.abandon();
    (reader as ValueLogReader | null)?.close();
    try {
      input.close();
    } catch {
      // the first error is the one to report
    }
    try {
      (file as WritableFile | null)?.close();
    } catch {
      // likewise
    }
    for (const p of created) {
      try {
        fs.remove(p);
      } catch {
        // best effort: obsolete-file collection retries
      }
    }
    throw err;
  }
  let bytesWritten = 0;
  for (const o of outputs) bytesWritten += o.fileSize;
  for (const sg of segments) bytesWritten += sg.size;
  return {
    outputs,
    segments,
    garbage: [...garbage].map(([number, g]) => ({ number, ...g })),
    bytesRead,
    bytesWritten,
    micros: (performance.now() - start) * 1000,
    entriesIn,
    entriesOut,
  };
}

const EMPTY = new Uint8Array(0);

/** stripeOf returns the index of the first snapshot >= seq (snapshots.length if none). */
function stripeOf(snapshots: readonly number[], seq: number): number {
  let lo = 0;
  let hi = snapshots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (snapshots[mid]! < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** OutputSplitter cuts outputs that would overlap too many bytes of the grandparent level. */
class OutputSplitter {
  private index = 0;
  private seenKey = false;
  private overlapped = 0;

  constructor(
    private readonly icmp: InternalKeyComparator,
    private readonly grandparents: readonly JobFile[],
    private readonly maxOverlap: number,
  ) {}

  shouldStopBefore(ikey: Uint8Array): boolean {
    const gp = this.grandparents;
    while (this.index < gp.length && this.icmp.compare(ikey, gp[this.index]!.largest) > 0) {
      if (this.seenKey) this.overlapped += gp[this.index]!.fileSize;
      this.index++;
    }
    this.seenKey = true;
    if (this.overlapped > this.maxOverlap) {
      this.overlapped = 0;
      return true;
    }
    return false;
  }
}

/** BaseLevelChecker answers "may a deeper level hold this key?", walking forward through sorted keys. */
class BaseLevelChecker {
  private readonly ptrs: number[];

  constructor(
    private readonly icmp: InternalKeyComparator,
    private readonly levels: readonly (readonly JobFile[])[],
  ) {
    this.ptrs = levels.map(() => 0);
  }

  isBaseLevelForKey(userKey: Uint8Array): boolean {
    const ucmp = this.icmp.user;
    for (let l = 0; l < this.levels.length; l++) {
      const files = this.levels[l]!;
      while (this.ptrs[l]! < files.length) {
        const f = files[this.ptrs[l]!]!;
        if (ucmp.compare(userKey, userKeyOf(f.largest)) <= 0) {
          if (ucmp.compare(userKey, userKeyOf(f.smallest)) >= 0) return false;
          break;
        }
        this.ptrs[l]!++;
      }
    }
    return true;
  }
}
