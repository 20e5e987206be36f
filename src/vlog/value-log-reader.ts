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
import { decodePointer, type ValuePointer } from './value-pointer.js';
import { segmentFileName } from './vlog-format.js';

/** OPEN_SEGMENTS bounds the segment files held open at once. */
const OPEN_SEGMENTS = 64;

/** ValueLogReader resolves pointers into the segments of one database directory. */
export class ValueLogReader {
  private readonly files: LruCache<number, RandomAccessFile>;
  private readonly cache: LruCache<string, Uint8Array> | null;
  /** reads and cacheHits count pointer resolutions (tests and properties read them). */
  reads = 0;
  cacheHits = 0;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    cacheSize: number,
  ) {
    this.files = new LruCache<number, RandomAccessFile>(OPEN_SEGMENTS, (_n, f) => {
      try {
        f.close();
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
    const key = cache === null ? '' : `${p.segment}/${p.offset}`;
    if (cache !== null) {
      const hit = cache.get(key);
      if (hit !== undefined && hit.length === p.length) {
        this.cacheHits++;
        return hit.slice();
      }
    }
    const path = segmentFileName(this.dir, p.segment);
    const file = this.open(p.segment, path);
    let data: Uint8Array;
    try {
      data = file.read(p.offset, p.length);
    } catch (err) {
      throw err instanceof IOError
        ? err
        : new CorruptionError(`cannot read value-log segment: ${String(err)}`, path, p.offset);
    }
    if (data.length !== p.length) {
      throw new CorruptionError(
        `value-log segment truncated: a value of ${p.length} bytes at offset ${p.offset} ends past the end (${file.size} bytes)`,
        path,
        p.offset,
      );
    }
    if (maskCrc(crc32c(data)) !== p.crc) {
      throw new CorruptionError(`value-log checksum mismatch at offset ${p.offset}`, path, p.offset);
    }
    if (cache !== null && p.length <= cache.capacity / 4) cache.set(key, data.slice(), p.length);
    return data;
  }

  /** forget drops a segment's open handle (it was deleted). */
  forget(segment: number): void {
    this.files.delete(segment);
  }

  /** close releases every open segment and cached value. */
  close(): void {
    this.files.clear();
    this.cache?.clear();
  }

  private open(segment: number, path: string): RandomAccessFile {
    const f = this.files.get(segment);
    if (f !== undefined) return f;
    let file: RandomAccessFile;
    try {
      file = this.fs.openRandomAccess(path);
    } catch (err) {
      if (err instanceof IOError && err.errno === 'ENOENT')
        throw new CorruptionError(`value-log segment ${path} is missing`, path, undefined, { cause: err });
      throw err;
    }
    this.files.set(segment, file, 1);
    return file;
  }
}
