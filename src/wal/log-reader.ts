/**
 * LogReader reads the logical records of a log file in LevelDB's log format (log-format.ts,
 * docs/wal.md), one 32 KiB block at a time, and lists every problem it skipped over. Policy (what a
 * problem means for recovery) lives in recovery-mode.ts.
 */
import type { RandomAccessFile } from '../env/file-system.js';
import { crc32cExtend, unmaskCrc } from '../util/crc32c.js';
import { BLOCK_SIZE, HEADER_SIZE, MAX_RECORD_TYPE, RecordType, TYPE_CRC } from './log-format.js';

/**
 * LogProblemKind says what kind of damage a LogProblem is:
 * - 'truncated': a header, payload or fragmented record cut short by the end of the file, or damage
 *   after which the file holds only zeros (a torn tail, left by a crash during an append or during an
 *   overwrite of zero-filled, preallocated space);
 * - 'corrupt': bytes that a LogWriter cannot have written (bad length, checksum mismatch, unknown type,
 *   fragments out of order).
 */
export type LogProblemKind = 'truncated' | 'corrupt';

/** LogProblem describes bytes the reader skipped. */
export interface LogProblem {
  readonly kind: LogProblemKind;
  /** offset is the file offset where the skipped bytes begin (a record header when known). */
  readonly offset: number;
  /** bytes is how many bytes were dropped (payload bytes for a dropped partial record, as LevelDB counts). */
  readonly bytes: number;
  readonly reason: string;
}

// Results of readPhysical besides the record types 0..255.
const EOF = -1;
/** A damaged physical record or preallocated space was skipped; go on with the next. */
const BAD = -2;

/**
 * LogReader iterates over the logical records of one log file.
 *
 *     const reader = new LogReader(file);
 *     while (reader.next()) use(reader.record, reader.recordOffset);
 *     reader.problems; // what was skipped, in file order
 *
 * 1. Fragments are never joined across a problem: a damaged fragment drops the whole logical record.
 * 2. After a damaged header or checksum the rest of the block is dropped (the length is not trusted),
 *    and reading resumes at the next block, where a record always starts.
 * 3. Memory stays bounded by the file: reads are 32 KiB blocks and a record is assembled only from
 *    fragments actually read.
 * 4. `problems` grows only in `next()`: a problem appended during a call that returned true lies before
 *    that record, in file order.
 * 5. Zero-filled space (a ZERO-type empty header with only zeros to the end of its block; shale's
 *    preallocated logs, LevelDB's old mmap writer) is skipped silently when nothing but zeros follows it
 *    to the end of the file: the log ended cleanly there. Zero-filled space followed by data is a hole
 *    (`corrupt`): no writer leaves one, and a power cut that lost unsynced pages before later ones does,
 *    so reading past it would replay writes after missing ones. Damage after the last record that is
 *    followed only by zeros (at least a header's worth) to the end of the file is a torn write into
 *    zero-filled space: its problems turn `truncated` when the end of the file is reached.
 */
export class LogReader {
  private readonly file: RandomAccessFile;
  /** The current block (a 32 KiB read, or shorter at the end of the file). */
  private block: Uint8Array = new Uint8Array(0);
  /** File offset of block[0]. */
  private blockStart = 0;
  /** Read position in `block`. */
  private pos = 0;
  /** True iff the last read was short: there is nothing after `block`. */
  private eof = false;

  // The fragment found by readPhysical.
  private fragStart = 0;
  private fragLength = 0;
  private fragOffset = 0;
  // What readPhysical skipped, for next() to report.
  private badOffset = 0;
  private badBytes = 0;
  private badReason = '';

  /** Reassembly buffer for fragmented records; grows only by fragment bytes actually read. */
  private scratch: Uint8Array = new Uint8Array(0);
  private scratchLength = 0;

  private current: Uint8Array = new Uint8Array(0);
  private currentOffset = -1;
  private currentEnd = 0;
  private readonly found: LogProblem[] = [];
  /** holeFrom: file offset where silently skipped zero-filled space began (-1: none since the last data). */
  private holeFrom = -1;
  /** zeroTailFrom: file offset from which every byte consumed so far is zero (-1: the last one was not). */
  private zeroTailFrom = -1;
  /** problemsAtRecord: how many problems had been found when the last record was delivered. */
  private problemsAtRecord = 0;

  constructor(file: RandomAccessFile) {
    this.file = file;
  }

  /** path is the path of the file being read. */
  get path(): string {
    return this.file.path;
  }

  /**
   * record is the current logical record. It is a view valid until the next call to next(); copy it to
   * keep it. Requires: the last next() returned true.
   */
  get record(): Uint8Array {
    return this.current;
  }

  /** recordOffset is the file offset of the current record's first header (-1 before the first). */
  get recordOffset(): number {
    return this.currentOffset;
  }

  /** recordEnd is the file offset just past the current record's last fragment (0 before the first). */
  get recordEnd(): number {
    return this.currentEnd;
  }

  /** problems lists everything skipped so far, in file order. */
  get problems(): readonly LogProblem[] {
    return this.found;
  }

  /** next advances to the next logical record; returns false at the end of the file. */
  next(): boolean {
    let inFragment = false;
    let recordOffset = 0;
    this.scratchLength = 0;
    while (true) {
      const type = this.readPhysical();
      switch (type) {
        case RecordType.FULL:
        case RecordType.FIRST:
          if (inFragment && this.scratchLength > 0) {
            // An empty FIRST followed by FULL/FIRST is tolerated: older LevelDB writers emitted it.
            this.report('corrupt', recordOffset, this.scratchLength, 'partial record without end');
          }
          recordOffset = this.fragOffset;
          if (type === RecordType.FULL) {
            this.current = this.block.subarray(this.fragStart, this.fragStart + this.fragLength);
            return this.deliver(recordOffset);
          }
          this.scratchLength = 0;
          this.append();
          inFragment = true;
          break;

        case RecordType.MIDDLE:
        case RecordType.LAST:
          if (!inFragment) {
            this.report('corrupt', this.fragOffset, this.fragLength, 'missing start of fragmented record');
            break;
          }
          this.append();
          if (type === RecordType.LAST) {
            this.current = this.scratch.subarray(0, this.scratchLength);
            return this.deliver(recordOffset);
          }
          break;

        case EOF:
          if (inFragment) {
            // The writer died between (or within) the fragments of one append: one torn record.
            const end = this.blockStart + this.block.length;
            this.report('truncated', recordOffset, end - recordOffset, 'partial record at end of file');
          } else if (this.badReason !== '') {
            this.report('truncated', this.badOffset, this.badBytes, this.badReason);
          }
          this.endInZeros();
          return false;

        case BAD:
          // The partial record lies before the damage that ended it: report it first, in file order.
          if (inFragment) {
            this.report('corrupt', recordOffset, this.scratchLength, 'error in middle of record');
            inFragment = false;
            this.scratchLength = 0;
          }
          if (this.badReason !== '') this.report('corrupt', this.badOffset, this.badBytes, this.badReason);
          break;

        default: {
          // A well-formed record (checksum ok) of a type this reader does not know: skip just it.
          let bytes = this.fragLength;
          let at = this.fragOffset;
          if (inFragment) {
            bytes += this.scratchLength;
            at = recordOffset;
          }
          this.report('corrupt', at, bytes, `unknown record type ${type}`);
          inFragment = false;
          this.scratchLength = 0;
        }
      }
    }
  }

  private deliver(recordOffset: number): boolean {
    this.currentOffset = recordOffset;
    this.currentEnd = this.blockStart + this.pos;
    this.problemsAtRecord = this.found.length;
    return true;
  }

  /**
   * endInZeros, at the end of the file: if only zeros (at least a header's worth) follow the damage
   * found after the last record, that damage is a torn write into zero-filled space (5).
   */
  private endInZeros(): void {
    const end = this.blockStart + this.block.length;
    if (this.zeroTailFrom < 0 || end - this.zeroTailFrom < HEADER_SIZE) return;
    for (let i = this.problemsAtRecord; i < this.found.length; i++) {
      const p = this.found[i]!;
      if (p.kind !== 'truncated') this.found[i] = { ...p, kind: 'truncated' };
    }
  }

  /** consumed notes that bytes [start, end) of the current block were read past (zero tail tracking). */
  private consumed(start: number, end: number): void {
    const b = this.block;
    let i = end;
    while (i > start && b[i - 1] === 0) i--;
    if (i > start) this.zeroTailFrom = i < end ? this.blockStart + i : -1;
    else if (this.zeroTailFrom < 0 && end > start) this.zeroTailFrom = this.blockStart + start;
  }

  /** hole reports the zero-filled space skipped before data at file offset `at` (5); returns BAD. */
  private hole(at: number): number {
    this.bad(this.holeFrom, at - this.holeFrom, 'zero-filled space before data');
    this.holeFrom = -1;
    return BAD;
  }

  /** append adds the current fragment to the scratch buffer. */
  private append(): void {
    const need = this.scratchLength + this.fragLength;
    if (need > this.scratch.length) {
      // Growth is driven by bytes already read from the file, so it stays bounded by the file's size.
      const grown = new Uint8Array(Math.max(need, this.scratch.length * 2, 256));
      grown.set(this.scratch.subarray(0, this.scratchLength));
      this.scratch = grown;
    }
    this.scratch.set(
      this.block.subarray(this.fragStart, this.fragStart + this.fragLength),
      this.scratchLength,
    );
    this.scratchLength = need;
  }

  private bad(offset: number, bytes: number, reason: string): void {
    this.badOffset = offset;
    this.badBytes = bytes;
    this.badReason = reason;
  }

  private report(kind: LogProblemKind, offset: number, bytes: number, reason: string): void {
    this.found.push({ kind, offset, bytes, reason });
  }

  /**
   * readPhysical finds the next physical record, leaving it in fragStart/fragLength/fragOffset, and
   * returns its type; or EOF; or BAD after skipping damaged bytes or preallocated space. For EOF and
   * BAD, badReason/badOffset/badBytes describe the skipped bytes (badReason is '' when there is nothing
   * to report); next() reports them, after the partial record they end, to keep file order.
   */
  private readPhysical(): number {
    this.badReason = '';
    while (true) {
      const blockLength = this.block.length;
      if (blockLength - this.pos < HEADER_SIZE) {
        if (!this.eof) {
          // A full block's last < HEADER_SIZE bytes are a trailer: skip them and read the next block.
          this.consumed(this.pos, blockLength);
          this.blockStart += blockLength;
          this.block = this.file.read(this.blockStart, BLOCK_SIZE);
          this.pos = 0;
          if (this.block.length < BLOCK_SIZE) this.eof = true;
          continue;
        }
        if (this.pos < blockLength) {
          const start = this.pos;
          // Fewer than HEADER_SIZE zeros at the end are zero-filled space cut short, not a header.
          if (allZero(this.block, start, blockLength)) {
            this.holeFrom = -1;
            this.consumed(start, blockLength);
            this.pos = blockLength;
            return EOF;
          }
          if (this.holeFrom >= 0) return this.hole(this.blockStart + start);
          // Only a short final block can end in a partial header: the writer died while appending.
          this.bad(this.blockStart + start, blockLength - start, 'truncated record header');
          this.consumed(start, blockLength);
          this.pos = blockLength;
        }
        return EOF;
      }

      const block = this.block;
      const h = this.pos;
      const length = block[h + 4]! | (block[h + 5]! << 8);
      const type = block[h + 6]!;
      const offset = this.blockStart + h;
      const end = h + HEADER_SIZE + length;

      if (type === RecordType.ZERO && length === 0 && allZero(block, h, blockLength)) {
        // Zero-filled space: skip the rest of the block; it is reported only if data follows (5).
        if (this.holeFrom < 0) this.holeFrom = offset;
        this.consumed(h, blockLength);
        this.pos = blockLength;
        return BAD;
      }
      if (this.holeFrom >= 0) return this.hole(offset);

      if (end > blockLength) {
        const dropped = blockLength - h;
        this.consumed(h, blockLength);
        this.pos = blockLength;
        if (end > BLOCK_SIZE) {
          // A writer never lets a record cross its block, so this length was damaged.
          this.bad(offset, dropped, 'bad record length');
          return BAD;
        }
        // The record would fit in its block, and the file ends first: a torn append.
        this.bad(offset, dropped, 'truncated record payload');
        return EOF;
      }

      if (type === RecordType.ZERO && length === 0) {
        // Unlike LevelDB, a zero-type header followed by data is damage: a damaged type byte of an
        // empty FULL record would otherwise silently drop the records after it in this block.
        this.consumed(h, blockLength);
        this.pos = blockLength;
        this.bad(offset, blockLength - h, 'zero-type record before data');
        return BAD;
      }

      const expected = unmaskCrc(
        (block[h]! | (block[h + 1]! << 8) | (block[h + 2]! << 16) | (block[h + 3]! << 24)) >>> 0,
      );
      const typeCrc = type <= MAX_RECORD_TYPE ? TYPE_CRC[type]! : crc32cExtend(0, block, h + 6, h + 7);
      const actual = crc32cExtend(typeCrc, block, h + HEADER_SIZE, end);
      if (actual !== expected) {
        // The length itself may be damaged: drop the rest of the block rather than trust it.
        const dropped = blockLength - h;
        this.consumed(h, blockLength);
        this.pos = blockLength;
        this.bad(offset, dropped, 'checksum mismatch');
        return BAD;
      }

      this.pos = end;
      this.zeroTailFrom = -1;
      this.fragStart = h + HEADER_SIZE;
      this.fragLength = length;
      this.fragOffset = offset;
      return type;
    }
  }
}

/** allZero returns true iff `b[start, end)` holds only zero bytes. */
function allZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}
