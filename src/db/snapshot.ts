/**
 * Snapshots: a frozen view of the database at one sequence number. Reads at a snapshot ignore newer
 * writes; compaction keeps every version a live snapshot can see.
 */
import { ClosedError } from '../util/errors.js';

/** Snapshot is a handle on the database as of one sequence number; release() it when done. */
export class Snapshot {
  private released = false;

  /** @internal */
  constructor(
    /** sequence is the last sequence number the snapshot sees. */
    readonly sequence: number,
    private readonly list: SnapshotList,
  ) {}

  /** release lets compaction drop what only this snapshot could see. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.list.remove(this);
  }

  /** isReleased is true after release() or after the database closed. */
  get isReleased(): boolean {
    return this.released;
  }

  /** checkUsable throws ClosedError if the snapshot was released. @internal */
  checkUsable(): void {
    if (this.released) throw new ClosedError('the snapshot was released (or its database closed)');
  }

  /** invalidate marks the snapshot released because its database closed. @internal */
  invalidate(): void {
    this.released = true;
  }
}

/** SnapshotList tracks the live snapshots of a database. @internal */
export class SnapshotList {
  private readonly live = new Set<Snapshot>();

  create(sequence: number): Snapshot {
    const s = new Snapshot(sequence, this);
    this.live.add(s);
    return s;
  }

  remove(s: Snapshot): void {
    this.live.delete(s);
  }

  get size(): number {
    return this.live.size;
  }

  /** oldest returns the smallest live snapshot sequence, or `fallback` when there is none. */
  oldest(fallback: number): number {
    let min = fallback;
    for (const s of this.live) if (s.sequence < min) min = s.sequence;
    return min;
  }

  /** sequences returns the live snapshot sequences in ascending order. */
  sequences(): number[] {
    return [...this.live].map((s) => s.sequence).sort((a, b) => a - b);
  }

  /** invalidateAll releases every snapshot (the database is closing). */
  invalidateAll(): void {
    for (const s of this.live) s.invalidate();
    this.live.clear();
  }
}
