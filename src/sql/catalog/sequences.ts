/**
 * Sequences hand out serial values and hidden row ids. As in PostgreSQL they are not transactional: a value
 * handed out is never handed out again, even if the transaction that took it rolls back. Values are taken in
 * blocks: the high-water mark of a block is written (through the WAL, before any value of the block is used)
 * so that after a restart the sequence continues above every value it may have handed out.
 */
import type { DB } from '../../db/db.js';
import { sequenceKey } from '../storage/keyspace.js';

const BLOCK = 32n;

export class Sequences {
  private readonly next = new Map<number, bigint>();
  private readonly limit = new Map<number, bigint>();

  constructor(private readonly db: DB) {}

  /**
   * nextValue returns the sequence's next value: `start` (default 1) the first time, then each value
   * `increment` (positive) above the last. The caller checks the result against the int8 maximum.
   */
  nextValue(id: number, start = 1n, increment = 1n): bigint {
    let n = this.next.get(id);
    let lim = this.limit.get(id);
    if (n === undefined || lim === undefined) {
      const stored = this.db.get(sequenceKey(id));
      n = stored === undefined ? start : BigInt(Buffer.from(stored).toString('utf8'));
      lim = n;
    }
    if (n >= lim) {
      lim = n + BLOCK * increment;
      this.db.put(sequenceKey(id), lim.toString());
      this.limit.set(id, lim);
    }
    this.next.set(id, n + increment);
    return n;
  }

  /** atLeast makes sure the sequence's next value is above v (used when a table already holds values). */
  atLeast(id: number, v: bigint): void {
    const cur =
      this.next.get(id) ??
      (() => {
        const stored = this.db.get(sequenceKey(id));
        return stored === undefined ? 1n : BigInt(Buffer.from(stored).toString('utf8'));
      })();
    if (cur <= v) {
      this.next.set(id, v + 1n);
      this.limit.set(id, v + 1n);
    }
  }

  /** set makes `next` the sequence's next value (setval, ALTER SEQUENCE ... RESTART). */
  set(id: number, next: bigint, increment = 1n): void {
    this.next.set(id, next);
    this.limit.set(id, next + BLOCK * increment);
    this.db.put(sequenceKey(id), (next + BLOCK * increment).toString());
  }

  /**
   * flush records each sequence's exact next value (at a clean shutdown), so that a restart continues
   * without the gap a crash leaves (up to one block of values).
   */
  flush(): void {
    for (const [id, n] of this.next) {
      this.db.put(sequenceKey(id), n.toString());
      this.limit.set(id, n);
    }
  }

  /** reset restarts a sequence at 1 (TRUNCATE ... RESTART IDENTITY). */
  drop(id: number): void {
    this.next.delete(id);
    this.limit.delete(id);
    this.db.delete(sequenceKey(id));
  }
}
