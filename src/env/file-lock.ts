/**
 * The database LOCK for NodeFileSystem. Node has no fcntl/flock, so shale builds the strongest exclusion
 * it can from what Node offers (see docs/locking.md):
 *
 * 1. In-process: a table of held locks keyed by the LOCK file's identity (two paths to one directory
 *    collide), shared by every copy of this module in one thread via a global symbol. The identity is
 *    device, inode and birth time: a file system reuses the inode of a deleted LOCK, and a holder that
 *    still runs on a deleted directory must not lock out a new database that got its inode.
 * 2. Linux: a Unix-domain socket bound in the abstract namespace, named `\0shale-lock:<identity>`. bind()
 *    is atomic and exclusive across all processes and worker threads of one network namespace, and the
 *    kernel frees the name when the holder dies, even by SIGKILL. The holder answers a connection with
 *    its pid, so a LockedError can name it.
 * 3. Elsewhere (macOS, Windows), or if abstract sockets fail unexpectedly: a sidecar file `<LOCK>.shale`
 *    (lock-sidecar.ts) created atomically (hard link of a complete temp file, or O_EXCL) holding the
 *    holder's pid, process start time, host name and a nonce. An existing sidecar is stale when its pid
 *    is dead or its start time differs (a recycled pid); a stale sidecar is removed and the create is
 *    retried once. On Linux the socket holder also backs off while a live sidecar exists.
 * 4. Linux: a LevelDB (or RocksDB) process holding the directory is detected through /proc/locks
 *    (proc-locks.ts), where its fcntl lock on LOCK shows as `<major>:<minor>:<inode>`.
 *
 * The LOCK file itself is created if missing (LevelDB keeps one; its contents do not matter) and is left in
 * place on release.
 *
 * What this does NOT exclude:
 * - Processes in another network namespace (another container) sharing the disk: abstract socket names
 *   are per network namespace. Their pids are also not ours, so the sidecar cannot judge them either.
 * - Other machines (NFS, shared volumes): neither the socket nor /proc/locks crosses machines; a sidecar
 *   written by another host is treated as held and must be removed by hand if that host died.
 * - LevelDB and RocksDB processes cannot see shale's lock at all: a LevelDB that opens the directory after
 *   shale will succeed. shale only refuses to open after LevelDB (and only on Linux).
 * - A LevelDB lock is seen only when /proc/locks lists it: a holder in another pid namespace may be hidden.
 *   On btrfs subvolumes and some overlay setups st_dev differs from the device /proc/locks prints; then a
 *   same-inode entry is confirmed by looking for the file among the holder's /proc/<pid>/fd.
 * - Deleting and recreating LOCK while a holder runs gives it a new inode, hence a new lock name (as
 *   with fcntl locks).
 * - Any local user in the same network namespace can bind the abstract name first (abstract sockets have
 *   no permissions), which makes shale report the database as locked.
 * - Sidecar race: two processes that both find the same stale sidecar may interleave as A removes, A
 *   creates, B removes A's new sidecar, B creates, and then both believe they hold the lock. shale narrows
 *   this by re-reading the sidecar and removing it only if its bytes are unchanged, but a remove by name
 *   cannot be made conditional, so the window stays open. It only matters after a holder died.
 */

import * as fs from 'node:fs';
import * as net from 'node:net';
import type { FileLock } from './file-system.js';
import { checkNoLiveSidecar, sidecarLock } from './lock-sidecar.js';
import { findLevelDbHolder } from './proc-locks.js';
import { LockedError, toIOError } from '../util/errors.js';

/** LockStrategy selects the cross-process mechanism: 'auto' is the socket on Linux, the sidecar elsewhere. */
export type LockStrategy = 'auto' | 'socket' | 'sidecar';

/** FileLockOptions tunes acquireFileLock; the defaults are what NodeFileSystem.lock uses. */
export interface FileLockOptions {
  /** strategy forces a mechanism (tests use 'sidecar' on Linux); default 'auto'. */
  readonly strategy?: LockStrategy;
  /** detectLevelDb checks /proc/locks for a LevelDB holder (Linux only); default true. */
  readonly detectLevelDb?: boolean;
}

/** Mechanism is one acquired cross-process lock. */
interface Mechanism {
  release(): void;
}

const HELD_KEY = Symbol.for('shale.env.file-lock.held');

/** held returns this thread's table of held locks (dev:ino -> lock path), shared across module copies. */
function held(): Map<string, string> {
  const g = globalThis as unknown as { [HELD_KEY]?: Map<string, string> };
  return (g[HELD_KEY] ??= new Map());
}

/**
 * acquireFileLock takes the exclusive lock named by `lockPath` (a database's LOCK file, created if missing)
 * or rejects with LockedError naming the path and, when known, the holder.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
  const { dev, ino, birth } = openLockFile(lockPath);
  const key = `${dev}:${ino}:${birth}`;
  const table = held();
  const other = table.get(key);
  if (other !== undefined) {
    throw new LockedError(`${lockPath} is locked by this process (held as ${other})`);
  }
  table.set(key, lockPath); // reserve before any await so a concurrent lock() in this thread fails
  let mech: Mechanism | undefined;
  try {
    const strategy = options.strategy ?? 'auto';
    if (strategy === 'socket' || (strategy === 'auto' && process.platform === 'linux')) {
      mech = await socketLock(lockPath, key, strategy === 'socket');
      // A process whose abstract socket failed fell back to the sidecar: respect a live one.
      if (mech !== undefined) checkNoLiveSidecar(lockPath);
    }
    mech ??= sidecarLock(lockPath);
    if ((options.detectLevelDb ?? true) && process.platform === 'linux') {
      const pid = findLevelDbHolder(dev, ino);
      if (pid !== undefined) {
        const who = pid > 0 ? `pid ${pid}` : 'pid unknown';
        throw new LockedError(
          `${lockPath} is locked by a LevelDB process (${who}): it holds an fcntl lock on the file`,
        );
      }
    }
    return new HeldLock(lockPath, key, mech);
  } catch (err) {
    table.delete(key);
    mech?.release();
    throw err;
  }
}

/** HeldLock is the FileLock handed to the caller; release() is idempotent. */
class HeldLock implements FileLock {
  private released = false;
  constructor(
    readonly path: string,
    private readonly key: string,
    private readonly mech: Mechanism,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    held().delete(this.key);
    this.mech.release();
  }
}

/** LockFileIdentity names one LOCK file: birth is 0 where the file system does not record it. */
interface LockFileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly birth: bigint;
}

function identityOf(st: fs.BigIntStats): LockFileIdentity {
  return { dev: st.dev, ino: st.ino, birth: st.birthtimeNs };
}

/**
 * openLockFile creates LOCK if missing (never truncating it) and returns its identity. An existing
 * LOCK is only stat'ed, never opened: closing any descriptor of a file drops every fcntl lock this process
 * holds on it, which would silently unlock a LevelDB (classic-level) opened in this same process.
 */
function openLockFile(lockPath: string): LockFileIdentity {
  try {
    const st = fs.statSync(lockPath, { bigint: true, throwIfNoEntry: false });
    if (st !== undefined) return identityOf(st);
  } catch (err) {
    throw toIOError(err, lockPath);
  }
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'a');
  } catch (err) {
    throw toIOError(err, lockPath);
  }
  try {
    return identityOf(fs.fstatSync(fd, { bigint: true }));
  } catch (err) {
    throw toIOError(err, lockPath);
  } finally {
    closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // nothing useful to do: the descriptor is gone either way
  }
}

// ---------------------------------------------------------------------------------------------------
// Abstract-namespace socket (Linux)

/** HOLDER_QUERY_MS bounds how long a failed lock waits for the holder to say its pid. */
const HOLDER_QUERY_MS = 300;
/** LOCK_RETRIES: binds tried again (after 10, 20, ... 160 ms) when the holder may be closing. */
const LOCK_RETRIES = 5;

/**
 * socketLock binds `\0shale-lock:<dev>:<ino>:<birth>`. Returns undefined when abstract sockets do not work
 * here (the caller falls back to the sidecar) unless `required`.
 */
async function socketLock(
  lockPath: string,
  identity: string,
  required: boolean,
): Promise<Mechanism | undefined> {
  const name = `\0shale-lock:${identity}`;
  for (let attempt = 0; ; attempt++) {
    try {
      const server = await listenExclusive(name);
      return { release: () => server.close() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') {
        if (required) throw toIOError(err, lockPath);
        return undefined;
      }
      const pid = await queryHolder(name);
      // No answer, or this process: most likely a holder whose socket is still closing (a database just
      // closed here, whose LOCK inode was reused; close() frees the name asynchronously, later under
      // load). Try again for a while before calling it locked.
      if ((pid === undefined || pid === process.pid) && attempt < LOCK_RETRIES) {
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
        continue;
      }
      const who =
        pid === undefined
          ? 'another process'
          : pid === process.pid
            ? `this process (pid ${pid}, another thread)`
            : `pid ${pid}`;
      throw new LockedError(`${lockPath} is locked by ${who}`, { cause: err });
    }
  }
}

function listenExclusive(name: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // Tell whoever connects (a process that failed to lock) our pid, then hang up.
    const server = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.unref();
      sock.end(`${process.pid}\n`);
    });
    server.once('error', reject);
    // exclusive: a cluster worker must bind itself rather than share the primary's handle.
    server.listen({ path: name, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => {});
      server.unref();
      resolve(server);
    });
  });
}

/** queryHolder asks the socket's holder for its pid; undefined if it does not answer in time. */
function queryHolder(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = '';
    let done = false;
    const finish = (pid: number | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => finish(undefined), HOLDER_QUERY_MS);
    timer.unref();
    const sock = net.connect({ path: name });
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 32) finish(undefined);
    });
    sock.on('end', () => {
      const pid = Number.parseInt(text, 10);
      finish(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    });
    sock.on('error', () => finish(undefined));
  });
}
