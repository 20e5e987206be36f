/**
 * The database LOCK for NodeFileSystem. Node has no fcntl/flock, so shale builds the strongest exclusion
 * it can from what Node offers (see docs/locking.md):
 *
 * 1. In-process: a table of held locks keyed by the LOCK file's device and inode (two paths to one
 *    directory collide), shared by every copy of this module in one thread via a global symbol.
 * 2. Linux: a Unix-domain socket bound in the abstract namespace, named `\0shale-lock:<dev>:<ino>`. bind()
 *    is atomic and exclusive across all processes and worker threads of one network namespace, and the
 *    kernel frees the name when the holder dies, even by SIGKILL. The holder answers a connection with
 *    its pid, so a LockedError can name it.
 * 3. Elsewhere (macOS, Windows), or if abstract sockets fail unexpectedly: a sidecar file `<LOCK>.shale`
 *    created atomically (hard link of a complete temp file, or O_EXCL) holding the holder's pid, process
 *    start time, host name and a nonce. An existing sidecar is stale when its pid is dead or its start
 *    time differs (a recycled pid); a stale sidecar is removed and the create retried once. On Linux the
 *    socket holder also refuses to proceed while a live sidecar exists (a process that fell back).
 * 4. Linux: a LevelDB (or RocksDB) process holding the directory is detected through /proc/locks, where
 *    its fcntl lock on LOCK shows as `<major>:<minor>:<inode>`.
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
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { FileLock } from './file-system.js';
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
  const { dev, ino } = openLockFile(lockPath);
  const key = `${dev}:${ino}`;
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
      mech = await socketLock(lockPath, dev, ino, strategy === 'socket');
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

/**
 * openLockFile creates LOCK if missing (never truncating it) and returns its device and inode. An existing
 * LOCK is only stat'ed, never opened: closing any descriptor of a file drops every fcntl lock this process
 * holds on it, which would silently unlock a LevelDB (classic-level) opened in this same process.
 */
function openLockFile(lockPath: string): { dev: bigint; ino: bigint } {
  try {
    const st = fs.statSync(lockPath, { bigint: true, throwIfNoEntry: false });
    if (st !== undefined) return { dev: st.dev, ino: st.ino };
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
    const st = fs.fstatSync(fd, { bigint: true });
    return { dev: st.dev, ino: st.ino };
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

/**
 * socketLock binds `\0shale-lock:<dev>:<ino>`. Returns undefined when abstract sockets do not work here
 * (the caller falls back to the sidecar) unless `required`.
 */
async function socketLock(
  lockPath: string,
  dev: bigint,
  ino: bigint,
  required: boolean,
): Promise<Mechanism | undefined> {
  const name = `\0shale-lock:${dev}:${ino}`;
  try {
    const server = await listenExclusive(name);
    return { release: () => server.close() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      const pid = await queryHolder(name);
      const who =
        pid === undefined
          ? 'another process'
          : pid === process.pid
            ? `this process (pid ${pid}, another thread)`
            : `pid ${pid}`;
      throw new LockedError(`${lockPath} is locked by ${who}`, { cause: err });
    }
    if (required) throw toIOError(err, lockPath);
    return undefined;
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

// ---------------------------------------------------------------------------------------------------
// Sidecar file (macOS, Windows, fallback)

/** SidecarRecord is the JSON stored in `<LOCK>.shale`. */
interface SidecarRecord {
  pid: number;
  start: string | undefined;
  host: string;
  nonce: string;
}

/** UNREADABLE_GRACE_MS is how long an unparsable sidecar counts as "being written" (O_EXCL fallback). */
const UNREADABLE_GRACE_MS = 5000;

/** sidecarLock takes `<lockPath>.shale` or throws LockedError naming its live holder. */
function sidecarLock(lockPath: string): Mechanism {
  const sidecar = `${lockPath}.shale`;
  const nonce = randomBytes(12).toString('hex');
  const record: SidecarRecord = {
    pid: process.pid,
    start: processStartTime(process.pid),
    host: os.hostname(),
    nonce,
  };
  const text = JSON.stringify(record);
  const mech: Mechanism = { release: () => removeSidecarIfOurs(sidecar, nonce) };
  for (let attempt = 0; attempt < 2; attempt++) {
    if (createExclusive(sidecar, text, nonce)) return mech;
    const found = readSidecar(sidecar);
    if (found === undefined) continue; // vanished between our create and read: try again
    const verdict = judgeSidecar(found.raw, found.mtimeMs);
    if (!verdict.stale) {
      throw new LockedError(`${lockPath} is locked by ${verdict.holder} (sidecar ${sidecar})`);
    }
    if (attempt === 1) break;
    // Remove the stale sidecar only if it still holds the bytes we judged (narrows, not closes, the race).
    const again = readSidecar(sidecar);
    if (again !== undefined && again.raw === found.raw) {
      try {
        fs.unlinkSync(sidecar);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toIOError(err, sidecar);
      }
    }
  }
  throw new LockedError(
    `${lockPath} is locked: sidecar ${sidecar} kept changing while a stale holder was removed`,
  );
}

/** checkNoLiveSidecar throws LockedError if `<lockPath>.shale` exists and its holder is alive. */
function checkNoLiveSidecar(lockPath: string): void {
  const sidecar = `${lockPath}.shale`;
  const found = readSidecar(sidecar);
  if (found === undefined) return;
  const verdict = judgeSidecar(found.raw, found.mtimeMs);
  if (!verdict.stale)
    throw new LockedError(`${lockPath} is locked by ${verdict.holder} (sidecar ${sidecar})`);
}

/**
 * createExclusive makes `sidecar` appear with all of `text` at once (a hard link of a complete temp file);
 * returns false if it exists. File systems without hard links fall back to O_EXCL then write.
 */
function createExclusive(sidecar: string, text: string, nonce: string): boolean {
  const tmp = `${sidecar}.${process.pid}.${nonce}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx' });
  } catch (err) {
    throw toIOError(err, tmp);
  }
  try {
    fs.linkSync(tmp, sidecar);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') {
      throw toIOError(err, sidecar);
    }
  } finally {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // a leftover temp file is harmless
    }
  }
  try {
    fs.writeFileSync(sidecar, text, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw toIOError(err, sidecar);
  }
}

function readSidecar(sidecar: string): { raw: string; mtimeMs: number } | undefined {
  try {
    const raw = fs.readFileSync(sidecar, 'utf8');
    const mtimeMs = fs.statSync(sidecar).mtimeMs;
    return { raw, mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toIOError(err, sidecar);
  }
}

function parseSidecar(raw: string): SidecarRecord | undefined {
  try {
    const v = JSON.parse(raw) as Partial<SidecarRecord>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return undefined;
    if (typeof v.host !== 'string' || typeof v.nonce !== 'string') return undefined;
    return {
      pid: v.pid,
      start: typeof v.start === 'string' ? v.start : undefined,
      host: v.host,
      nonce: v.nonce,
    };
  } catch {
    return undefined;
  }
}

/** judgeSidecar decides whether an existing sidecar's holder is gone. */
function judgeSidecar(raw: string, mtimeMs: number): { stale: boolean; holder: string } {
  const rec = parseSidecar(raw);
  if (rec === undefined) {
    // Only the O_EXCL fallback can expose a half-written sidecar, and only briefly.
    const young = Date.now() - mtimeMs < UNREADABLE_GRACE_MS;
    return { stale: !young, holder: 'a process still writing its sidecar' };
  }
  if (rec.host !== os.hostname()) {
    return {
      stale: false,
      holder: `pid ${rec.pid} on host ${rec.host} (remove the sidecar if that host is down)`,
    };
  }
  if (!isAlive(rec.pid)) return { stale: true, holder: `pid ${rec.pid}` };
  if (rec.start !== undefined) {
    const now = processStartTime(rec.pid);
    if (now !== undefined && now !== rec.start) return { stale: true, holder: `pid ${rec.pid}` };
  }
  const self = rec.pid === process.pid ? ' (this process, another thread)' : '';
  return { stale: false, holder: `pid ${rec.pid}${self}` };
}

function removeSidecarIfOurs(sidecar: string, nonce: string): void {
  const found = readSidecar(sidecar);
  if (found === undefined || parseSidecar(found.raw)?.nonce !== nonce) return;
  try {
    fs.unlinkSync(sidecar);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toIOError(err, sidecar);
  }
}

/** isAlive returns true iff a process with this pid exists (EPERM means it exists but is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

let bootId: string | undefined;

/**
 * processStartTime returns an opaque identity of when process `pid` started, to tell a recycled pid from
 * the original; undefined when it cannot be learned. Linux: boot id plus /proc/<pid>/stat field 22
 * (start time in clock ticks since boot). macOS and other Unixes: `ps -o lstart=` (best effort).
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 2 (comm) is parenthesised and may hold spaces or ')': count fields after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = rest[22 - 3];
      if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
      bootId ??= readBootId();
      return `${bootId}:${ticks}`;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

function readBootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------
// LevelDB detection through /proc/locks (Linux)

/**
 * gnuDevMajor returns the major number of a Linux st_dev, decoded with glibc's gnu_dev_major layout
 * (major bits 8..19 and 44..63).
 */
export function gnuDevMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
}

/** gnuDevMinor returns the minor number of a Linux st_dev (glibc gnu_dev_minor: bits 0..7 and 20..43). */
export function gnuDevMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
}

/** ProcLock is one held lock from /proc/locks. */
export interface ProcLock {
  /** kind is POSIX (fcntl), FLOCK, OFDLCK, LEASE, ... */
  readonly kind: string;
  /** pid of the holder: -1 for OFD locks, 0 when the holder is outside our pid namespace. */
  readonly pid: number;
  readonly major: number;
  readonly minor: number;
  readonly inode: bigint;
}

/**
 * parseProcLocks parses /proc/locks, skipping waiters (`->` lines) and lines it cannot read. Each line is
 * `N: KIND MODE ACCESS PID MAJ:MIN:INODE START END`, major and minor in hex, inode in decimal.
 */
export function parseProcLocks(text: string): ProcLock[] {
  const out: ProcLock[] = [];
  const re = /^\s*\d+:\s+(->\s+)?(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-fA-F]+):([0-9a-fA-F]+):(\d+)\s/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m === null || m[1] !== undefined) continue;
    out.push({
      kind: m[2]!,
      pid: Number.parseInt(m[3]!, 10),
      major: Number.parseInt(m[4]!, 16),
      minor: Number.parseInt(m[5]!, 16),
      inode: BigInt(m[6]!),
    });
  }
  return out;
}

/**
 * findLevelDbHolder returns the pid of a process holding an fcntl-style lock on the file with this st_dev
 * and st_ino (LevelDB's LOCK), or undefined if none is visible. The pid is -1 or 0 when unknown.
 */
export function findLevelDbHolder(dev: bigint, ino: bigint, procLocks?: string): number | undefined {
  let text = procLocks;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/locks', 'utf8');
    } catch {
      return undefined; // no /proc: nothing to see
    }
  }
  const major = gnuDevMajor(dev);
  const minor = gnuDevMinor(dev);
  let sameInodeOtherDev: ProcLock[] | undefined;
  for (const l of parseProcLocks(text)) {
    if (l.inode !== ino || l.kind === 'LEASE' || l.kind === 'DELEG') continue;
    if (l.major === major && l.minor === minor) return l.pid;
    (sameInodeOtherDev ??= []).push(l);
  }
  // btrfs subvolumes (and some overlays) report an st_dev other than the superblock's device that
  // /proc/locks prints; confirm by finding our file among the holder's open descriptors.
  for (const l of sameInodeOtherDev ?? []) {
    if (l.pid > 0 && holdsOpen(l.pid, dev, ino)) return l.pid;
  }
  return undefined;
}

function holdsOpen(pid: number, dev: bigint, ino: bigint): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const st = fs.statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
      if (st.dev === dev && st.ino === ino) return true;
    } catch {
      // closed meanwhile, or not ours to see
    }
  }
  return false;
}
