/**
 * The memtable (LevelDB db/memtable.h): recent writes, sorted by internal key, held in an arena-backed
 * skiplist so that a worker thread can read an immutable memtable (to flush it) without a copy.
 */
import { InvalidArgumentError, NotSupportedError } from '../util/errors.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import { Arena } from './arena.js';
import type { InternalKeyComparator } from './internal-key.js';
import {
  LOOKUP_TYPE,
  MAX_SEQUENCE,
  TYPE_VALUE_POINTER,
  VALUE_TYPE_FOR_SEEK,
  ValueType,
  sequenceOf,
  tagHigh,
  tagLow,
} from './internal-key.js';
import { SkipList } from './skiplist.js';
import { bytewiseComparator } from '../util/comparator.js';
import { KeyFilter } from './key-filter.js';

/** MemTableOptions tunes the arena and the skiplist's random heights. */
export interface MemTableOptions {
  /**
   * initialBytes is the first committed size of each of the two arenas (nodes, values; default 64 KiB);
   * they double as needed.
   */
  readonly initialBytes?: number;
  /**
   * maxBytes is the most each arena may hold (default 1 GiB, at most 2 GiB - 8): address space reserved
   * up front, committed only as used. An add that does not fit throws InvalidArgumentError.
   */
  readonly maxBytes?: number;
  /** seed makes the skiplist's shape reproducible. */
  readonly seed?: number;
  /**
   * filterBytes sizes a bloom filter over the user keys (default 0: none), kept on the writer's thread
   * for bytewise-ordered memtables only (another comparator may call different bytes equal).
   */
  readonly filterBytes?: number;
}

/**
 * SharedMemTable describes a memtable's memory for postMessage (structured clone): the worker passes it to
 * MemTable.fromShared. It holds no copy of the entries.
 */
export interface SharedMemTable {
  /** nodeBuffer holds the skiplist nodes (links, keys); nodeBytes of it are in use. */
  readonly nodeBuffer: SharedArrayBuffer;
  readonly nodeBytes: number;
  /** valueBuffer holds the values; valueBytes of it are in use. */
  readonly valueBuffer: SharedArrayBuffer;
  readonly valueBytes: number;
  readonly head: number;
  readonly maxHeight: number;
  readonly count: number;
  /** comparatorName is the user comparator's name; fromShared checks it. */
  readonly comparatorName: string;
}

/** MemTableArenas are the memory of a memtable, handed from a released memtable to a new one. */
export interface MemTableArenas {
  readonly nodes: Arena;
  readonly values: Arena;
}

/**
 * MemTable maps internal keys to values.
 *
 * 1. Single writer. Readers on the writer's thread may read at any time; another thread may read only an
 *    immutable memtable, through share() / fromShared(). share() freezes the memtable (add() then throws).
 * 2. Values and keys returned are views into the arena, valid for the memtable's lifetime (the arena never
 *    moves bytes, and reuses them only after releaseArenas); copy them before handing them to users.
 */
export class MemTable {
  /** comparator orders the entries. */
  readonly comparator: InternalKeyComparator;
  /** refs: the database's own reference plus one per open iterator reading it. @internal */
  refs = 1;
  /** released: the arenas were handed to another memtable (see releaseArenas). */
  private released = false;
  private readonly nodes: Arena;
  private readonly values: Arena;
  private readonly list: SkipList;
  private frozen: boolean;
  /** filter: the user keys added (see MemTableOptions.filterBytes), or null. */
  private readonly filter: KeyFilter | null = null;

  /**
   * @param comparator orders the entries
   * @param options arena sizes and the height seed
   * @param shared internal: use MemTable.fromShared
   * @param reuse internal: use MemTable.reusing
   */
  constructor(
    comparator: InternalKeyComparator,
    options: MemTableOptions = {},
    shared?: SharedMemTable,
    reuse?: MemTableArenas,
  ) {
    this.comparator = comparator;
    if (shared !== undefined) {
      if (shared.comparatorName !== comparator.user.name) {
        throw new InvalidArgumentError(
          `memtable was written with comparator ${shared.comparatorName}, not ${comparator.user.name}`,
        );
      }
      this.nodes = Arena.fromShared(shared.nodeBuffer, shared.nodeBytes);
      this.values = Arena.fromShared(shared.valueBuffer, shared.valueBytes);
      this.list = SkipList.open(this.nodes, this.values, comparator.user, shared);
      this.frozen = true;
    } else {
      reuse?.nodes.reset();
      reuse?.values.reset();
      this.nodes = reuse?.nodes ?? new Arena(options.initialBytes, options.maxBytes);
      this.values = reuse?.values ?? new Arena(options.initialBytes, options.maxBytes);
      this.list = SkipList.create(this.nodes, this.values, comparator.user, options.seed);
      this.frozen = false;
      const filterBytes = options.filterBytes ?? 0;
      if (filterBytes > 0 && comparator.user === bytewiseComparator) this.filter = new KeyFilter(filterBytes);
    }
  }

  /**
   * reusing makes an empty memtable in the arenas of one that is no longer read by anyone (see
   * releaseArenas): its SharedArrayBuffers are only freed when every thread that saw them has collected
   * them, so allocating fresh ones per memtable left hundreds of MB of dead memtables resident.
   */
  static reusing(
    comparator: InternalKeyComparator,
    arenas: MemTableArenas,
    options: MemTableOptions = {},
  ): MemTable {
    return new MemTable(comparator, options, undefined, arenas);
  }

  /**
   * releaseArenas hands this memtable's arenas over for reuse; the memtable must not be used again.
   * Returns null for a memtable that does not own writable arenas (a fromShared view).
   * Requires: no reader (iterator, other thread) will look at this memtable again.
   */
  releaseArenas(): MemTableArenas | null {
    if (this.nodes.readOnly || this.values.readOnly) return null;
    this.frozen = true;
    this.released = true;
    return { nodes: this.nodes, values: this.values };
  }

  /**
   * fromShared opens a read-only view of a memtable described by `shared` (from share(), possibly in
   * another thread). `comparator.user.name` must match the writer's.
   */
  static fromShared(shared: SharedMemTable, comparator: InternalKeyComparator): MemTable {
    return new MemTable(comparator, {}, shared);
  }

  /** count is the number of entries. */
  get count(): number {
    return this.list.count;
  }

  /** readOnly is true once the memtable was shared, or if it is a fromShared view. */
  get readOnly(): boolean {
    return this.frozen;
  }

  /**
   * add inserts `userKey` at sequence `seq` with `type` (VALUE with `value`, or DELETION with an empty
   * value), copying both. Requires: no entry with the same (userKey, seq) exists.
   */
  add(seq: number, type: number, userKey: Uint8Array, value: Uint8Array): void {
    if (this.frozen) throw new NotSupportedError('memtable is read-only');
    if (!(seq >= 0 && seq < MAX_SEQUENCE)) throw new InvalidArgumentError(`sequence ${seq} out of range`);
    if (type !== ValueType.VALUE && type !== ValueType.DELETION && type !== TYPE_VALUE_POINTER) {
      throw new InvalidArgumentError(`unknown value type ${type}`);
    }
    this.list.insert(userKey, seq, type, value);
    this.filter?.add(userKey, 0, userKey.length);
  }

  /**
   * addFrom is add() with the user key at `src[kStart, kStart+klen)` and the value at
   * `src[vStart, vStart+vlen)`: a write batch is applied straight from its encoding, with no views.
   * Checks nothing: for the write path, whose sequence numbers and types are its own.
   */
  addFrom(
    seq: number,
    type: number,
    src: Uint8Array,
    kStart: number,
    klen: number,
    vStart: number,
    vlen: number,
  ): void {
    if (this.frozen) throw new NotSupportedError('memtable is read-only');
    this.list.insertFrom(src, kStart, klen, seq, type, src, vStart, vlen);
    this.filter?.add(src, kStart, kStart + klen);
  }

  /**
   * get looks up the newest entry for `userKey` with sequence <= `seq`: its value (a view into the
   * arena) if it is a VALUE or a value pointer (then `lastWasPointer` is true until the next get), null
   * if it is a DELETION, undefined if this memtable has no such entry.
   */
  get(userKey: Uint8Array, seq: number): Uint8Array | null | undefined {
    if (this.released) throw new NotSupportedError('memtable was released');
    this.lastWasPointer = false;
    if (this.filter !== null && !this.filter.mayContain(userKey)) return undefined;
    const list = this.list;
    // LOOKUP_TYPE: a pointer entry (type 2) at exactly `seq` sorts before a type-1 seek key.
    const node = list.findUserKey(userKey, tagHigh(seq), tagLow(seq, LOOKUP_TYPE));
    if (node === 0) return undefined;
    const t = list.valueType(node);
    if (t === ValueType.DELETION) return null;
    this.lastWasPointer = t === TYPE_VALUE_POINTER;
    return list.value(node);
  }

  /** lastWasPointer: the value the last get() returned is a value-log pointer (write-time separation). */
  lastWasPointer = false;

  /**
   * newestSequence returns the sequence number of the newest entry for `userKey` (a value or a
   * deletion), or -1 if this memtable has none (transactions' conflict checks).
   */
  newestSequence(userKey: Uint8Array): number {
    if (this.released) throw new NotSupportedError('memtable was released');
    const node = this.list.findUserKey(
      userKey,
      tagHigh(MAX_SEQUENCE),
      tagLow(MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK),
    );
    return node === 0 ? -1 : sequenceOf(this.list.internalKey(node));
  }

  /**
   * iterator returns an iterator over the entries in comparator order; key() is the internal key. It
   * sees entries added later if they sort after its position.
   */
  iterator(): InternalIterator {
    if (this.released) throw new NotSupportedError('memtable was released');
    return this.list.iterator();
  }

  /** approximateMemoryUsage is the number of arena bytes in use (the flush trigger). */
  approximateMemoryUsage(): number {
    return this.nodes.memoryUsage + this.values.memoryUsage;
  }

  /**
   * share freezes the memtable and returns a description of its memory to post to a worker, which opens
   * it with MemTable.fromShared. No entry is copied.
   */
  share(): SharedMemTable {
    this.frozen = true;
    const s = this.list.state();
    return {
      nodeBuffer: this.nodes.buffer,
      nodeBytes: this.nodes.memoryUsage,
      valueBuffer: this.values.buffer,
      valueBytes: this.values.memoryUsage,
      head: s.head,
      maxHeight: s.maxHeight,
      count: s.count,
      comparatorName: this.comparator.user.name,
    };
  }
}
