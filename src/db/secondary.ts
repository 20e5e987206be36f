/**
 * Catching up a secondary instance with its primary (RocksDB's secondary instance,
 * TryCatchUpWithPrimary). A secondary opens a database another process is writing, without its lock,
 * and never writes, renames or deletes a file there. catchUp reads the primary's current state afresh:
 * CURRENT, the whole MANIFEST it names, every table of the resulting version (opened at once and kept
 * open), and every log at or after the MANIFEST's log number into a new memtable. It then checks that
 * the primary did not record a flush meanwhile (CURRENT names the same MANIFEST, whose log number is
 * unchanged): a flush lets the primary delete the logs it covers, so a replay that raced one may miss
 * them. On a race (a file gone, a flush recorded) it starts over, a few times.
 *
 * Consistency: the state installed is the MANIFEST's version plus the logs' records up to the first
 * incomplete one (the primary's append in flight), which is the state after some prefix of the
 * primary's acknowledged writes; a batch is never half visible (each is one checksummed log record).
 *
 * Files deleted under the secondary: tables are opened when a catchUp installs the version naming them
 * and stay open while any version the secondary still uses (the current one, or one an open iterator
 * pinned) names them: on POSIX an unlinked file stays readable through an open handle, as in RocksDB,
 * which also requires every table kept open (max_open_files = -1) for this reason. The table cache of a
 * secondary is therefore unbounded.
 */
import type { FileSystem } from '../env/file-system.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { MemTable } from '../memtable/memtable.js';
import { VersionSet } from '../version/version-set.js';
import { NUM_LEVELS } from '../version/version-edit.js';
import { currentFileName, logFileName, parseFileName } from '../version/file-names.js';
import type { TableCache } from '../version/table-cache.js';
import { fromUtf8 } from '../util/bytes.js';
import { CorruptionError, IOError } from '../util/errors.js';
import type { ResolvedOptions } from './options.js';
import type { MemTables } from './memtables.js';
import { replayLog } from './recovery.js';

/** CATCH_UP_ATTEMPTS: how many times catchUp starts over after racing the primary before it fails. */
const CATCH_UP_ATTEMPTS = 10;

/** CatchUpContext: the parts of a secondary that catching up replaces. @internal */
export interface CatchUpContext {
  readonly fs: FileSystem;
  readonly location: string;
  readonly walDir: string;
  readonly opts: ResolvedOptions;
  readonly icmp: InternalKeyComparator;
  readonly versions: VersionSet;
  readonly memtables: MemTables;
  readonly tableCache: TableCache;
  /** opened: the tables catch-ups opened that are still in the table cache (the secondary's own set). */
  readonly opened: Set<number>;
}

/** CatchUpResult: what a catchUp installed. */
export interface CatchUpResult {
  /** lastSequence: the sequence number of the newest write the secondary now sees. */
  readonly lastSequence: number;
  /** attempts: how many reads of the primary's state it took (more than 1 after racing the primary). */
  readonly attempts: number;
}

/** RaceError: the primary changed a file while catchUp read it; starting over will do. */
class RaceError extends Error {}

/**
 * catchUp installs the primary's current state (see the file comment). Throws the last error when
 * every attempt raced the primary, or at once on damage that is not a race.
 */
export async function catchUp(c: CatchUpContext): Promise<CatchUpResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { versions, mem, lastSequence } = readPrimaryState(c);
      c.versions.adopt(versions);
      if (lastSequence > c.versions.lastSequence) c.versions.lastSequence = lastSequence;
      const old = c.memtables.mem;
      c.memtables.mem = mem;
      c.memtables.unref(old);
      c.memtables.opened(c.versions.lastSequence);
      evictUnusedTables(c);
      return { lastSequence: c.versions.lastSequence, attempts: attempt };
    } catch (err) {
      if (!isRace(err) || attempt >= CATCH_UP_ATTEMPTS) throw err;
      // Let the primary finish what it was doing (a MANIFEST switch, a log deletion).
      await new Promise((r) => setTimeout(r, attempt));
    }
  }
}

/**
 * evictUnusedTables closes the tables no version in use names any more (the primary deleted them or
 * will): after a catch-up, and when an iterator lets go of an old version.
 */
export function evictUnusedTables(c: Pick<CatchUpContext, 'versions' | 'tableCache' | 'opened'>): void {
  const live = c.versions.liveFiles();
  for (const n of c.opened) {
    if (live.has(n)) continue;
    c.tableCache.evict(n);
    c.opened.delete(n);
  }
}

function readPrimaryState(c: CatchUpContext): { versions: VersionSet; mem: MemTable; lastSequence: number } {
  const currentBefore = readCurrent(c);
  const versions = newVersionSet(c);
  versions.recover();
  // Open every table now: from here on the primary deleting one does not take it away.
  const v = versions.current;
  for (let level = 0; level < NUM_LEVELS; level++)
    for (const f of v.files[level]!) {
      c.tableCache.iterator(f.number, f.fileSize).close();
      c.opened.add(f.number);
    }

  const logs: number[] = [];
  for (const name of c.fs.list(c.walDir)) {
    const p = parseFileName(name);
    if (p?.type !== 'log') continue;
    if (p.number >= versions.logNumber || p.number === versions.prevLogNumber) logs.push(p.number);
  }
  logs.sort((a, b) => a - b);
  const mem = c.memtables.newMemTable();
  let lastSequence = versions.lastSequence;
  try {
    for (let i = 0; i < logs.length; i++) {
      const replayed = replayLog(
        c.fs,
        logFileName(c.walDir, logs[i]!),
        { mode: c.opts.walRecoveryMode, isNewest: i === logs.length - 1, icmp: c.icmp },
        () => mem,
        () => {}, // a secondary keeps every replayed write in one memtable
        c.opts.writeBufferSize,
      );
      if (replayed.maxSequence > lastSequence) lastSequence = replayed.maxSequence;
      if (replayed.stop) break;
    }
    // A flush recorded since the MANIFEST was read lets the primary delete logs this replay needed.
    if (readCurrent(c) !== currentBefore) throw new RaceError('the primary switched its MANIFEST');
    const after = newVersionSet(c);
    after.recover();
    if (after.logNumber !== versions.logNumber || after.prevLogNumber !== versions.prevLogNumber)
      throw new RaceError('the primary recorded a flush during catch-up');
  } catch (err) {
    c.memtables.unref(mem);
    throw err;
  }
  return { versions, mem, lastSequence };
}

function newVersionSet(c: CatchUpContext): VersionSet {
  return new VersionSet(c.fs, c.location, c.icmp, {
    maxManifestFileSize: c.opts.maxManifestFileSize,
    level1MaxBytes: c.opts.level1MaxBytes,
    l0CompactionTrigger: c.opts.l0CompactionTrigger,
  });
}

function readCurrent(c: CatchUpContext): string {
  return fromUtf8(c.fs.readFile(currentFileName(c.location)));
}

/**
 * isRace: errors a concurrent primary can cause (a file renamed or deleted between list and open, a
 * MANIFEST switched, a table gone before it was opened); starting over resolves them.
 */
function isRace(err: unknown): boolean {
  if (err instanceof RaceError) return true;
  if (err instanceof IOError && err.errno === 'ENOENT') return true;
  // A missing table or MANIFEST is reported as corruption by the readers.
  if (err instanceof CorruptionError && /missing/.test(err.message)) return true;
  return false;
}
