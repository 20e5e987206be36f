/**
 * MemTables: the mutable memtable, the immutable ones waiting for their flush (oldest first; the oldest
 * is the one being flushed), and the arenas of the last memtable nobody reads any more (reused by the
 * next one: SharedArrayBuffers are freed only once every thread that saw them has collected them, so
 * fresh ones per memtable kept dead memtables resident).
 */
import { MemTable, type MemTableArenas } from '../memtable/memtable.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { SegmentInfo } from '../vlog/vlog-format.js';

/** ImmutableMemTable: a frozen memtable, waiting for its flush or being flushed. @internal */
export interface ImmutableMemTable {
  readonly mem: MemTable;
  /**
   * logNumber: the log started when it was frozen. Its flush records this as the MANIFEST's log number:
   * the logs before it hold nothing that is not in a table then.
   */
  readonly logNumber: number;
  /** from: every entry with a sequence number >= this is in this memtable or a newer one. */
  readonly from: number;
  /** segments: the value-log segment write-time separation finished with it (its flush adds them). */
  readonly segments: readonly SegmentInfo[];
}

/** MemTables owns the database's memtables. @internal */
export class MemTables {
  mem: MemTable;
  /** imms: the immutable memtables, oldest first (each newer than the ones before it). */
  readonly imms: ImmutableMemTable[] = [];
  private spareArenas: MemTableArenas | null = null;
  /** released: the database closed; arenas are no longer kept for reuse. */
  released = false;
  /**
   * coveredFrom: every entry with a sequence number >= this is in `mem` or `imm` (older ones may be in
   * tables). Transactions use it to check recent writes without reading tables.
   */
  private memFrom = Infinity;

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
   * freeze makes the mutable memtable the newest immutable one and starts a new one, whose entries will
   * all come after `lastSequence`; `logNumber` is the log the new memtable's writes go to, `segments`
   * the value-log segments finished with the frozen one.
   */
  freeze(lastSequence: number, logNumber: number, segments: readonly SegmentInfo[] = []): void {
    this.imms.push({ mem: this.mem, logNumber, from: this.memFrom, segments });
    this.mem = this.newMemTable();
    this.memFrom = lastSequence + 1;
  }

  /** oldest: the immutable memtable to flush next (or being flushed), or null when there is none. */
  get oldest(): ImmutableMemTable | null {
    return this.imms[0] ?? null;
  }

  /** dropOldest lets go of the oldest immutable memtable once its flush is recorded. */
  dropOldest(): void {
    const flushed = this.imms.shift();
    if (flushed !== undefined) this.unref(flushed.mem);
  }

  /**
   * get looks `key` up at `seq` in the memtables, newest first: the value (a view), null for a deletion,
   * undefined when no memtable holds it. `lastWasPointer` tells whether the value found is a value-log
   * pointer.
   */
  get(key: Uint8Array, seq: number): Uint8Array | null | undefined {
    let v = this.mem.get(key, seq);
    this.lastWasPointer = this.mem.lastWasPointer;
    for (let i = this.imms.length - 1; v === undefined && i >= 0; i--) {
      const m = this.imms[i]!.mem;
      v = m.get(key, seq);
      this.lastWasPointer = m.lastWasPointer;
    }
    return v;
  }

  /** lastWasPointer: whether the value the last get() found is a value-log pointer. */
  lastWasPointer = false;

  /** all returns every memtable, newest first (the mutable one, then the immutable ones). */
  all(): MemTable[] {
    const out = [this.mem];
    for (let i = this.imms.length - 1; i >= 0; i--) out.push(this.imms[i]!.mem);
    return out;
  }

  /** opened records that recovery is done: only entries after `lastSequence` are known to be here. */
  opened(lastSequence: number): void {
    this.memFrom = lastSequence + 1;
  }

  /** coveredFrom: every entry with sequence >= this is in a memtable (mutable or immutable). */
  get coveredFrom(): number {
    return this.imms.length === 0 ? this.memFrom : this.imms[0]!.from;
  }

  /** refAll takes a reference on every live memtable (an iterator reads them) and returns them. */
  refAll(): MemTable[] {
    const mems = this.all();
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
