/**
 * Minimal node:fs-backed WritableFile and RandomAccessFile for tests and benchmarks that need a real file
 * before the env layer (src/env/node-fs.ts) exists. Not for engine code.
 */
import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import type { RandomAccessFile, WritableFile } from '../../src/env/file-system.js';

/** openNodeWritable opens `path` for appending ('w' truncates, 'a' keeps existing bytes). */
export function openNodeWritable(path: string, flags: 'w' | 'a' = 'w'): WritableFile {
  const fd = openSync(path, flags);
  let size = fstatSync(fd).size;
  return {
    path,
    get size() {
      return size;
    },
    append(data: Uint8Array) {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      size += data.length;
    },
    sync() {
      fsyncSync(fd);
    },
    syncAsync() {
      return new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    },
    close() {
      closeSync(fd);
    },
  };
}

/** openNodeRandomAccess opens an existing file for positioned reads. */
export function openNodeRandomAccess(path: string): RandomAccessFile {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    path,
    size,
    read(offset: number, length: number) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let n = 0;
      while (n < buf.length) {
        const got = readSync(fd, buf, n, buf.length - n, offset + n);
        if (got === 0) break;
        n += got;
      }
      return n === buf.length ? buf : buf.subarray(0, n);
    },
    close() {
      closeSync(fd);
    },
  };
}
