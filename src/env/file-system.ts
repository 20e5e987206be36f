/**
 * The FileSystem interface: every byte shale reads or writes goes through it, so tests can swap the
 * real disk (node-fs.ts) for memory (mem-fs.ts) or a fault-injecting layer (fault-fs.ts).
 *
 * All operations are synchronous: shale's reads and writes are synchronous calls (the fast path), and a
 * write that returns must already be in the operating system. Only `syncAsync` hands work to a thread so
 * that group commit can overlap an fsync with the next writers.
 *
 * Paths are POSIX-style strings built with node:path. Failures throw IOError carrying the errno
 * (`ENOENT` for a missing file, `EIO`, `ENOSPC`, ...).
 */

/** WritableFile is a file opened for appending. */
export interface WritableFile {
  /** path is the file's path as opened. */
  readonly path: string;
  /** size is the file's length in bytes, including bytes that were there when it was opened. */
  readonly size: number;
  /**
   * append writes `data` at the end of the file; when it returns, the bytes are in the OS. `data` is not
   * kept: the caller may change it once append returns (an implementation copies what it holds on to).
   */
  append(data: Uint8Array): void;
  /**
   * writeAt (optional) writes `data` at `offset` (pwrite), over bytes already in the file or past its
   * end (the file grows to `offset + data.length` if that is larger). Like append it keeps no reference
   * to `data`. Offered by files opened with createWritable or openAppendable of the file systems here;
   * preallocated logs overwrite their zero-filled space with it.
   */
  writeAt?(data: Uint8Array, offset: number): void;
  /** truncate (optional) sets the file's length to `size` (not larger than it is). Not durable until sync. */
  truncate?(size: number): void;
  /** sync makes the file's contents durable (fsync); on failure the file must not be trusted again. */
  sync(): void;
  /** syncAsync is sync performed off the calling thread. */
  syncAsync(): Promise<void>;
  /** close releases the handle; further calls fail. Closing does not sync. */
  close(): void;
}

/** RandomAccessFile is a file opened for positioned reads. */
export interface RandomAccessFile {
  readonly path: string;
  /** size is the file's length when it was opened. */
  readonly size: number;
  /**
   * read returns the bytes at [offset, offset+length), a shorter array only when the file ends first.
   * The returned array is owned by the caller.
   */
  read(offset: number, length: number): Uint8Array;
  /**
   * readInto (optional) reads [offset, offset+length) into `dst` from index 0 and returns the number of
   * bytes read (fewer only when the file ends first). Lets hot paths reuse one buffer instead of
   * allocating per read; callers fall back to read() when a file system does not offer it.
   */
  readInto?(offset: number, length: number, dst: Uint8Array): number;
  close(): void;
}

/** FileLock is a held lock; release() gives it up. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

/** FileSystem is the set of file operations the engine uses. */
export interface FileSystem {
  /**
   * delayFlushes (optional; test file systems): inline flushes start on a later turn of the event
   * loop, or when a writer must wait for one, as on a busy worker thread, so crash tests reach the
   * states where writes go on while the previous memtable is still being flushed (LevelDB's test
   * Envs delay background work the same way).
   */
  readonly delayFlushes?: boolean;
  /** createWritable creates `path`, truncating it if it exists. */
  createWritable(path: string): WritableFile;
  /** openAppendable opens `path` for appending, creating it if missing (WAL and MANIFEST reuse). */
  openAppendable(path: string): WritableFile;
  /** openRandomAccess opens an existing file for reads; ENOENT if missing. */
  openRandomAccess(path: string): RandomAccessFile;
  /** readFile returns the whole contents of a file. */
  readFile(path: string): Uint8Array;
  /** exists returns true iff `path` names a file or directory. */
  exists(path: string): boolean;
  /** fileSize returns the length of a file in bytes. */
  fileSize(path: string): number;
  /** list returns the names (not paths) of a directory's entries, in no particular order. */
  list(dir: string): string[];
  /** mkdir creates a directory and its parents; no error if it exists. */
  mkdir(dir: string): void;
  /** rename atomically replaces `to` with `from` (POSIX rename). */
  rename(from: string, to: string): void;
  /** remove unlinks a file. */
  remove(path: string): void;
  /**
   * link (optional) makes `to` a hard link to `from` (checkpoints share immutable tables this way);
   * throws if the file system cannot (e.g. EXDEV across devices), and callers then copy.
   */
  link?(from: string, to: string): void;
  /**
   * removeInBackground (optional) unlinks a file off the calling thread; the promise settles when it is
   * done. The engine uses it for obsolete files (unlinking a large file can take milliseconds).
   */
  removeInBackground?(path: string): Promise<void>;
  /** removeDir removes an empty directory. */
  removeDir(dir: string): void;
  /** syncDir makes the directory's entries (creates, renames, unlinks) durable. */
  syncDir(dir: string): void;
  /**
   * lock takes an exclusive lock named by `path` (a database's LOCK file) that excludes every other
   * holder this implementation can see; throws LockedError if it is held.
   */
  lock(path: string): Promise<FileLock>;
}
