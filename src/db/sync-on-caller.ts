/**
 * SyncOnCaller decides whether a synced commit's fsync runs on the calling (main) thread or on the
 * thread pool with group commit.
 *
 * A commit that is alone gains nothing from group commit and pays its cost: a turn of the event loop
 * before the fsync starts, a hand-off to a pool thread and a wake-up of the main thread when it ends
 * (about 70 µs on top of a 200-300 µs fdatasync on this project's test machines). Alone means: no fsync
 * in flight and no other synced commit in this turn of the event loop. The first sign of company (a
 * second synced commit in one turn, or one that finds an fsync in flight) switches to group commit, and
 * only a run of commits that each had their group fsync to themselves switches back. While on the caller,
 * the event loop waits for the disk, as better-sqlite3 and PostgreSQL's backends do.
 */

/** LONE_RUN: how many lone group fsyncs in a row switch back to fsyncs on the caller. */
const LONE_RUN = 8;

/** @internal */
export class SyncOnCaller {
  /** onCaller: whether a lone commit now fsyncs on the calling thread. */
  private onCaller: boolean;
  /** syncedThisTurn: a synced commit was made in this turn of the event loop. */
  private syncedThisTurn = false;
  /** loneRun: group fsyncs in a row that covered one commit with no other waiting. */
  private loneRun = 0;
  private readonly endTurn = (): void => {
    this.syncedThisTurn = false;
  };

  constructor(private readonly enabled: boolean) {
    this.onCaller = enabled;
  }

  /**
   * commit is told of each synced commit before it waits for its fsync, with whether a background fsync
   * is running now; true: fsync it on the caller.
   */
  commit(fsyncInFlight: boolean): boolean {
    if (!this.enabled) return false;
    const company = this.syncedThisTurn || fsyncInFlight;
    if (!this.syncedThisTurn) {
      this.syncedThisTurn = true;
      setImmediate(this.endTurn);
    }
    if (company) {
      this.onCaller = false;
      this.loneRun = 0;
      return false;
    }
    return this.onCaller;
  }

  /** groupSynced is told of each group fsync's end: how many commits it covered, and whether others wait. */
  groupSynced(covered: number, othersWaiting: boolean): void {
    if (!this.enabled || this.onCaller) return;
    if (covered === 1 && !othersWaiting) {
      if (++this.loneRun >= LONE_RUN) this.onCaller = true;
    } else this.loneRun = 0;
  }
}
