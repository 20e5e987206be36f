/**
 * DBStatus: whether the database is open, closing or closed, and the first background failure, after
 * which it is read-only (LevelDB's bg_error_). Every part of the database asks it before acting.
 */
import { BackgroundError, ClosedError, NotSupportedError, ShaleError } from '../util/errors.js';

/** DBStatus holds the open/closing/closed state and the background error. @internal */
export class DBStatus {
  closed = false;
  closing = false;
  /** bgError: the first failed write or background job; null while the database is healthy. */
  bgError: ShaleError | null = null;

  /** checkOpen throws ClosedError once the database is closed. */
  checkOpen(): void {
    if (this.closed) throw new ClosedError('the database is closed');
  }

  /** readOnly: opened with readOnly (no writes, no background work). */
  readOnly = false;

  /** checkWritable throws when a write may not proceed: closing, closed, read-only, or after a failure. */
  checkWritable(): void {
    if (this.closing && !this.closed) throw new ClosedError('the database is closing');
    this.checkOpen();
    if (this.readOnly) throw new NotSupportedError('the database was opened read-only');
    if (this.bgError !== null) {
      throw new BackgroundError(
        `the database is read-only after an earlier failure: ${this.bgError.message}`,
        {
          cause: this.bgError,
        },
      );
    }
  }

  /** checkGroupWritable is checkWritable for writes already queued before close() began. */
  checkGroupWritable(): void {
    this.checkOpen();
    if (this.bgError !== null) this.checkWritable();
  }

  /** setBackgroundError records the first failure; the database is read-only from then on. */
  setBackgroundError(err: unknown): void {
    if (this.bgError === null)
      this.bgError = err instanceof ShaleError ? err : new BackgroundError(String(err), { cause: err });
  }
}
