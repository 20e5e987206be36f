/**
 * Memtable micro-benchmark: the arena skiplist against two object-based baselines in the same run.
 *
 *   npx tsc -p tsconfig.json && node build/bench/memtable-bench.js [entries=1000000]
 *
 * Workloads: random inserts (16-byte random keys, 100-byte values), sequential inserts (16-digit decimal
 * keys, as db_bench fillseq), gets (hits, misses), a full forward iteration touching key() and value().
 * Baselines: "objskl" is the same skiplist algorithm with one JS object per node holding copied Uint8Array
 * internal keys and values; "sorted" appends copies to a JS array and sorts once at the end (the cheapest
 * way to end up sorted, but not readable while being built).
 */
import { BYTEWISE_COMPARATOR_NAME, bytewiseComparator } from '../src/util/comparator.js';
import { Random } from '../src/util/random.js';
import { MemTable } from '../src/memtable/memtable.js';
import {
  InternalKeyComparator,
  MAX_SEQUENCE,
  TAG_SIZE,
  ValueType,
  lookupKey,
  makeInternalKey,
  writeTag,
} from '../src/memtable/internal-key.js';

const N = Number(process.argv[2] ?? 1_000_000);
const KEY = 16;
const VALUE = 100;
const icmp = new InternalKeyComparator(bytewiseComparator);

function makeKeys(kind: 'random' | 'seq', n: number, seed: number): Uint8Array[] {
  const rnd = new Random(seed);
  const pool = new Uint8Array(n * KEY);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = pool.subarray(i * KEY, (i + 1) * KEY);
    if (kind === 'random') {
      for (let j = 0; j < KEY; j++) k[j] = rnd.next32() & 0xff;
    } else {
      const s = String(i).padStart(KEY, '0');
      for (let j = 0; j < KEY; j++) k[j] = s.charCodeAt(j);
    }
    keys.push(k);
  }
  return keys;
}

function makeValues(n: number): Uint8Array[] {
  // Values are views into a pool, as a decoded WriteBatch hands them over.
  const pool = new Random(7).bytes(VALUE * 1024);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const o = (i * 131) % (1024 - 1);
    out.push(pool.subarray(o * VALUE, o * VALUE + VALUE));
  }
  return out;
}

function shuffled<T>(a: T[], seed: number): T[] {
  const rnd = new Random(seed);
  const b = a.slice();
  for (let i = b.length - 1; i > 0; i--) {
    const j = rnd.uniform(i + 1);
    const t = b[i]!;
    b[i] = b[j]!;
    b[j] = t;
  }
  return b;
}

// ---- baseline 1: the same skiplist with one object per node ----

interface ObjNode {
  key: Uint8Array; // internal key
  value: Uint8Array;
  next: (ObjNode | null)[];
}

function compareInternal(a: Uint8Array, b: Uint8Array): number {
  // Allocation-free InternalKeyComparator for the bytewise order.
  const al = a.length - TAG_SIZE;
  const bl = b.length - TAG_SIZE;
  const m = al < bl ? al : bl;
  for (let i = 0; i < m; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  if (al !== bl) return al - bl;
  for (let i = TAG_SIZE - 1; i >= 0; i--) {
    const d = b[bl + i]! - a[al + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

class ObjSkipList {
  private readonly head: ObjNode = {
    key: new Uint8Array(0),
    value: new Uint8Array(0),
    next: new Array(12).fill(null),
  };
  private height = 1;
  private readonly rnd = new Random(0xdeadbeef);
  count = 0;

  add(seq: number, type: number, userKey: Uint8Array, value: Uint8Array): void {
    const key = new Uint8Array(userKey.length + TAG_SIZE);
    key.set(userKey);
    writeTag(key, userKey.length, seq, type);
    const prev: ObjNode[] = new Array(12);
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = x.next[level]!;
      while (next !== null && compareInternal(next.key, key) < 0) {
        x = next;
        next = x.next[level]!;
      }
      prev[level] = x;
    }
    let h = 1;
    while (h < 12 && (this.rnd.next32() & 3) === 0) h++;
    if (h > this.height) {
      for (let i = this.height; i < h; i++) prev[i] = this.head;
      this.height = h;
    }
    const node: ObjNode = { key, value: value.slice(), next: new Array(h) };
    for (let i = 0; i < h; i++) {
      node.next[i] = prev[i]!.next[i]!;
      prev[i]!.next[i] = node;
    }
    this.count++;
  }

  seek(target: Uint8Array): ObjNode | null {
    let x = this.head;
    for (let level = this.height - 1; level >= 0; level--) {
      let next = x.next[level]!;
      while (next !== null && compareInternal(next.key, target) < 0) {
        x = next;
        next = x.next[level]!;
      }
    }
    return x.next[0]!;
  }

  first(): ObjNode | null {
    return this.head.next[0]!;
  }
}

// ---- baseline 2: append copies, sort once ----

class SortedArray {
  keys: Uint8Array[] = [];
  values: Uint8Array[] = [];
  private order: number[] = [];

  add(seq: number, type: number, userKey: Uint8Array, value: Uint8Array): void {
    this.keys.push(makeInternalKey(userKey, seq, type));
    this.values.push(value.slice());
  }

  finish(): void {
    const keys = this.keys;
    this.order = keys.map((_, i) => i).sort((a, b) => compareInternal(keys[a]!, keys[b]!));
    this.keys = this.order.map((i) => keys[i]!);
    this.values = this.order.map((i) => this.values[i]!);
  }

  seek(target: Uint8Array): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInternal(this.keys[mid]!, target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// ---- harness ----

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function line(name: string, ops: number, secs: number, extra = ''): void {
  const rate = ops / secs;
  console.log(
    `${name.padEnd(28)} ${(rate / 1e6).toFixed(2).padStart(6)} M ops/s  ${((secs * 1e9) / ops).toFixed(0).padStart(5)} ns/op${extra}`,
  );
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function benchMemTable(
  kind: 'random' | 'seq',
  keys: Uint8Array[],
  values: Uint8Array[],
  misses: Uint8Array[],
): void {
  const h0 = heap();
  const m = new MemTable(icmp, { seed: 301 });
  const tIns = time(() => {
    for (let i = 0; i < keys.length; i++) m.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
  });
  const h1 = heap();
  line(
    `memtable  fill${kind}`,
    keys.length,
    tIns,
    `  arena ${mb(m.approximateMemoryUsage())}, JS heap +${mb(h1 - h0)}`,
  );
  const probe = shuffled(keys, 5);
  let found = 0;
  const tHit = time(() => {
    for (let i = 0; i < probe.length; i++) if (m.get(probe[i]!, MAX_SEQUENCE) !== undefined) found++;
  });
  if (found !== probe.length) throw new Error(`memtable: ${found} of ${probe.length} hits`);
  line(`memtable  get hit (${kind})`, probe.length, tHit);
  let missed = 0;
  const tMiss = time(() => {
    for (let i = 0; i < misses.length; i++) if (m.get(misses[i]!, MAX_SEQUENCE) === undefined) missed++;
  });
  if (missed !== misses.length) throw new Error('memtable: unexpected hit');
  line(`memtable  get miss (${kind})`, misses.length, tMiss);
  let sum = 0;
  const it = m.iterator();
  const tIt = time(() => {
    for (it.seekToFirst(); it.valid(); it.next()) sum += it.key().length + it.value().length;
  });
  if (sum !== keys.length * (KEY + TAG_SIZE + VALUE)) throw new Error('memtable: bad iteration');
  line(`memtable  iterate (${kind})`, keys.length, tIt);
}

function benchObj(
  kind: 'random' | 'seq',
  keys: Uint8Array[],
  values: Uint8Array[],
  misses: Uint8Array[],
): void {
  const h0 = heap();
  const s = new ObjSkipList();
  const tIns = time(() => {
    for (let i = 0; i < keys.length; i++) s.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
  });
  const h1 = heap();
  line(`objskl    fill${kind}`, keys.length, tIns, `  JS heap +${mb(h1 - h0)}`);
  const probe = shuffled(keys, 5);
  let found = 0;
  const tHit = time(() => {
    for (let i = 0; i < probe.length; i++) {
      const k = probe[i]!;
      const n = s.seek(lookupKey(k, MAX_SEQUENCE));
      if (n !== null && compareUser(n.key, k)) found++;
    }
  });
  if (found !== probe.length) throw new Error('objskl: missing');
  line(`objskl    get hit (${kind})`, probe.length, tHit);
  const tMiss = time(() => {
    for (let i = 0; i < misses.length; i++) s.seek(lookupKey(misses[i]!, MAX_SEQUENCE));
  });
  line(`objskl    get miss (${kind})`, misses.length, tMiss);
  let sum = 0;
  const tIt = time(() => {
    for (let n = s.first(); n !== null; n = n.next[0]!) sum += n.key.length + n.value.length;
  });
  if (sum !== keys.length * (KEY + TAG_SIZE + VALUE)) throw new Error('objskl: bad iteration');
  line(`objskl    iterate (${kind})`, keys.length, tIt);
}

function benchSorted(kind: 'random' | 'seq', keys: Uint8Array[], values: Uint8Array[]): void {
  const a = new SortedArray();
  const tIns = time(() => {
    for (let i = 0; i < keys.length; i++) a.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
    a.finish();
  });
  line(`sorted    fill${kind}+sort`, keys.length, tIns);
  const probe = shuffled(keys, 5);
  let found = 0;
  const tHit = time(() => {
    for (let i = 0; i < probe.length; i++) {
      const k = probe[i]!;
      const j = a.seek(lookupKey(k, MAX_SEQUENCE));
      if (j < a.keys.length && compareUser(a.keys[j]!, k)) found++;
    }
  });
  if (found !== probe.length) throw new Error('sorted: missing');
  line(`sorted    get hit (${kind})`, probe.length, tHit);
}

function compareUser(ikey: Uint8Array, userKey: Uint8Array): boolean {
  if (ikey.length - TAG_SIZE !== userKey.length) return false;
  for (let i = 0; i < userKey.length; i++) if (ikey[i] !== userKey[i]) return false;
  return true;
}

function main(): void {
  if (icmp.user.name !== BYTEWISE_COMPARATOR_NAME) throw new Error('expected the bytewise comparator');
  console.log(
    `memtable bench: ${N} entries, ${KEY}-byte keys, ${VALUE}-byte values, node ${process.version}`,
  );
  const values = makeValues(N);
  const misses = makeKeys('random', Math.min(N, 1_000_000), 99);
  for (const kind of ['random', 'seq'] as const) {
    const keys = makeKeys(kind, N, 42);
    benchMemTable(kind, keys, values, misses);
    benchObj(kind, keys, values, misses);
    benchSorted(kind, keys, values);
  }
  // Second memtable pass: the first includes JIT warm-up.
  for (const kind of ['random', 'seq'] as const) benchMemTable(kind, makeKeys(kind, N, 43), values, misses);
}

main();
