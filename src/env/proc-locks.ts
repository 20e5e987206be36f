/**
 * Reading /proc/locks (Linux) to find a process, such as LevelDB, that holds an fcntl lock on a file.
 * /proc/locks prints the device as hex `major:minor` of the kernel device; st_dev from stat is glibc's
 * 64-bit encoding of the same numbers.
 */

import * as fs from 'node:fs';

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
