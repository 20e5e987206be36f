/**
 * MemTables: the mutable memtable, the immutable one being flushed, and the arenas of the last memtable
 * nobody reads any more (reused by the next one: SharedArrayBuffers are freed only once every thread
 * that saw them has collected them, so fresh ones per memtable kept dead memtables resident).
 */
import { MemTable, type MemTableArenas } from '../memtable/memtable.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';

/** MemTables owns the database's memtables. @internal */
export class MemTables {
  mem: MemTable;
  imm: MemTable | null = null;
  private spareArenas: MemTableArenas | null = null;
  /** released: the database closed; arenas are no longer kept for reuse. */
  released = false;
  /**
   * coveredFrom: every entry with a sequence number >= this is in `mem` or `imm` (older ones may be in
   * tables). Transactions use it to check recent writes without reading tables.
   */
  private memFrom = Infinity;
  private immFrom = Infinity;

  /**
   * @param filterBytes the size of each memtable's key filter (MemTableOptions.filterBytes; 0: none)
   */
  constructor(
    private readonly icmp: InternalKeyComparator,
    private readonly filterBytes = 0,
  ) {
    this.mem = this.newMemTable();
  }

  /** newMemTable returns an empty memtable, over spare arenas when there are some. */
  newMemTable(): MemTable {
    const spare = this.spareArenas;
    const options = { filterBytes: this.filterBytes };
    if (spare === null) return new MemTable(this.icmp, options);
    this.spareArenas = null;
    return MemTable.reusing(this.icmp, spare, options);
  }

  /**
   * freeze makes the mutable memtable the immutable one and starts a new one, whose entries will all
   * come after `lastSequence`. Requires: imm === null.
   */
  freeze(lastSequence: number): void {
    this.imm = this.mem;
    this.immFrom = this.memFrom;
    this.mem = this.newMemTable();
    this.memFrom = lastSequence + 1;
  }

  /** dropImmutable lets go of the immutable memtable once its flush is recorded. */
  dropImmutable(): void {
    const flushed = this.imm;
    this.imm = null;
    this.immFrom = Infinity;
    if (flushed !== null) this.unref(flushed);
  }

  /** opened records that recovery is done: only entries after `lastSequence` are known to be here. */
  opened(lastSequence: number): void {
    this.memFrom = lastSequence + 1;
  }

  /** coveredFrom: every entry with sequence >= this is in mem or imm. */
  get coveredFrom(): number {
    return this.imm === null ? this.memFrom : this.immFrom;
  }

  /** refAll takes a reference on every live memtable (an iterator reads them) and returns them. */
  refAll(): MemTable[] {
    const mems = this.imm === null ? [this.mem] : [this.mem, this.imm];
    for (const m of mems) m.refs++;
    return mems;
  }

  /**
   * unref drops a reference to a memtable; the last one (the database let go of it and no iterator
   * reads it) keeps its arenas for the next memtable. A flush worker is done with it by then: its
   * result was applied before the database let go.
   */
  unref(m: MemTable): void {
    if (--m.refs > 0 || this.spareArenas !== null || this.released) return;
    this.spareArenas = m.releaseArenas();
  }
}
