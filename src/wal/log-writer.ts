/**
 * LogWriter appends logical records to a log file in LevelDB's log format (log-format.ts, docs/wal.md),
 * fragmenting them at 32 KiB block boundaries exactly as LevelDB's log::Writer does.
 */
import type { WritableFile } from '../env/file-system.js';
import { crc32cExtend, maskCrc } from '../util/crc32c.js';
import { BLOCK_SIZE, HEADER_SIZE, RecordType, TYPE_CRC } from './log-format.js';

/** Initial capacity of the reusable output buffer (enough for typical write batches). */
const INITIAL_BUFFER_SIZE = 4096;
/** Output buffers larger than this are not kept after the record that needed them (1 MiB). */
const MAX_RETAINED_BUFFER_SIZE = 1 << 20;

/**
 * LogWriter writes records to a WritableFile.
 *
 * 1. Each addRecord issues exactly one `file.append` (one write(2)): headers, fragments and any block
 *    trailer padding are assembled into a reusable buffer first. bufferRecord assembles a record the
 *    same way without writing it; the next addRecord or flush writes every buffered record with its own
 *    bytes in that one append (records reach the file in the order they were added).
 * 2. The writer's position (`size`) advances only when an append returns; after a failed append the
 *    file's tail is unknown and the caller must stop using this log (LevelDB's background error).
 * 3. Not safe for concurrent use; the database's write queue serializes callers.
 */
export class LogWriter {
  private readonly file: WritableFile;
  /** Bytes already used in the current block, in [0, BLOCK_SIZE), buffered records included. */
  private blockOffset: number;
  private written: number;
  private buf: Uint8Array;
  /** pending: bytes of buffered records at the start of `buf`, not yet appended to the file. */
  private pending = 0;

  /**
   * Requires: `initialOffset` is the length of the log already in `file` (default: its size), so that
   * appending to an existing log (log reuse) continues its block layout.
   */
  constructor(file: WritableFile, initialOffset: number = file.size) {
    this.file = file;
    this.written = initialOffset;
    this.blockOffset = initialOffset % BLOCK_SIZE;
    this.buf = new Uint8Array(INITIAL_BUFFER_SIZE);
  }

  /** size is the log's length in bytes, including what was there before this writer. */
  get size(): number {
    return this.written;
  }

  /** pendingBytes: how many bytes of buffered records wait for the next append. */
  get pendingBytes(): number {
    return this.pending;
  }

  /** addRecord appends `data` as one logical record (an empty record is allowed), after any buffered ones. */
  addRecord(data: Uint8Array): void {
    const { blockOffset, pending } = this;
    this.pending = this.encode(data);
    try {
      this.flush();
    } catch (err) {
      // Nothing of this record counts as written (the position stays where it was, see 2).
      this.blockOffset = blockOffset;
      this.pending = pending;
      throw err;
    }
  }

  /** bufferRecord adds `data` as one logical record, to be appended by the next addRecord or flush. */
  bufferRecord(data: Uint8Array): void {
    this.pending = this.encode(data);
  }

  /** flush appends the buffered records, if any (one write). */
  flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.file.append(this.buf.subarray(0, n));
    this.pending = 0;
    this.written += n;
    if (this.buf.length > MAX_RETAINED_BUFFER_SIZE) this.buf = new Uint8Array(INITIAL_BUFFER_SIZE);
  }

  /** encode writes `data`'s fragments into `buf` after the pending bytes and returns the new end. */
  private encode(data: Uint8Array): number {
    const n = data.length;
    // Upper bound of the output: at most one trailer (< HEADER_SIZE bytes), since after the first
    // fragment every fragment but the last fills its block; one header per fragment.
    const maxFragments = Math.floor(n / (BLOCK_SIZE - HEADER_SIZE)) + 2;
    const bound = this.pending + n + maxFragments * HEADER_SIZE + HEADER_SIZE;
    let out = this.buf;
    if (out.length < bound) {
      let cap = out.length;
      while (cap < bound) cap *= 2;
      out = new Uint8Array(cap);
      out.set(this.buf.subarray(0, this.pending));
      this.buf = out;
    }

    let blockOffset = this.blockOffset;
    let pos = this.pending; // write position in `out`
    let p = 0; // read position in `data`
    let begin = true;
    do {
      const leftover = BLOCK_SIZE - blockOffset;
      if (leftover < HEADER_SIZE) {
        // Too small for a header: fill the trailer with zeros and switch to a new block.
        out.fill(0, pos, pos + leftover);
        pos += leftover;
        blockOffset = 0;
      }
      // Exactly HEADER_SIZE left gives a zero-length fragment, as LevelDB writes it.
      const avail = BLOCK_SIZE - blockOffset - HEADER_SIZE;
      const left = n - p;
      const len = left < avail ? left : avail;
      const end = len === left;
      const type = begin
        ? end
          ? RecordType.FULL
          : RecordType.FIRST
        : end
          ? RecordType.LAST
          : RecordType.MIDDLE;

      const crc = maskCrc(crc32cExtend(TYPE_CRC[type]!, data, p, p + len));
      out[pos] = crc & 0xff;
      out[pos + 1] = (crc >>> 8) & 0xff;
      out[pos + 2] = (crc >>> 16) & 0xff;
      out[pos + 3] = crc >>> 24;
      out[pos + 4] = len & 0xff;
      out[pos + 5] = len >>> 8;
      out[pos + 6] = type;
      out.set(len === n ? data : data.subarray(p, p + len), pos + HEADER_SIZE);
      pos += HEADER_SIZE + len;
      p += len;
      blockOffset += HEADER_SIZE + len;
      begin = false;
    } while (p < n);

    this.blockOffset = blockOffset === BLOCK_SIZE ? 0 : blockOffset;
    return pos;
  }

  /** sync makes every appended record durable (fsync). Buffered records are not appended by it. */
  sync(): void {
    this.file.sync();
  }

  /** syncAsync is sync performed off the calling thread (group commit). */
  syncAsync(): Promise<void> {
    return this.file.syncAsync();
  }

  /** close closes the file without syncing it (buffered records are dropped: flush first). */
  close(): void {
    this.file.close();
  }
}
