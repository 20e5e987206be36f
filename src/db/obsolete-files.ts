/**
 * ObsoleteFiles: deleting the logs, tables, MANIFESTs and temp files no live version needs any more
 * (LevelDB DBImpl::RemoveObsoleteFiles), off the main thread where the file system can.
 *
 * Invariant: no file that a live version, an open iterator's version, a pending output or a running
 * compaction's outputs (numbered from its floor on) refers to is ever deleted; nothing at all is
 * deleted after a failure (the state on disk is uncertain).
 */
import { join } from 'node:path';
import type { FileSystem } from '../env/file-system.js';
import type { VersionSet } from '../version/version-set.js';
import type { TableCache } from '../version/table-cache.js';
import { parseFileName } from '../version/file-names.js';
import type { DBStatus } from './db-status.js';

/** ObsoleteFiles finds and removes files nothing refers to. @internal */
export class ObsoleteFiles {
  /** pendingOutputs: tables being written (flush or recovery) that no version names yet. */
  readonly pendingOutputs = new Set<number>();
  /** onSegmentRemoved: called before an obsolete value-log segment is unlinked (drops its handle). */
  onSegmentRemoved: ((segment: number) => void) | undefined;
  /** removals: obsolete files being unlinked in the background, by path. */
  private readonly removals = new Map<string, Promise<unknown>>();

  constructor(
    private readonly fs: FileSystem,
    private readonly location: string,
    private readonly walDir: string,
    private readonly versions: VersionSet,
    private readonly tableCache: TableCache,
    private readonly status: DBStatus,
    /** outputFloor: every table numbered from here on may be an output of a running compaction. */
    private readonly outputFloor: () => number,
  ) {}

  /** deleteObsoleteFiles removes what no one needs. Failures are ignored: a later pass retries. */
  deleteObsoleteFiles(): void {
    if (this.status.bgError !== null) return; // the state on disk is uncertain: keep everything
    if (this.status.readOnly) return; // a read-only open deletes nothing (a writer may own the files)
    const live = this.versions.liveFiles();
    for (const n of this.pendingOutputs) live.add(n);
    const liveSegments = this.versions.liveSegments();
    const floor = this.outputFloor();
    const dirs = this.walDir === this.location ? [this.location] : [this.location, this.walDir];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = this.fs.list(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const p = parseFileName(name);
        if (p === undefined) continue;
        let keep = true;
        switch (p.type) {
          case 'log':
            keep = p.number >= this.versions.logNumber || p.number === this.versions.prevLogNumber;
            break;
          case 'manifest':
            keep = dir !== this.location || p.number >= this.versions.manifestFileNumber;
            break;
          case 'table':
            keep = dir !== this.location || live.has(p.number) || p.number >= floor;
            break;
          case 'temp':
            keep = live.has(p.number) || p.number >= floor;
            break;
          case 'segment':
            // Segments a running job writes are numbered from its floor on; others no version names
            // were left by a job that failed or was cut short by a crash.
            keep = dir !== this.location || liveSegments.has(p.number) || p.number >= floor;
            break;
          default:
            keep = true;
        }
        if (keep) continue;
        if (p.type === 'table') this.tableCache.evict(p.number);
        if (p.type === 'segment') this.onSegmentRemoved?.(p.number);
        this.removeFile(join(dir, name));
      }
    }
  }

  /** settled resolves once every background removal in flight is done (close() waits for it). */
  async settled(): Promise<void> {
    await Promise.all(this.removals.values());
  }

  /**
   * removeFile deletes an obsolete file, off the main thread when the file system can; failures are
   * ignored (the next pass retries).
   */
  private removeFile(path: string): void {
    const fs = this.fs;
    if (fs.removeInBackground === undefined) {
      try {
        fs.remove(path);
      } catch {
        // retried at the next pass
      }
      return;
    }
    if (this.removals.has(path)) return;
    const done = fs.removeInBackground(path).then(
      () => this.removals.delete(path),
      () => this.removals.delete(path),
    );
    this.removals.set(path, done);
  }
}
