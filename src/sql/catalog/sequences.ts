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

  /** nextValue returns the sequence's next value (starting at 1). */
  nextValue(id: number): bigint {
    let n = this.next.get(id);
    let lim = this.limit.get(id);
    if (n === undefined || lim === undefined) {
      const stored = this.db.get(sequenceKey(id));
      n = stored === undefined ? 1n : BigInt(Buffer.from(stored).toString('utf8'));
      lim = n;
    }
    if (n >= lim) {
      lim = n + BLOCK;
      this.db.put(sequenceKey(id), lim.toString());
      this.limit.set(id, lim);
    }
    this.next.set(id, n + 1n);
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

  /** set makes `next` the sequence's next value (setval). */
  set(id: number, next: bigint): void {
    this.next.set(id, next);
    this.limit.set(id, next + BLOCK);
    this.db.put(sequenceKey(id), (next + BLOCK).toString());
  }

  /** reset restarts a sequence at 1 (TRUNCATE ... RESTART IDENTITY). */
  drop(id: number): void {
    this.next.delete(id);
    this.limit.delete(id);
    this.db.delete(sequenceKey(id));
  }
}
