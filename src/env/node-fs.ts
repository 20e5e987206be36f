/**
 * NodeFileSystem: the FileSystem over node:fs synchronous calls (the real disk). Writes go straight to
 * the OS with no user-space buffer; fsync failures poison the file (see NodeWritableFile). The LOCK is
 * taken by file-lock.ts.
 */

import * as fs from 'node:fs';
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './file-system.js';
import { acquireFileLock } from './file-lock.js';
import { ClosedError, InvalidArgumentError, IOError, toIOError } from '../util/errors.js';

/**
 * NodeWritableFile is a file opened for appending through a file descriptor.
 *
 * 1. append() loops on writeSync until every byte is written; when it returns the bytes are in the OS.
 *    Every write names its position (pwrite), so appends and writeAt() mix on one descriptor; the file
 *    is never opened O_APPEND (Linux would ignore the positions).
 * 2. After a failed append or sync the file is poisoned: every later append/sync throws. A failed fsync
 *    may have dropped dirty pages, so retrying it and reporting success would lie (fsyncgate).
 * 3. close() while a syncAsync is in flight defers the fd close until the sync finishes, so the
 *    threadpool never fsyncs a descriptor number that was closed and reused.
 */
class NodeWritableFile implements WritableFile {
  private fd: number;
  private _size: number;
  private closed = false;
  private poison: IOError | undefined;
  private pendingSyncs = 0;

  constructor(
    readonly path: string,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this._size = size;
  }

  get size(): number {
    return this._size;
  }

  append(data: Uint8Array): void {
    this.check('append');
    let off = 0;
    const len = data.byteLength;
    try {
      while (off < len) {
        off += fs.writeSync(this.fd, data, off, len - off, this._size + off);
      }
    } catch (err) {
      // Some bytes may be in the file already: the size is unknown and the tail is garbage.
      this._size += off;
      throw this.poisonWith(err, 'append');
    }
    this._size += len;
  }

  writeAt(data: Uint8Array, offset: number): void {
    this.check('write');
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidArgumentError(`write of ${this.path}: bad offset ${offset}`);
    let off = 0;
    const len = data.byteLength;
    try {
      while (off < len) {
        off += fs.writeSync(this.fd, data, off, len - off, offset + off);
      }
    } catch (err) {
      if (offset + off > this._size) this._size = offset + off;
      throw this.poisonWith(err, 'write');
    }
    if (offset + len > this._size) this._size = offset + len;
  }

  truncate(size: number): void {
    this.check('truncate');
    if (!Number.isSafeInteger(size) || size < 0 || size > this._size)
      throw new InvalidArgumentError(`truncate of ${this.path}: bad size ${size}`);
    try {
      fs.ftruncateSync(this.fd, size);
    } catch (err) {
      throw this.poisonWith(err, 'truncate');
    }
    this._size = size;
  }

  sync(): void {
    this.check('sync');
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw this.poisonWith(err, 'sync');
    }
  }

  syncAsync(): Promise<void> {
    try {
      this.check('sync');
    } catch (err) {
      return Promise.reject(err);
    }
    this.pendingSyncs++;
    const fd = this.fd;
    return new Promise<void>((resolve, reject) => {
      fs.fdatasync(fd, (err) => {
        this.pendingSyncs--;
        if (this.closed && this.pendingSyncs === 0) this.closeFd();
        if (err) reject(this.poisonWith(err, 'sync'));
        else if (this.poison !== undefined) reject(this.poison);
        else resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pendingSyncs === 0) this.closeFd(true);
  }

  private closeFd(throwErrors = false): void {
    const fd = this.fd;
    this.fd = -1;
    try {
      fs.closeSync(fd);
    } catch (err) {
      if (throwErrors) throw toIOError(err, this.path);
    }
  }

  private check(op: string): void {
    if (this.closed) throw new ClosedError(`${op} on closed file ${this.path}`);
    if (this.poison !== undefined) {
      throw new IOError(
        `${op} on ${this.path} after an earlier failure: ${this.poison.message}`,
        this.poison.errno,
        this.poison.syscall,
        this.path,
        { cause: this.poison },
      );
    }
  }

  private poisonWith(err: unknown, op: string): IOError {
    const e = toIOError(err, this.path);
    const io =
      e instanceof IOError
        ? e
        : new IOError(`${op} failed on ${this.path}: ${e.message}`, undefined, op, this.path, { cause: e });
    this.poison ??= io;
    return io;
  }
}

/** NodeRandomAccessFile is a file opened for positioned reads. */
class NodeRandomAccessFile implements RandomAccessFile {
  private fd: number;
  private closed = false;

  constructor(
    readonly path: string,
    fd: number,
    readonly size: number,
  ) {
    this.fd = fd;
  }

  read(offset: number, length: number): Uint8Array {
    this.checkRead(offset, length);
    // Allocate no more than the file holds, so a corrupt length cannot cause a huge allocation; look at
    // the current size only when the size at open says the read runs past the end (the file may grow).
    let n = length;
    if (offset + length > this.size) {
      let current: number;
      try {
        current = fs.fstatSync(this.fd).size;
      } catch (err) {
        throw toIOError(err, this.path);
      }
      n = Math.max(0, Math.min(length, current - offset));
    }
    const out = new Uint8Array(n);
    const got = this.fill(out, offset, n);
    return got === n ? out : out.subarray(0, got);
  }

  readInto(offset: number, length: number, dst: Uint8Array): number {
    this.checkRead(offset, length);
    if (length > dst.length) {
      throw new InvalidArgumentError(`read of ${this.path}: ${length} bytes do not fit in ${dst.length}`);
    }
    return this.fill(dst, offset, length);
  }

  private checkRead(offset: number, length: number): void {
    if (this.closed) throw new ClosedError(`read on closed file ${this.path}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new InvalidArgumentError(`read of ${this.path}: bad range offset=${offset} length=${length}`);
    }
  }

  /** fill reads up to `n` bytes at `offset` into `out` from index 0; stops early only at end of file. */
  private fill(out: Uint8Array, offset: number, n: number): number {
    let got = 0;
    try {
      while (got < n) {
        const r = fs.readSync(this.fd, out, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
    } catch (err) {
      throw toIOError(err, this.path);
    }
    return got;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = -1;
    try {
      fs.closeSync(fd);
    } catch (err) {
      throw toIOError(err, this.path);
    }
  }
}

/** closeQuietly closes a read-only or failed descriptor whose close error would add nothing. */
function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // the descriptor is gone either way
  }
}

/** SYNC_DIR_UNSUPPORTED lists errnos meaning "this platform or file system cannot fsync a directory". */
const SYNC_DIR_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'EACCES']);

/** NodeFileSystem implements FileSystem over node:fs; every node error surfaces as an IOError. */
export class NodeFileSystem implements FileSystem {
  createWritable(path: string): WritableFile {
    try {
      const fd = fs.openSync(path, 'w');
      return new NodeWritableFile(path, fd, 0);
    } catch (err) {
      throw toIOError(err, path);
    }
  }

  openAppendable(path: string): WritableFile {
    let fd: number;
    try {
      // Read-write without O_APPEND, so that positioned writes land where they are aimed.
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT);
    } catch (err) {
      throw toIOError(err, path);
    }
    try {
      return new NodeWritableFile(path, fd, fs.fstatSync(fd).size);
    } catch (err) {
      closeQuietly(fd);
      throw toIOError(err, path);
    }
  }

  openRandomAccess(path: string): RandomAccessFile {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw toIOError(err, path);
    }
    try {
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) {
        throw new IOError(
          `I/O error: EISDIR: illegal operation on a directory, open '${path}'`,
          'EISDIR',
          'open',
          path,
        );
      }
      return new NodeRandomAccessFile(path, fd, st.size);
    } catch (err) {
      closeQuietly(fd);
      throw toIOError(err, path);
    }
  }

  readFile(path: string): Uint8Array {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw toIOError(err, path);
    }
    try {
      // Read into a plain Uint8Array (not a pooled Buffer), growing it if the file grew since fstat.
      let buf = new Uint8Array(fs.fstatSync(fd).size);
      let got = 0;
      while (true) {
        if (got === buf.length) {
          const probe = new Uint8Array(1);
          if (fs.readSync(fd, probe, 0, 1, got) === 0) break;
          const bigger = new Uint8Array(Math.max(buf.length * 2, 4096));
          bigger.set(buf);
          bigger[got++] = probe[0]!;
          buf = bigger;
          continue;
        }
        const r = fs.readSync(fd, buf, got, buf.length - got, got);
        if (r === 0) break;
        got += r;
      }
      return got === buf.length ? buf : buf.slice(0, got);
    } catch (err) {
      throw toIOError(err, path);
    } finally {
      closeQuietly(fd);
    }
  }

  exists(path: string): boolean {
    try {
      return fs.statSync(path, { throwIfNoEntry: false }) !== undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw toIOError(err, path);
    }
  }

  fileSize(path: string): number {
    try {
      return fs.statSync(path).size;
    } catch (err) {
      throw toIOError(err, path);
    }
  }

  list(dir: string): string[] {
    try {
      return fs.readdirSync(dir);
    } catch (err) {
      throw toIOError(err, dir);
    }
  }

  mkdir(dir: string): void {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw toIOError(err, dir);
    }
  }

  rename(from: string, to: string): void {
    try {
      fs.renameSync(from, to);
    } catch (err) {
      throw toIOError(err, from);
    }
  }

  link(from: string, to: string): void {
    try {
      fs.linkSync(from, to);
    } catch (err) {
      throw toIOError(err, to);
    }
  }

  remove(path: string): void {
    try {
      fs.unlinkSync(path);
    } catch (err) {
      throw toIOError(err, path);
    }
  }

  async removeInBackground(path: string): Promise<void> {
    try {
      await fs.promises.unlink(path);
    } catch (err) {
      throw toIOError(err, path);
    }
  }

  removeDir(dir: string): void {
    try {
      fs.rmdirSync(dir);
    } catch (err) {
      throw toIOError(err, dir);
    }
  }

  syncDir(dir: string): void {
    let fd: number;
    try {
      fd = fs.openSync(dir, 'r');
    } catch (err) {
      // Windows cannot open a directory as a file; there is nothing to sync.
      if (process.platform === 'win32' && SYNC_DIR_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? ''))
        return;
      throw toIOError(err, dir);
    }
    try {
      fs.fsyncSync(fd);
    } catch (err) {
      // Some platforms and file systems refuse fsync on a directory (EINVAL/EBADF): not a data loss.
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!(
        code === 'EINVAL' ||
        code === 'EBADF' ||
        (process.platform === 'win32' && SYNC_DIR_UNSUPPORTED.has(code))
      )) {
        throw toIOError(err, dir);
      }
    } finally {
      closeQuietly(fd);
    }
  }

  lock(path: string): Promise<FileLock> {
    return acquireFileLock(path);
  }
}
