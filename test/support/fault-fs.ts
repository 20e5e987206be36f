/**
 * FaultFileSystem: an in-memory FileSystem that knows what a power cut would keep, and can fail on cue.
 *
 * Durability model (what ../shared/reliability.md asks a crash image to honour):
 * - a file's bytes are durable up to its last successful sync(); later appends may be lost, in part
 *   (a random prefix survives) or in full;
 * - bytes overwritten in place (writeAt, below the synced length) since the last sync may revert to
 *   their durable contents, 512-byte sector by sector: all of them, none, the sectors after a random
 *   one (a write torn at a sector boundary), or a random subset (pages written back out of order); an
 *   extension of the file (writeAt or append past the synced length) may be lost like an append;
 * - an unsynced truncate is modelled as durable at once (only zero tails are trimmed by the engine);
 * - a directory entry (create, rename, remove) is durable only after syncDir() of its directory; a
 *   crash reverts every entry change made since, so a file created but not dir-synced disappears and
 *   a rename not dir-synced is undone.
 * crashImage() returns a fresh FaultFileSystem holding one such outcome. `crashAt` makes the k-th
 * operation (and every one after it) throw CrashError, freezing the state a power cut at that moment
 * would leave; `faults` inject EIO / ENOSPC / EROFS by operation kind, path and occurrence.
 */
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from '../../src/index.js';
import { IOError, LockedError } from '../../src/index.js';
import { Random } from '../../src/util/random.js';

/** Op names the kinds of filesystem operations faults and counts refer to. */
export type Op =
  | 'create'
  | 'open'
  | 'append'
  | 'write'
  | 'truncate'
  | 'sync'
  | 'read'
  | 'rename'
  | 'remove'
  | 'syncDir'
  | 'list'
  | 'mkdir';

/** Fault makes the `nth` (0-based) matching operation fail with `errno` (once, or from then on). */
export interface Fault {
  readonly op: Op;
  readonly path?: RegExp;
  readonly nth: number;
  readonly errno: 'EIO' | 'ENOSPC' | 'EROFS';
  readonly sticky?: boolean;
  seen?: number;
  fired?: boolean;
}

/** CrashError is thrown by every operation from the crash point on. */
export class CrashError extends Error {
  constructor() {
    super('simulated power cut');
    this.name = 'CrashError';
  }
}

/**
 * CrashMode: what happens to data appended since a file's last sync: dropped, a random prefix kept, all
 * kept, random 4 KiB blocks of it kept (a disk writing back pages out of order), or a prefix followed by
 * a tail of garbage or zeros (a torn sector). Sectors overwritten since the last sync follow the same
 * mode: all revert, the ones after a random cut revert (garbageTail: the one at the cut turns to
 * garbage), none revert, or each reverts with probability 1/2 (randomBlocks).
 */
export type CrashMode =
  'dropUnsynced' | 'randomPrefix' | 'keepAll' | 'randomBlocks' | 'garbageTail' | 'zeroTail';

/** CRASH_MODES lists every mode, for tests that try them all. */
export const CRASH_MODES: readonly CrashMode[] = [
  'dropUnsynced',
  'randomPrefix',
  'keepAll',
  'randomBlocks',
  'garbageTail',
  'zeroTail',
];

/** SECTOR: the unit in which an overwrite reaches the disk or not. */
const SECTOR = 512;

class Node {
  data = new Uint8Array(256);
  size = 0;
  synced = 0;
  /** old: per sector index, the durable bytes of a sector below `synced` overwritten since the last sync. */
  old = new Map<number, Uint8Array>();
  append(b: Uint8Array): void {
    this.writeAt(b, this.size);
  }
  writeAt(b: Uint8Array, offset: number): void {
    const end = offset + b.length;
    // Only sectors this write changes below the synced length (not ones it merely shares with them).
    for (
      let s = Math.floor(offset / SECTOR);
      offset < this.synced && s * SECTOR < Math.min(end, this.synced);
      s++
    )
      if (!this.old.has(s))
        this.old.set(s, this.data.slice(s * SECTOR, Math.min((s + 1) * SECTOR, this.synced)));
    if (end > this.data.length) {
      const n = new Uint8Array(Math.max(this.data.length * 2, end));
      n.set(this.data.subarray(0, this.size));
      this.data = n;
    }
    if (offset > this.size) this.data.fill(0, this.size, offset);
    this.data.set(b, offset);
    if (end > this.size) this.size = end;
  }
  truncate(size: number): void {
    this.size = size;
    if (this.synced > size) this.synced = size;
    for (const s of [...this.old.keys()]) if (s * SECTOR >= size) this.old.delete(s);
  }
  markSynced(): void {
    this.synced = this.size;
    this.old.clear();
  }
  bytes(): Uint8Array {
    return this.data.slice(0, this.size);
  }
}

function parent(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function norm(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** FaultFileSystem: see the module comment. */
export class FaultFileSystem implements FileSystem {
  /** current: the namespace as the running program sees it; durable: as a crash would leave it. */
  private current = new Map<string, Node>();
  private durable = new Map<string, Node>();
  private dirs = new Set<string>(['/']);
  private readonly locks = new Set<string>();
  /** ops counts every operation; counts[op] per kind. */
  ops = 0;
  readonly counts: Record<Op, number> = {
    create: 0,
    open: 0,
    append: 0,
    write: 0,
    truncate: 0,
    sync: 0,
    read: 0,
    rename: 0,
    remove: 0,
    syncDir: 0,
    list: 0,
    mkdir: 0,
  };
  /** crashAt: the operation number at which the power goes out (Infinity: never). */
  crashAt = Infinity;
  crashed = false;
  faults: Fault[] = [];
  /** firedFaults counts injected failures actually thrown. */
  firedFaults = 0;
  /** delayFlushes: inline flushes wait for a later turn or a waiting writer (FileSystem.delayFlushes). */
  delayFlushes = false;
  /** trace, when set, records every operation (for the call-order audit). */
  trace: string[] | null = null;
  /** onAppend, when set, sees the bytes and offset of every append or writeAt that succeeded (the call-order audit). */
  onAppend: ((path: string, data: Uint8Array, offset: number) => void) | null = null;

  private step(op: Op, path: string): void {
    if (this.crashed) throw new CrashError();
    if (this.ops >= this.crashAt) {
      this.crashed = true;
      throw new CrashError();
    }
    this.ops++;
    this.counts[op]++;
    this.trace?.push(`${op} ${path}`);
    for (const f of this.faults) {
      if (f.op !== op || (f.path !== undefined && !f.path.test(path))) continue;
      const seen = (f.seen = (f.seen ?? 0) + 1) - 1;
      if (seen === f.nth || (f.sticky === true && seen > f.nth)) {
        f.fired = true;
        this.firedFaults++;
        throw new IOError(`injected ${f.errno} on ${op} ${path}`, f.errno, op, path);
      }
    }
  }

  private node(path: string): Node {
    const n = this.current.get(norm(path));
    if (n === undefined) throw new IOError(`no such file: ${path}`, 'ENOENT', 'open', path);
    return n;
  }

  private writable(path: string, node: Node): WritableFile {
    let closed = false;
    let poisoned = false;
    const start = node.size;
    let written = 0;
    const sync = (): void => {
      if (poisoned) throw new IOError('file failed earlier', 'EIO', 'fsync', path);
      try {
        this.step('sync', path);
      } catch (e) {
        poisoned = true;
        throw e;
      }
      node.markSynced();
    };
    return {
      path,
      get size() {
        return start + written;
      },
      append: (data: Uint8Array) => {
        if (closed) throw new IOError('append after close', 'EBADF', 'write', path);
        if (poisoned) throw new IOError('file failed earlier', 'EIO', 'write', path);
        try {
          this.step('append', path);
        } catch (e) {
          poisoned = true;
          throw e;
        }
        const at = node.size;
        node.append(data);
        written += data.length;
        this.onAppend?.(path, data, at);
      },
      writeAt: (data: Uint8Array, offset: number) => {
        if (closed) throw new IOError('write after close', 'EBADF', 'write', path);
        if (poisoned) throw new IOError('file failed earlier', 'EIO', 'write', path);
        try {
          this.step('write', path);
        } catch (e) {
          poisoned = true;
          throw e;
        }
        node.writeAt(data, offset);
        written = node.size - start;
        this.onAppend?.(path, data, offset);
      },
      truncate: (size: number) => {
        if (closed) throw new IOError('truncate after close', 'EBADF', 'ftruncate', path);
        if (poisoned) throw new IOError('file failed earlier', 'EIO', 'ftruncate', path);
        try {
          this.step('truncate', path);
        } catch (e) {
          poisoned = true;
          throw e;
        }
        node.truncate(size);
        written = node.size - start;
      },
      sync: () => sync(),
      syncAsync: async () => sync(),
      close: () => {
        closed = true;
      },
    };
  }

  createWritable(path: string): WritableFile {
    path = norm(path);
    this.step('create', path);
    if (!this.dirs.has(parent(path)))
      throw new IOError(`no such directory: ${parent(path)}`, 'ENOENT', 'open', path);
    const n = new Node();
    this.current.set(path, n);
    return this.writable(path, n);
  }

  openAppendable(path: string): WritableFile {
    path = norm(path);
    this.step('open', path);
    let n = this.current.get(path);
    if (n === undefined) {
      if (!this.dirs.has(parent(path)))
        throw new IOError(`no such directory: ${parent(path)}`, 'ENOENT', 'open', path);
      n = new Node();
      this.current.set(path, n);
    }
    return this.writable(path, n);
  }

  openRandomAccess(path: string): RandomAccessFile {
    path = norm(path);
    this.step('open', path);
    const n = this.node(path);
    const size = n.size;
    return {
      path,
      size,
      read: (offset: number, length: number) => {
        this.step('read', path);
        return n.data.slice(offset, Math.min(offset + length, n.size));
      },
      close: () => {},
    };
  }

  readFile(path: string): Uint8Array {
    path = norm(path);
    this.step('read', path);
    return this.node(path).bytes();
  }

  exists(path: string): boolean {
    path = norm(path);
    if (this.crashed) throw new CrashError();
    return this.current.has(path) || this.dirs.has(path);
  }

  fileSize(path: string): number {
    if (this.crashed) throw new CrashError();
    return this.node(path).size;
  }

  list(dir: string): string[] {
    dir = norm(dir);
    this.step('list', dir);
    if (!this.dirs.has(dir)) throw new IOError(`no such directory: ${dir}`, 'ENOENT', 'scandir', dir);
    const out: string[] = [];
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const p of this.current.keys())
      if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.push(p.slice(prefix.length));
    for (const d of this.dirs)
      if (d !== dir && d.startsWith(prefix) && !d.slice(prefix.length).includes('/'))
        out.push(d.slice(prefix.length));
    return out.sort();
  }

  mkdir(dir: string): void {
    dir = norm(dir);
    this.step('mkdir', dir);
    // Directories are treated as durable at once (the tests create them before the workload).
    let d = dir;
    while (d !== '/' && !this.dirs.has(d)) {
      this.dirs.add(d);
      d = parent(d);
    }
  }

  rename(from: string, to: string): void {
    from = norm(from);
    to = norm(to);
    this.step('rename', `${from} -> ${to}`);
    const n = this.node(from);
    this.current.delete(from);
    this.current.set(to, n);
  }

  remove(path: string): void {
    path = norm(path);
    this.step('remove', path);
    if (!this.current.delete(path)) throw new IOError(`no such file: ${path}`, 'ENOENT', 'unlink', path);
  }

  removeDir(dir: string): void {
    dir = norm(dir);
    this.step('remove', dir);
    this.dirs.delete(dir);
  }

  syncDir(dir: string): void {
    dir = norm(dir);
    this.step('syncDir', dir);
    // Make this directory's entries durable as they are now.
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const inDir = (p: string): boolean => p.startsWith(prefix) && !p.slice(prefix.length).includes('/');
    for (const p of [...this.durable.keys()]) if (inDir(p) && !this.current.has(p)) this.durable.delete(p);
    for (const [p, n] of this.current) if (inDir(p)) this.durable.set(p, n);
  }

  lock(path: string): Promise<FileLock> {
    path = norm(path);
    if (this.locks.has(path)) return Promise.reject(new LockedError(`${path} is locked`));
    try {
      this.openAppendable(path).close();
    } catch (e) {
      return Promise.reject(e);
    }
    this.locks.add(path);
    const locks = this.locks;
    return Promise.resolve({
      path,
      release: () => {
        locks.delete(path);
      },
    });
  }

  /** crashImage returns what a power cut now would leave, as a fresh file system (no faults, no crash). */
  crashImage(mode: CrashMode, rnd: Random = new Random(1)): FaultFileSystem {
    const img = new FaultFileSystem();
    img.dirs = new Set(this.dirs);
    for (const [p, n] of this.durable) {
      const c = new Node();
      const data = n.data.slice(0, n.size);
      const reverted = revertOverwrites(n, data, mode, rnd);
      // A tail kept after an earlier overwrite reverted would not be a prefix in time: drop it then.
      const unsynced = reverted ? 0 : n.size - n.synced;
      if (mode === 'keepAll') c.append(data);
      else if (mode === 'randomPrefix' && unsynced > 0)
        c.append(data.subarray(0, n.synced + rnd.uniform(unsynced + 1)));
      else if (mode === 'randomBlocks' && unsynced > 0) {
        // The file keeps its length; each unsynced 4 KiB block is either written or still zeros.
        const img = data;
        for (let b = n.synced; b < n.size; b += 4096)
          if (rnd.oneIn(2)) img.fill(0, b, Math.min(n.size, b + 4096));
        c.append(img);
      } else if ((mode === 'garbageTail' || mode === 'zeroTail') && unsynced > 0) {
        const keep = n.synced + rnd.uniform(unsynced + 1);
        c.append(data.subarray(0, keep));
        const tail = new Uint8Array(1 + rnd.uniform(512));
        if (mode === 'garbageTail') for (let i = 0; i < tail.length; i++) tail[i] = rnd.uniform(256);
        c.append(tail);
      } else c.append(data.subarray(0, n.synced));
      c.synced = c.size;
      img.current.set(p, c);
      img.durable.set(p, c);
    }
    return img;
  }

  /** healthy returns a fresh file system with the current (not crashed) contents, all durable. */
  snapshotAll(): FaultFileSystem {
    const img = new FaultFileSystem();
    img.dirs = new Set(this.dirs);
    for (const [p, n] of this.current) {
      const c = new Node();
      c.append(n.bytes());
      c.synced = c.size;
      img.current.set(p, c);
      img.durable.set(p, c);
    }
    return img;
  }
}

/**
 * revertOverwrites applies `mode` to the sectors of `n` overwritten since its last sync, in `data` (a
 * copy of its current bytes); returns true iff some sector reverted.
 */
function revertOverwrites(n: Node, data: Uint8Array, mode: CrashMode, rnd: Random): boolean {
  if (n.old.size === 0 || mode === 'keepAll') return false;
  const sectors = [...n.old.keys()].sort((a, b) => a - b);
  let from = 0; // sectors[from..] revert (all but randomBlocks)
  if (mode === 'randomPrefix' || mode === 'garbageTail' || mode === 'zeroTail')
    from = rnd.uniform(sectors.length + 1);
  let reverted = false;
  sectors.forEach((s, i) => {
    const back = mode === 'randomBlocks' ? rnd.oneIn(2) : i >= from;
    if (!back) return;
    reverted = true;
    const old = n.old.get(s)!;
    // A torn sector: garbage where the unsynced write changed it, its durable bytes elsewhere.
    if (mode === 'garbageTail' && i === from)
      for (let j = 0; j < old.length; j++) {
        if (data[s * SECTOR + j] !== old[j]) data[s * SECTOR + j] = rnd.uniform(256);
      }
    else data.set(old, s * SECTOR);
  });
  return reverted;
}
