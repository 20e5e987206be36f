/**
 * The sidecar lock file `<LOCK>.shale` used by file-lock.ts where abstract sockets are unavailable (macOS,
 * Windows, or a failed socket): atomic create, and stale-holder detection by pid and process start time.
 * The race it leaves is described in file-lock.ts and docs/locking.md.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { LockedError, toIOError } from '../util/errors.js';

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
export function sidecarLock(lockPath: string): { release(): void } {
  const sidecar = `${lockPath}.shale`;
  const nonce = randomBytes(12).toString('hex');
  const record: SidecarRecord = {
    pid: process.pid,
    start: processStartTime(process.pid),
    host: os.hostname(),
    nonce,
  };
  const text = JSON.stringify(record);
  const mech = { release: () => removeSidecarIfOurs(sidecar, nonce) };
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
export function checkNoLiveSidecar(lockPath: string): void {
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
