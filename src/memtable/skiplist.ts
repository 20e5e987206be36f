/**
 * A skiplist of internal keys whose nodes live in an Arena (LevelDB db/skiplist.h: max height 12,
 * branching 4). No JS object is made per entry; a node is a 4-aligned offset into the arena.
 *
 * Nodes live in one arena, values in another, so that a search (which reads only links and keys) touches
 * fewer cache lines: with 16-byte keys and 100-byte values this makes lookups in a 4 MB memtable ~1.5x
 * faster. Node layout at offset N of the node arena (N is the node's id; 0 is nil):
 *
 *   N - 4h .. N    h next links (int32 offsets); level i is at int32 index (N >> 2) - 1 - i
 *   N              int32 user key length k
 *   N + 4          int32 value length v
 *   N + 8          int32 offset of the value in the value arena
 *   N + 12         user key (k bytes) ++ tag (fixed64 seq << 8 | type): the internal key
 *
 * The links come before N so that the key's position does not depend on the node's height.
 */
import type { Comparator } from '../util/comparator.js';
import { BYTEWISE_COMPARATOR_NAME } from '../util/comparator.js';
import { InvalidArgumentError, NotSupportedError } from '../util/errors.js';
import { copyShared } from '../util/shared-copy.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import { Random } from '../util/random.js';
import type { Arena } from './arena.js';
import { TAG_SIZE, tagHigh, tagLow } from './internal-key.js';

/** SKIPLIST_MAX_HEIGHT is the most levels a node can have (LevelDB kMaxHeight). */
export const SKIPLIST_MAX_HEIGHT = 12;

/** SKIPLIST_BRANCHING: a node reaches the next level with probability 1/4 (LevelDB kBranching). */
export const SKIPLIST_BRANCHING = 4;

// Bytes before the key: user key length, value length, value offset.
const NODE_HEADER = 12;
// Keys up to this length are copied by a loop; longer ones by TypedArray.set (its call costs more).
const SMALL_COPY = 32;

// Int32Array words are in the platform's byte order; keys compare as big-endian words.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function bswap32(x: number): number {
  return ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** SkipListState is what a reader needs to open a skiplist over an existing arena. */
export interface SkipListState {
  readonly head: number;
  readonly maxHeight: number;
  readonly count: number;
}

/**
 * SkipList is a sorted set of (internal key, value) entries in an Arena, in InternalKeyComparator order:
 * user key ascending by `user`, then tag (sequence, type) descending.
 *
 * 1. Single writer; entries are never removed or changed once inserted.
 * 2. Equal internal keys must not be inserted (sequence numbers are unique).
 * 3. With the bytewise comparator, searches compare the probe key against the arena bytes directly,
 *    a 32-bit word at a time over common prefixes; other comparators are given subarray views.
 * 4. The writer remembers the predecessors of the last inserted key (a "splice"); when the next key falls
 *    right after it (sequential inserts), insertion skips the search from the top.
 */
export class SkipList {
  /** head is the sentinel node (empty key); its level-0 link is the first entry. */
  readonly head: number;
  /** user orders the user keys. */
  readonly user: Comparator;
  private readonly nodes: Arena;
  private readonly values: Arena;
  private u8: Uint8Array;
  private i32: Int32Array;
  private readonly bytewise: boolean;
  private readonly random: Random | null;
  private readonly splice = new Int32Array(SKIPLIST_MAX_HEIGHT);
  // The probe (search key) copied to an aligned scratch buffer, so that bytewise comparisons can skip a
  // common prefix four bytes at a time (node keys are 4-aligned in the arena).
  private probe8 = new Uint8Array(64);
  private probe32 = new Int32Array(this.probe8.buffer);
  private height: number;
  private n: number;

  private constructor(
    nodes: Arena,
    values: Arena,
    user: Comparator,
    random: Random | null,
    state: SkipListState | null,
  ) {
    this.nodes = nodes;
    this.values = values;
    this.user = user;
    this.bytewise = user.name === BYTEWISE_COMPARATOR_NAME;
    this.random = random;
    if (state === null) {
      const headBytes = 4 * SKIPLIST_MAX_HEIGHT + NODE_HEADER + TAG_SIZE;
      const base = nodes.allocateAligned(headBytes);
      // A reused arena holds old bytes: the head's links and header must start empty. (Every other node
      // is written in full by insert.)
      nodes.u8.fill(0, base, base + headBytes);
      this.head = base + 4 * SKIPLIST_MAX_HEIGHT;
      this.height = 1;
      this.n = 0;
    } else {
      this.head = state.head;
      this.height = state.maxHeight;
      this.n = state.count;
    }
    this.u8 = nodes.u8;
    this.i32 = nodes.i32;
    this.splice.fill(this.head);
  }

  /**
   * create makes an empty, writable skiplist with its nodes in `nodes` and its values in `values` (two
   * distinct arenas); `seed` drives the node heights.
   */
  static create(nodes: Arena, values: Arena, user: Comparator, seed = 0xdeadbeef): SkipList {
    return new SkipList(nodes, values, user, new Random(seed), null);
  }

  /** open reads a skiplist another SkipList wrote into these arenas (read-only: insert throws). */
  static open(nodes: Arena, values: Arena, user: Comparator, state: SkipListState): SkipList {
    const { head, maxHeight, count } = state;
    if (
      !Number.isInteger(head) ||
      head < 4 * SKIPLIST_MAX_HEIGHT ||
      head + NODE_HEADER + TAG_SIZE > nodes.memoryUsage ||
      (head & 3) !== 0
    ) {
      throw new InvalidArgumentError(`skiplist head ${head} is not a node of the arena`);
    }
    if (!Number.isInteger(maxHeight) || maxHeight < 1 || maxHeight > SKIPLIST_MAX_HEIGHT) {
      throw new InvalidArgumentError(`skiplist height ${maxHeight} out of range`);
    }
    if (!Number.isInteger(count) || count < 0)
      throw new InvalidArgumentError(`skiplist count ${count} invalid`);
    return new SkipList(nodes, values, user, null, state);
  }

  /** count is the number of entries. */
  get count(): number {
    return this.n;
  }

  /** maxHeight is the tallest node's height (at least 1). */
  get maxHeight(): number {
    return this.height;
  }

  /** state returns what SkipList.open needs to read this list elsewhere. */
  state(): SkipListState {
    return { head: this.head, maxHeight: this.height, count: this.n };
  }

  /**
   * insert adds the entry (userKey ++ tag(seq, type), value), copying both into the arena.
   * Requires: no entry with the same internal key exists.
   */
  insert(userKey: Uint8Array, seq: number, type: number, value: Uint8Array): void {
    this.insertFrom(userKey, 0, userKey.length, seq, type, value, 0, value.length);
  }

  /**
   * insertFrom is insert() with the user key at `src[kStart, kStart+klen)` and the value at
   * `vsrc[vStart, vStart+vlen)`, so a write batch is applied straight from its encoding, with no views.
   */
  insertFrom(
    src: Uint8Array,
    kStart: number,
    klen: number,
    seq: number,
    type: number,
    vsrc: Uint8Array,
    vStart: number,
    vlen: number,
  ): void {
    const random = this.random;
    if (random === null) throw new NotSupportedError('skiplist is read-only');
    const hi = tagHigh(seq);
    const lo = tagLow(seq, type);
    const splice = this.splice;

    // The splice holds the predecessors, at every level, of the last inserted node L (splice[0] === L).
    // If the new key sorts between L and L's successor it has the same predecessors: skip the search.
    if (this.bytewise) this.loadProbe(src, kStart, klen);
    const last = splice[0]!;
    let fits = last === this.head || this.compareProbe(last, src, kStart, klen, hi, lo) < 0;
    if (fits) {
      const after = this.i32[(last >> 2) - 1]!;
      fits = after === 0 || this.compareProbe(after, src, kStart, klen, hi, lo) > 0;
    }
    if (!fits) this.seekGE(src, kStart, klen, hi, lo, splice);

    let h = 1;
    while (h < SKIPLIST_MAX_HEIGHT && (random.next32() & (SKIPLIST_BRANCHING - 1)) === 0) h++;
    if (h > this.height) {
      for (let i = this.height; i < h; i++) splice[i] = this.head;
      this.height = h;
    }

    const voff = this.values.allocate(vlen);
    const vu8 = this.values.u8;
    if (vlen <= SMALL_COPY) {
      for (let i = 0; i < vlen; i++) vu8[voff + i] = vsrc[vStart + i]!;
    } else {
      // The arena is shared memory: copyShared keeps the copy on V8's word path (set() may go byte by byte).
      copyShared(
        vu8,
        voff,
        vStart === 0 && vlen === vsrc.length ? vsrc : vsrc.subarray(vStart, vStart + vlen),
      );
    }

    const base = this.nodes.allocateAligned(4 * h + NODE_HEADER + klen + TAG_SIZE);
    const u8 = this.nodes.u8;
    const i32 = this.nodes.i32;
    this.u8 = u8;
    this.i32 = i32;
    const node = base + 4 * h;
    const ni = node >> 2;
    i32[ni] = klen;
    i32[ni + 1] = vlen;
    i32[ni + 2] = voff;
    let p = node + NODE_HEADER;
    if (klen <= SMALL_COPY) {
      for (let i = 0; i < klen; i++) u8[p + i] = src[kStart + i]!;
    } else {
      u8.set(kStart === 0 && klen === src.length ? src : src.subarray(kStart, kStart + klen), p);
    }
    p += klen;
    u8[p] = lo;
    u8[p + 1] = lo >>> 8;
    u8[p + 2] = lo >>> 16;
    u8[p + 3] = lo >>> 24;
    u8[p + 4] = hi;
    u8[p + 5] = hi >>> 8;
    u8[p + 6] = hi >>> 16;
    u8[p + 7] = hi >>> 24;
    for (let i = 0; i < h; i++) {
      const link = (splice[i]! >> 2) - 1 - i;
      i32[ni - 1 - i] = i32[link]!;
      i32[link] = node;
      splice[i] = node;
    }
    this.n++;
  }

  /**
   * compareNode compares the internal key of `node` with the probe (user key `key[start, start+len)`,
   * tag (hi, lo)): negative if the node sorts first, 0 if equal, positive if it sorts after.
   */
  compareNode(node: number, key: Uint8Array, start: number, len: number, hi: number, lo: number): number {
    if (this.bytewise) this.loadProbe(key, start, len);
    return this.compareProbe(node, key, start, len, hi, lo);
  }

  // Copies the probe's user key into the aligned scratch (bytewise order only).
  private loadProbe(key: Uint8Array, start: number, len: number): void {
    if (len > this.probe8.length) {
      this.probe8 = new Uint8Array((len + 64) & ~3);
      this.probe32 = new Int32Array(this.probe8.buffer);
    }
    if (len > SMALL_COPY) {
      this.probe8.set(key.subarray(start, start + len));
      return;
    }
    // Whole words first (four loads, one store), then the tail bytes.
    const pw = this.probe32;
    const words = len >> 2;
    for (let w = 0, i = start; w < words; w++, i += 4) {
      pw[w] = LITTLE_ENDIAN
        ? key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)
        : (key[i]! << 24) | (key[i + 1]! << 16) | (key[i + 2]! << 8) | key[i + 3]!;
    }
    const p = this.probe8;
    for (let i = words << 2; i < len; i++) p[i] = key[start + i]!;
  }

  // compareNode against the probe; with the bytewise order, the probe must have been loaded. The work is
  // split into small functions so that V8 inlines the bytewise path into the search loops.
  private compareProbe(
    node: number,
    key: Uint8Array,
    start: number,
    len: number,
    hi: number,
    lo: number,
  ): number {
    return this.bytewise
      ? this.compareBytewise(node, len, hi, lo)
      : this.compareCustom(node, key, start, len, hi, lo);
  }

  private compareBytewise(node: number, len: number, hi: number, lo: number): number {
    const i32 = this.i32;
    const nlen = i32[node >> 2]!;
    const ns = node + NODE_HEADER;
    const m = nlen < len ? nlen : len;
    // Equal words are equal bytes whatever the platform's byte order; the first unequal pair, read as
    // big-endian numbers, orders the keys.
    const words = m >> 2;
    const nw = ns >> 2;
    const pw = this.probe32;
    let w = 0;
    while (w < words && i32[nw + w] === pw[w]) w++;
    if (w < words) {
      const x = LITTLE_ENDIAN ? bswap32(i32[nw + w]!) : i32[nw + w]! >>> 0;
      const y = LITTLE_ENDIAN ? bswap32(pw[w]!) : pw[w]! >>> 0;
      return x < y ? -1 : 1;
    }
    if ((m & 3) !== 0) {
      const d = this.compareTail(ns, w << 2, m);
      if (d !== 0) return d;
    }
    if (nlen !== len) return nlen - len;
    return this.compareTag(ns + nlen, hi, lo);
  }

  // Compares node key bytes [from, m) with the probe's (the part after the last whole word).
  private compareTail(ns: number, from: number, m: number): number {
    const u8 = this.u8;
    const pb = this.probe8;
    for (let i = from; i < m; i++) {
      const d = u8[ns + i]! - pb[i]!;
      if (d !== 0) return d;
    }
    return 0;
  }

  private compareCustom(
    node: number,
    key: Uint8Array,
    start: number,
    len: number,
    hi: number,
    lo: number,
  ): number {
    const u8 = this.u8;
    const nlen = this.i32[node >> 2]!;
    const ns = node + NODE_HEADER;
    const probe = start === 0 && len === key.length ? key : key.subarray(start, start + len);
    const r = this.user.compare(u8.subarray(ns, ns + nlen), probe);
    if (r !== 0) return r;
    return this.compareTag(ns + nlen, hi, lo);
  }

  // Compares the tag stored at `t` with (hi, lo); tags sort descending (a larger tag comes first).
  private compareTag(t: number, hi: number, lo: number): number {
    const u8 = this.u8;
    const nhi = (u8[t + 4]! | (u8[t + 5]! << 8) | (u8[t + 6]! << 16) | (u8[t + 7]! << 24)) >>> 0;
    if (nhi !== hi) return nhi > hi ? -1 : 1;
    const nlo = (u8[t]! | (u8[t + 1]! << 8) | (u8[t + 2]! << 16) | (u8[t + 3]! << 24)) >>> 0;
    if (nlo !== lo) return nlo > lo ? -1 : 1;
    return 0;
  }

  /**
   * findGreaterOrEqual returns the first node >= the probe (see compareNode), or 0 if none. If `prev` is
   * given, prev[i] is set to the last node < the probe at each level i below maxHeight.
   */
  findGreaterOrEqual(
    key: Uint8Array,
    start: number,
    len: number,
    hi: number,
    lo: number,
    prev: Int32Array | null,
  ): number {
    if (this.bytewise) this.loadProbe(key, start, len);
    return this.seekGE(key, start, len, hi, lo, prev);
  }

  /**
   * findUserKey returns the first node >= (userKey, tag (hi, lo)) if its user key equals `userKey`, else
   * 0: the newest entry for `userKey` at or below the probe's sequence.
   */
  findUserKey(userKey: Uint8Array, hi: number, lo: number): number {
    const len = userKey.length;
    if (!this.bytewise) {
      const node = this.seekGE(userKey, 0, len, hi, lo, null);
      return node !== 0 && this.userKeyEquals(node, userKey) ? node : 0;
    }
    this.loadProbe(userKey, 0, len);
    const node = this.seekGE(userKey, 0, len, hi, lo, null);
    if (node === 0) return 0;
    const i32 = this.i32;
    if (i32[node >> 2] !== len) return 0;
    const nw = (node + NODE_HEADER) >> 2;
    const pw = this.probe32;
    const words = len >> 2;
    for (let w = 0; w < words; w++) if (i32[nw + w] !== pw[w]) return 0;
    const u8 = this.u8;
    const ns = node + NODE_HEADER;
    const pb = this.probe8;
    for (let i = words << 2; i < len; i++) if (u8[ns + i] !== pb[i]) return 0;
    return node;
  }

  // findGreaterOrEqual with the probe already loaded.
  private seekGE(
    key: Uint8Array,
    start: number,
    len: number,
    hi: number,
    lo: number,
    prev: Int32Array | null,
  ): number {
    const i32 = this.i32;
    let x = this.head;
    let level = this.height - 1;
    // The node that stopped the walk one level up is known to be >= the probe: do not compare it again.
    let known = 0;
    while (true) {
      const next = i32[(x >> 2) - 1 - level]!;
      if (next !== 0 && next !== known && this.compareProbe(next, key, start, len, hi, lo) < 0) {
        x = next;
      } else {
        if (prev !== null) prev[level] = x;
        if (level === 0) return next;
        known = next;
        level--;
      }
    }
  }

  /** findLessThan returns the last node < the probe (see compareNode), or 0 if none. */
  findLessThan(key: Uint8Array, start: number, len: number, hi: number, lo: number): number {
    if (this.bytewise) this.loadProbe(key, start, len);
    const i32 = this.i32;
    let x = this.head;
    let level = this.height - 1;
    let known = 0;
    while (true) {
      const next = i32[(x >> 2) - 1 - level]!;
      if (next !== 0 && next !== known && this.compareProbe(next, key, start, len, hi, lo) < 0) {
        x = next;
      } else {
        if (level === 0) return x === this.head ? 0 : x;
        known = next;
        level--;
      }
    }
  }

  /** findLast returns the last node, or 0 if the list is empty. */
  findLast(): number {
    const i32 = this.i32;
    let x = this.head;
    let level = this.height - 1;
    while (true) {
      const next = i32[(x >> 2) - 1 - level]!;
      if (next !== 0) {
        x = next;
      } else {
        if (level === 0) return x === this.head ? 0 : x;
        level--;
      }
    }
  }

  /** first returns the first node, or 0 if the list is empty. */
  first(): number {
    return this.i32[(this.head >> 2) - 1]!;
  }

  /** next returns the node after `node` (0 at the end). */
  next(node: number): number {
    return this.i32[(node >> 2) - 1]!;
  }

  /** before returns the node before `node` (0 at the start); it searches from the top, O(log n). */
  before(node: number): number {
    const u8 = this.u8;
    const klen = this.i32[node >> 2]!;
    const t = node + NODE_HEADER + klen;
    const lo = (u8[t]! | (u8[t + 1]! << 8) | (u8[t + 2]! << 16) | (u8[t + 3]! << 24)) >>> 0;
    const hi = (u8[t + 4]! | (u8[t + 5]! << 8) | (u8[t + 6]! << 16) | (u8[t + 7]! << 24)) >>> 0;
    return this.findLessThan(u8, node + NODE_HEADER, klen, hi, lo);
  }

  /** userKeyEquals returns true iff the user key of `node` equals `key` under the user comparator. */
  userKeyEquals(node: number, key: Uint8Array): boolean {
    const u8 = this.u8;
    const nlen = this.i32[node >> 2]!;
    const ns = node + NODE_HEADER;
    if (!this.bytewise) return this.user.compare(u8.subarray(ns, ns + nlen), key) === 0;
    if (nlen !== key.length) return false;
    for (let i = 0; i < nlen; i++) if (u8[ns + i] !== key[i]) return false;
    return true;
  }

  /** valueType returns the ValueType byte of `node`'s tag. */
  valueType(node: number): number {
    return this.u8[node + NODE_HEADER + this.i32[node >> 2]!]!;
  }

  /** keyOffset returns the node-arena offset of `node`'s internal key. */
  keyOffset(node: number): number {
    return node + NODE_HEADER;
  }

  /** userKeyLength returns the length of `node`'s user key (its internal key is 8 bytes longer). */
  userKeyLength(node: number): number {
    return this.i32[node >> 2]!;
  }

  /** valueOffset returns the value-arena offset of `node`'s value. */
  valueOffset(node: number): number {
    return this.i32[(node >> 2) + 2]!;
  }

  /** valueLength returns the length of `node`'s value. */
  valueLength(node: number): number {
    return this.i32[(node >> 2) + 1]!;
  }

  // Views are made with the constructor rather than subarray(), which is markedly slower in V8.

  /** internalKey returns a view of `node`'s internal key (user key ++ tag) in the arena. */
  internalKey(node: number): Uint8Array {
    return new Uint8Array(this.nodes.buffer, node + NODE_HEADER, this.i32[node >> 2]! + TAG_SIZE);
  }

  /** userKey returns a view of `node`'s user key in the arena. */
  userKey(node: number): Uint8Array {
    return new Uint8Array(this.nodes.buffer, node + NODE_HEADER, this.i32[node >> 2]!);
  }

  /** value returns a view of `node`'s value in the value arena. */
  value(node: number): Uint8Array {
    const ni = node >> 2;
    return new Uint8Array(this.values.buffer, this.i32[ni + 2]!, this.i32[ni + 1]!);
  }

  /**
   * checkInvariants walks every level and returns a description of the first broken invariant (a level
   * out of order, a node missing from the level below, a wrong count), or null if there is none. O(n).
   */
  checkInvariants(): string | null {
    const i32 = this.i32;
    const link = (x: number, level: number): number => i32[(x >> 2) - 1 - level]!;
    let n = 0;
    for (let x = link(this.head, 0); x !== 0; x = link(x, 0)) n++;
    if (n !== this.n) return `level 0 holds ${n} nodes, count is ${this.n}`;
    for (let level = 0; level < SKIPLIST_MAX_HEIGHT; level++) {
      let below = level > 0 ? link(this.head, level - 1) : 0;
      let prev = 0;
      for (let x = link(this.head, level); x !== 0; x = link(x, level)) {
        if (level >= this.height) return `node ${x} at level ${level}, above maxHeight ${this.height}`;
        if (prev !== 0) {
          const klen = i32[x >> 2]!;
          const t = x + NODE_HEADER + klen;
          const u8 = this.u8;
          const lo = (u8[t]! | (u8[t + 1]! << 8) | (u8[t + 2]! << 16) | (u8[t + 3]! << 24)) >>> 0;
          const hi = (u8[t + 4]! | (u8[t + 5]! << 8) | (u8[t + 6]! << 16) | (u8[t + 7]! << 24)) >>> 0;
          if (this.compareNode(prev, u8, x + NODE_HEADER, klen, hi, lo) >= 0) {
            return `level ${level}: node ${prev} does not sort before node ${x}`;
          }
        }
        if (level > 0) {
          while (below !== 0 && below !== x) below = link(below, level - 1);
          if (below === 0) return `node ${x} at level ${level} is missing from level ${level - 1}`;
        }
        prev = x;
      }
    }
    return null;
  }

  /** iterator returns an iterator over the entries (see SkipListIterator). */
  iterator(): SkipListIterator {
    return new SkipListIterator(this);
  }
}

/**
 * SkipListIterator walks a SkipList in both directions. key() is the internal key, value() the value;
 * both are views into the arena. Entries inserted after positioning are seen by next() if they land
 * after the current node. prev() searches from the top (O(log n)), as LevelDB.
 */
export class SkipListIterator implements InternalIterator {
  private node = 0;

  constructor(private readonly list: SkipList) {}

  /** current returns the node the iterator is at (0 when not valid), for allocation-free access. */
  get current(): number {
    return this.node;
  }

  valid(): boolean {
    return this.node !== 0;
  }

  seekToFirst(): void {
    this.node = this.list.first();
  }

  seekToLast(): void {
    this.node = this.list.findLast();
  }

  /** seek positions at the first entry whose internal key is >= `target` (an internal key). */
  seek(target: Uint8Array): void {
    const len = target.length - TAG_SIZE;
    if (len < 0) throw new InvalidArgumentError('seek target is not an internal key (shorter than 8 bytes)');
    const lo =
      (target[len]! | (target[len + 1]! << 8) | (target[len + 2]! << 16) | (target[len + 3]! << 24)) >>> 0;
    const hi =
      (target[len + 4]! | (target[len + 5]! << 8) | (target[len + 6]! << 16) | (target[len + 7]! << 24)) >>>
      0;
    this.node = this.list.findGreaterOrEqual(target, 0, len, hi, lo, null);
  }

  next(): void {
    this.mustBeValid();
    this.node = this.list.next(this.node);
  }

  prev(): void {
    this.mustBeValid();
    this.node = this.list.before(this.node);
  }

  key(): Uint8Array {
    this.mustBeValid();
    return this.list.internalKey(this.node);
  }

  value(): Uint8Array {
    this.mustBeValid();
    return this.list.value(this.node);
  }

  close(): void {
    this.node = 0;
  }

  private mustBeValid(): void {
    if (this.node === 0) throw new InvalidArgumentError('iterator is not positioned at an entry');
  }
}
