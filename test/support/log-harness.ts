/**
 * Helpers for log tests: a writer and reader over one MemFile, record builders, and header surgery
 * (fix a damaged record's checksum so that only the intended damage remains).
 */
import { LogWriter } from '../../src/wal/log-writer.js';
import { LogReader } from '../../src/wal/log-reader.js';
import type { LogProblem } from '../../src/wal/log-reader.js';
import { HEADER_SIZE } from '../../src/wal/log-format.js';
import { crc32c, maskCrc } from '../../src/util/crc32c.js';
import { fromUtf8, utf8 } from '../../src/util/bytes.js';
import type { Random } from '../../src/util/random.js';
import { MemFile } from './mem-file.js';

/** bigString repeats `partial` up to exactly `n` bytes (ASCII). */
export function bigString(partial: string, n: number): string {
  let s = '';
  while (s.length < n) s += partial;
  return s.slice(0, n);
}

/** numberString is LevelDB's log_test record for `n`: "<n>." */
export function numberString(n: number): string {
  return `${n}.`;
}

/** randomSkewedString returns a string of a length skewed towards small sizes (up to 2^17 bytes). */
export function randomSkewedString(i: number, rnd: Random): string {
  const bits = rnd.uniform(18);
  return bigString(numberString(i), rnd.uniform(1 << bits));
}

/** ReadResult is everything a LogReader returned for a file. */
export interface ReadResult {
  records: string[];
  offsets: number[];
  problems: readonly LogProblem[];
}

/** readAll reads every record of `file` with a fresh LogReader. */
export function readAll(file: MemFile): ReadResult {
  const reader = new LogReader(file.randomAccess());
  const records: string[] = [];
  const offsets: number[] = [];
  while (reader.next()) {
    records.push(fromUtf8(reader.record));
    offsets.push(reader.recordOffset);
  }
  // Reading past the end stays at the end and reports nothing more.
  const n = reader.problems.length;
  if (reader.next() || reader.problems.length !== n) throw new Error('reader moved after end of file');
  return { records, offsets, problems: reader.problems };
}

/** droppedBytes sums the bytes of `problems`. */
export function droppedBytes(problems: readonly LogProblem[]): number {
  let n = 0;
  for (const p of problems) n += p.bytes;
  return n;
}

/** LogHarness is LevelDB log_test's fixture: one log in memory, written and read back. */
export class LogHarness {
  readonly file: MemFile;
  private writer: LogWriter;

  constructor(path = 'test.log') {
    this.file = new MemFile(path);
    this.writer = new LogWriter(this.file.writable());
  }

  write(record: string | Uint8Array): void {
    this.writer.addRecord(typeof record === 'string' ? utf8(record) : record);
  }

  writtenBytes(): number {
    return this.file.size;
  }

  get writerSize(): number {
    return this.writer.size;
  }

  /** reopenForAppend closes the writer and opens a new one at the end of the file. */
  reopenForAppend(): void {
    this.writer.close();
    this.writer = new LogWriter(this.file.writable(), this.file.size);
  }

  read(): ReadResult {
    return readAll(this.file);
  }

  /** fixChecksum rewrites the CRC of the record whose header is at `headerOffset` with `length` payload. */
  fixChecksum(headerOffset: number, length: number): void {
    const bytes = this.file.contents();
    const crc = maskCrc(crc32c(bytes, headerOffset + 6, headerOffset + HEADER_SIZE + length));
    for (let i = 0; i < 4; i++) this.file.setByte(headerOffset + i, (crc >>> (8 * i)) & 0xff);
  }
}

/** physicalRecord encodes one physical record (header with a correct CRC, then payload). */
export function physicalRecord(type: number, payload: Uint8Array | string): Uint8Array {
  const p = typeof payload === 'string' ? utf8(payload) : payload;
  const out = new Uint8Array(HEADER_SIZE + p.length);
  out[4] = p.length & 0xff;
  out[5] = p.length >>> 8;
  out[6] = type;
  out.set(p, HEADER_SIZE);
  const crc = maskCrc(crc32c(out, 6));
  for (let i = 0; i < 4; i++) out[i] = (crc >>> (8 * i)) & 0xff;
  return out;
}
