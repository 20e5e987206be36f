/**
 * MemFileSystem: a FileSystem held in memory, for tests. Directories are explicit nodes and errors carry
 * the errno a POSIX file system would give (ENOENT, ENOTDIR, EISDIR, ENOTEMPTY, EEXIST), so code tested
 * here behaves the same on disk. Everything is durable at once (sync is a no-op); a fault-injecting layer
 * wraps this to model lost unsynced data.
 */

import { posix } from 'node:path';
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './file-system.js';
import { ClosedError, InvalidArgumentError, IOError, LockedError } from '../util/errors.js';

/** FileNode is a file's contents: bytes [0, len) of a buffer that grows by doubling. */
interface FileNode {
  readonly kind: 'file';
  buf: Uint8Array;
  len: number;
}

/** DirNode is a directory: its entries by name. */
interface DirNode {
  readonly kind: 'dir';
  readonly entries: Map<string, Node>;
}

type Node = FileNode | DirNode;

const MESSAGES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  EBUSY: 'resource busy or locked',
};

/** fsError builds the IOError node:fs would have produced (through toIOError) for this errno. */
function fsError(errno: string, syscall: string, path: string): IOError {
  return new IOError(
    `I/O error: ${errno}: ${MESSAGES[errno] ?? 'error'}, ${syscall} '${path}'`,
    errno,
    syscall,
    path,
  );
}

/** normalize makes `p` absolute (relative paths hang off '/') and removes '.', '..' and trailing '/'. */
function normalize(p: string): string {
  return posix.resolve('/', p);
}

function newDir(): DirNode {
  return { kind: 'dir', entries: new Map() };
}

class MemWritableFile implements WritableFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly node: FileNode,
  ) {}

  get size(): number {
    return this.node.len;
  }

  append(data: Uint8Array): void {
    this.check('append');
    const node = this.node;
    const need = node.len + data.byteLength;
    if (need > node.buf.length) {
      const bigger = new Uint8Array(Math.max(need, node.buf.length * 2, 64));
      bigger.set(node.buf.subarray(0, node.len));
      node.buf = bigger;
    }
    node.buf.set(data, node.len);
    node.len = need;
  }

  writeAt(data: Uint8Array, offset: number): void {
    this.check('write');
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidArgumentError(`write of ${this.path}: bad offset ${offset}`);
    const node = this.node;
    const end = offset + data.byteLength;
    if (end > node.buf.length) {
      const bigger = new Uint8Array(Math.max(end, node.buf.length * 2, 64));
      bigger.set(node.buf.subarray(0, node.len));
      node.buf = bigger;
    }
    // A write past the end leaves a hole of zeros (the buffer beyond len may hold truncated bytes).
    if (offset > node.len) node.buf.fill(0, node.len, offset);
    node.buf.set(data, offset);
    if (end > node.len) node.len = end;
  }

  truncate(size: number): void {
    this.check('truncate');
    if (!Number.isSafeInteger(size) || size < 0 || size > this.node.len)
      throw new InvalidArgumentError(`truncate of ${this.path}: bad size ${size}`);
    this.node.len = size;
  }

  sync(): void {
    this.check('sync');
  }

  syncAsync(): Promise<void> {
    try {
      this.check('sync');
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  private check(op: string): void {
    if (this.closed) throw new ClosedError(`${op} on closed file ${this.path}`);
  }
}

class MemRandomAccessFile implements RandomAccessFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly node: FileNode,
    readonly size: number,
  ) {}

  read(offset: number, length: number): Uint8Array {
    if (this.closed) throw new ClosedError(`read on closed file ${this.path}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new InvalidArgumentError(`read of ${this.path}: bad range offset=${offset} length=${length}`);
    }
    const end = Math.min(this.node.len, offset + length);
    return end <= offset ? new Uint8Array(0) : this.node.buf.slice(offset, end);
  }

  close(): void {
    this.closed = true;
  }
}

/** MemFileSystem implements FileSystem in memory; see the file comment. */
export class MemFileSystem implements FileSystem {
  private root: DirNode = newDir();
  private readonly locks = new Set<string>();

  /** clone returns a deep copy of every file and directory (no locks, no open handles). */
  clone(): MemFileSystem {
    const copy = new MemFileSystem();
    copy.root = cloneDir(this.root);
    return copy;
  }

  createWritable(path: string): WritableFile {
    const p = normalize(path);
    const { parent, name } = this.parentOf(p, 'open');
    const existing = parent.entries.get(name);
    if (existing?.kind === 'dir') throw fsError('EISDIR', 'open', p);
    if (existing !== undefined) {
      // O_TRUNC keeps the inode: handles already open see the truncation.
      existing.len = 0;
      existing.buf = new Uint8Array(0);
      return new MemWritableFile(path, existing);
    }
    const node: FileNode = { kind: 'file', buf: new Uint8Array(0), len: 0 };
    parent.entries.set(name, node);
    return new MemWritableFile(path, node);
  }

  openAppendable(path: string): WritableFile {
    const p = normalize(path);
    const { parent, name } = this.parentOf(p, 'open');
    const existing = parent.entries.get(name);
    if (existing?.kind === 'dir') throw fsError('EISDIR', 'open', p);
    if (existing !== undefined) return new MemWritableFile(path, existing);
    const node: FileNode = { kind: 'file', buf: new Uint8Array(0), len: 0 };
    parent.entries.set(name, node);
    return new MemWritableFile(path, node);
  }

  openRandomAccess(path: string): RandomAccessFile {
    const node = this.file(path, 'open');
    return new MemRandomAccessFile(path, node, node.len);
  }

  readFile(path: string): Uint8Array {
    const node = this.file(path, 'open');
    return node.buf.slice(0, node.len);
  }

  exists(path: string): boolean {
    return this.lookup(normalize(path)) !== undefined;
  }

  fileSize(path: string): number {
    return this.file(path, 'stat').len;
  }

  list(dir: string): string[] {
    return [...this.dir(dir, 'scandir').entries.keys()];
  }

  mkdir(dir: string): void {
    const p = normalize(dir);
    let cur = this.root;
    const parts = components(p);
    for (let i = 0; i < parts.length; i++) {
      const next = cur.entries.get(parts[i]!);
      if (next === undefined) {
        const d = newDir();
        cur.entries.set(parts[i]!, d);
        cur = d;
      } else if (next.kind === 'dir') {
        cur = next;
      } else {
        throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
      }
    }
  }

  rename(from: string, to: string): void {
    const f = normalize(from);
    const t = normalize(to);
    const src = this.parentOf(f, 'rename');
    const node = src.parent.entries.get(src.name);
    if (node === undefined) throw fsError('ENOENT', 'rename', f);
    const dst = this.parentOf(t, 'rename');
    if (f === t) return;
    if (node.kind === 'dir' && (t + '/').startsWith(f + '/')) throw fsError('EINVAL', 'rename', f);
    const target = dst.parent.entries.get(dst.name);
    if (target !== undefined) {
      if (node.kind === 'file' && target.kind === 'dir') throw fsError('EISDIR', 'rename', f);
      if (node.kind === 'dir' && target.kind === 'file') throw fsError('ENOTDIR', 'rename', f);
      if (target.kind === 'dir' && target.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', f);
    }
    src.parent.entries.delete(src.name);
    dst.parent.entries.set(dst.name, node);
  }

  remove(path: string): void {
    const p = normalize(path);
    const { parent, name } = this.parentOf(p, 'unlink');
    const node = parent.entries.get(name);
    if (node === undefined) throw fsError('ENOENT', 'unlink', p);
    if (node.kind === 'dir') throw fsError('EISDIR', 'unlink', p);
    parent.entries.delete(name);
  }

  removeDir(dir: string): void {
    const p = normalize(dir);
    if (p === '/') throw fsError('EBUSY', 'rmdir', p);
    const { parent, name } = this.parentOf(p, 'rmdir');
    const node = parent.entries.get(name);
    if (node === undefined) throw fsError('ENOENT', 'rmdir', p);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'rmdir', p);
    if (node.entries.size > 0) throw fsError('ENOTEMPTY', 'rmdir', p);
    parent.entries.delete(name);
  }

  syncDir(dir: string): void {
    this.dir(dir, 'open');
  }

  /** lock takes an exclusive lock in this MemFileSystem's own table, creating the LOCK file if missing. */
  lock(path: string): Promise<FileLock> {
    const p = normalize(path);
    try {
      if (this.locks.has(p)) throw new LockedError(`${path} is locked (in this MemFileSystem)`);
      this.openAppendable(p).close();
    } catch (err) {
      return Promise.reject(err);
    }
    this.locks.add(p);
    const locks = this.locks;
    let released = false;
    return Promise.resolve({
      path,
      release(): void {
        if (released) return;
        released = true;
        locks.delete(p);
      },
    });
  }

  /** lookup returns the node at normalized path `p`, or undefined if any component is missing. */
  private lookup(p: string): Node | undefined {
    let cur: Node = this.root;
    for (const part of components(p)) {
      if (cur.kind !== 'dir') return undefined;
      const next: Node | undefined = cur.entries.get(part);
      if (next === undefined) return undefined;
      cur = next;
    }
    return cur;
  }

  /** parentOf returns the directory that holds normalized path `p` and the entry's name in it. */
  private parentOf(p: string, syscall: string): { parent: DirNode; name: string } {
    if (p === '/') throw fsError('EISDIR', syscall, p);
    let cur: DirNode = this.root;
    const parts = components(p);
    for (let i = 0; i < parts.length - 1; i++) {
      const next = cur.entries.get(parts[i]!);
      if (next === undefined) throw fsError('ENOENT', syscall, p);
      if (next.kind !== 'dir') throw fsError('ENOTDIR', syscall, p);
      cur = next;
    }
    return { parent: cur, name: parts[parts.length - 1]! };
  }

  private file(path: string, syscall: string): FileNode {
    const p = normalize(path);
    const { parent, name } = this.parentOf(p, syscall);
    const node = parent.entries.get(name);
    if (node === undefined) throw fsError('ENOENT', syscall, p);
    if (node.kind === 'dir') throw fsError('EISDIR', syscall, p);
    return node;
  }

  private dir(path: string, syscall: string): DirNode {
    const p = normalize(path);
    if (p === '/') return this.root;
    const { parent, name } = this.parentOf(p, syscall);
    const node = parent.entries.get(name);
    if (node === undefined) throw fsError('ENOENT', syscall, p);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, p);
    return node;
  }
}

function components(p: string): string[] {
  return p === '/' ? [] : p.slice(1).split('/');
}

function cloneDir(d: DirNode): DirNode {
  const out = newDir();
  for (const [name, node] of d.entries) {
    out.entries.set(
      name,
      node.kind === 'dir'
        ? cloneDir(node)
        : { kind: 'file', buf: node.buf.slice(0, node.len), len: node.len },
    );
  }
  return out;
}
