/**
 * ValueLogReader follows value pointers: one positioned read of the value's bytes, checked against the
 * pointer's CRC, through a bytes-bounded cache of values and a count-bounded cache of open segments.
 * A missing, truncated or damaged segment is a CorruptionError naming the segment, never a wrong value.
 * Main thread (reads) or one job (compaction filters); not shared across threads.
 */
import type { FileSystem, RandomAccessFile } from '../env/file-system.js';
import { crc32c, maskCrc } from '../util/crc32c.js';
import { CorruptionError, IOError } from '../util/errors.js';
import { LruCache } from '../util/lru-cache.js';
import { snappyUncompress } from '../sstable/snappy.js';
import { decodePointer, type ValuePointer } from './value-pointer.js';
import {
  SEGMENT_HEADER_SIZE,
  VALUE_RAW,
  VALUE_SNAPPY,
  segmentFileName,
  segmentVersion,
} from './vlog-format.js';

/** SegmentFile is an open segment and its format version. */
interface SegmentFile {
  readonly file: RandomAccessFile;
  readonly version: number;
}

/** OPEN_SEGMENTS bounds the segment files held open at once. */
const OPEN_SEGMENTS = 64;
/**
 * READAHEAD: once reads run through a segment in order (forward or backward, as a scan does), each
 * disk read fetches this many bytes around the value.
 */
const READAHEAD = 256 * 1024;
/** SEQUENTIAL_GAP: a read starting at most this far past the previous one's end counts as sequential. */
const SEQUENTIAL_GAP = 4096;

/** ValueLogReader resolves pointers into the segments of one database directory. */
export class ValueLogReader {
  private readonly files: LruCache<number, SegmentFile>;
  private readonly pinned = new Map<number, SegmentFile>();
  private readonly cache: LruCache<string, Uint8Array> | null;
  /** reads and cacheHits count pointer resolutions (tests and properties read them). */
  reads = 0;
  cacheHits = 0;
  /** diskReads counts positioned reads of segment files. */
  diskReads = 0;
  /** The previous read's segment and end, and the bytes read ahead after it (scans read forward). */
  private lastSegment = -1;
  private lastStart = 0;
  private lastEnd = 0;
  private ahead: Uint8Array | null = null;
  private aheadSegment = -1;
  private aheadStart = 0;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    cacheSize: number,
  ) {
    this.files = new LruCache<number, SegmentFile>(OPEN_SEGMENTS, (_n, f) => {
      try {
        f.file.close();
      } catch {
        // closing a read handle cannot lose data
      }
    });
    this.cache = cacheSize > 0 ? new LruCache<string, Uint8Array>(cacheSize) : null;
  }

  /** read returns a copy of the value `ptr` (an encoded pointer) locates; the caller owns it. */
  read(ptr: Uint8Array): Uint8Array {
    return this.readPointer(decodePointer(ptr));
  }

  /** readPointer is read() for a decoded pointer. */
  readPointer(p: ValuePointer): Uint8Array {
    this.reads++;
    const cache = this.cache;
    const key = cache === null ? '' : `${p.segment}/${p.offset}/${p.length}`;
    if (cache !== null) {
      const hit = cache.get(key);
      if (hit !== undefined) {
        this.cacheHits++;
        return hit.slice();
      }
    }
    const path = segmentFileName(this.dir, p.segment);
    const seg = this.open(p.segment, path);
    // A version-2 value is preceded by its kind byte, which its CRC covers: read it along.
    const kindBytes = seg.version === 2 ? 1 : 0;
    if (p.offset < SEGMENT_HEADER_SIZE + kindBytes)
      throw new CorruptionError(`value pointer into a segment's header (offset ${p.offset})`, path, p.offset);
    let data: Uint8Array;
    try {
      data = this.fetch(seg.file, p.segment, p.offset - kindBytes, p.length + kindBytes);
    } catch (err) {
      throw err instanceof IOError
        ? err
        : new CorruptionError(`cannot read value-log segment: ${String(err)}`, path, p.offset);
    }
    if (data.length !== p.length + kindBytes) {
      throw new CorruptionError(
        `value-log segment truncated: a value of ${p.length} bytes at offset ${p.offset} ends past the end (${seg.file.size} bytes)`,
        path,
        p.offset,
      );
    }
    if (maskCrc(crc32c(data)) !== p.crc) {
      throw new CorruptionError(`value-log checksum mismatch at offset ${p.offset}`, path, p.offset);
    }
    let value = data;
    if (kindBytes === 1) {
      const kind = data[0];
      value = data.subarray(1);
      if (kind === VALUE_SNAPPY) {
        try {
          value = snappyUncompress(value);
        } catch (err) {
          throw new CorruptionError(`bad snappy value in value-log segment: ${String(err)}`, path, p.offset);
        }
      } else if (kind !== VALUE_RAW) {
        throw new CorruptionError(`unknown value kind ${kind} at offset ${p.offset}`, path, p.offset);
      }
    }
    if (cache !== null && value.length <= cache.capacity / 4) cache.set(key, value.slice(), value.length);
    return value;
  }

  /**
   * fetch reads the value's bytes: from the read-ahead buffer when it holds them; with a read of
   * READAHEAD bytes when this read continues the previous one (a scan over values flushed together);
   * else exactly the value.
   */
  private fetch(file: RandomAccessFile, segment: number, offset: number, length: number): Uint8Array {
    const end = offset + length;
    const same = segment === this.lastSegment;
    const forward = same && offset >= this.lastEnd && offset - this.lastEnd <= SEQUENTIAL_GAP;
    const backward = same && end <= this.lastStart && this.lastStart - end <= SEQUENTIAL_GAP;
    this.lastSegment = segment;
    this.lastStart = offset;
    this.lastEnd = end;
    const a = this.ahead;
    if (
      a !== null &&
      this.aheadSegment === segment &&
      offset >= this.aheadStart &&
      end <= this.aheadStart + a.length
    )
      return a.slice(offset - this.aheadStart, end - this.aheadStart);
    this.diskReads++;
    if (!(forward || backward) || length >= READAHEAD) return file.read(offset, length);
    // Forward: the window starts at this value; backward (a reverse scan): it ends with it.
    const start = forward ? offset : Math.max(0, end - READAHEAD);
    const buf = file.read(start, forward ? READAHEAD : end - start);
    this.ahead = buf;
    this.aheadSegment = segment;
    this.aheadStart = start;
    return buf.slice(offset - start, Math.min(end - start, buf.length));
  }

  /**
   * pin opens `segment` now and keeps it open until close() (a read-only open does this for every
   * live segment, so that a writer's garbage collection cannot take one away from it).
   */
  pin(segment: number): void {
    const path = segmentFileName(this.dir, segment);
    if (!this.pinned.has(segment)) this.pinned.set(segment, this.openFile(path));
  }

  /** forget drops a segment's open handle (it was deleted). */
  forget(segment: number): void {
    this.files.delete(segment);
    if (this.aheadSegment === segment) this.ahead = null;
  }

  /** close releases every open segment and cached value. */
  close(): void {
    this.ahead = null;
    this.files.clear();
    for (const f of this.pinned.values()) {
      try {
        f.file.close();
      } catch {
        // closing a read handle cannot lose data
      }
    }
    this.pinned.clear();
    this.cache?.clear();
  }

  private open(segment: number, path: string): SegmentFile {
    const f = this.pinned.get(segment) ?? this.files.get(segment);
    if (f !== undefined) return f;
    const seg = this.openFile(path);
    this.files.set(segment, seg, 1);
    return seg;
  }

  private openFile(path: string): SegmentFile {
    let file: RandomAccessFile;
    try {
      file = this.fs.openRandomAccess(path);
    } catch (err) {
      if (err instanceof IOError && err.errno === 'ENOENT')
        throw new CorruptionError(`value-log segment ${path} is missing`, path, undefined, { cause: err });
      throw err;
    }
    const version = segmentVersion(file.read(0, SEGMENT_HEADER_SIZE));
    if (version === 0) {
      file.close();
      throw new CorruptionError('not a value-log segment (bad magic)', path, 0);
    }
    return { file, version };
  }
}
