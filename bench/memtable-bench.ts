/**
 * Memtable micro-benchmark: the arena skiplist against two object-based baselines in the same run.
 *
 *   npx tsc -p tsconfig.json && node --expose-gc build/bench/memtable-bench.js [entries=1000000]
 *
 * (--expose-gc only makes the JS heap figures exact.) Two sections: 32 Ki entries (about LevelDB's
 * default 4 MiB write buffer; best of 8 runs) and `entries` (default 1M; one run). Workloads: inserts
 * with increasing sequence numbers, gets of every key in random order (hits) and of 1M absent random
 * keys (misses), and a full forward iteration touching key() and value(). Keys: 16 random bytes, 16-digit
 * decimal numbers inserted in order (db_bench fillseq), or a 16-byte common prefix + 16 random digits.
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

const PREFIX = 'user/table/0001/';

function makeKeys(kind: 'random' | 'seq' | 'prefixed', n: number, seed: number): Uint8Array[] {
  // Keys are views into one pool, as a decoded WriteBatch hands them over.
  const rnd = new Random(seed);
  const len = kind === 'prefixed' ? PREFIX.length + KEY : KEY;
  const pool = new Uint8Array(n * len);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const k = pool.subarray(i * len, (i + 1) * len);
    if (kind === 'random') {
      for (let j = 0; j < KEY; j++) k[j] = rnd.next32() & 0xff;
    } else {
      const s =
        kind === 'seq'
          ? String(i).padStart(KEY, '0')
          : PREFIX +
            String(rnd.next32() % 1e8).padStart(8, '0') +
            String(rnd.next32() % 1e8).padStart(8, '0');
      for (let j = 0; j < len; j++) k[j] = s.charCodeAt(j);
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

type Kind = 'random' | 'seq' | 'prefixed';

/** Nanoseconds per operation of each workload (best of the repetitions). */
interface Result {
  fill: number;
  hit: number;
  miss: number;
  iter: number;
  note: string;
}

interface Workload {
  keys: Uint8Array[];
  values: Uint8Array[];
  probe: Uint8Array[]; // the keys, shuffled
  misses: Uint8Array[];
  bytes: number; // total internal key + value bytes
}

function nsPerOp(ops: number, fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / ops;
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function runMemTable(w: Workload): Result {
  const { keys, values, probe, misses } = w;
  const h0 = heap();
  const m = new MemTable(icmp, { seed: 301 });
  const fill = nsPerOp(keys.length, () => {
    for (let i = 0; i < keys.length; i++) m.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
  });
  const h1 = heap();
  let found = 0;
  const hit = nsPerOp(probe.length, () => {
    for (let i = 0; i < probe.length; i++) if (m.get(probe[i]!, MAX_SEQUENCE) !== undefined) found++;
  });
  if (found !== probe.length) throw new Error(`memtable: ${found} of ${probe.length} hits`);
  const miss = nsPerOp(misses.length, () => {
    for (let i = 0; i < misses.length; i++) if (m.get(misses[i]!, MAX_SEQUENCE) !== undefined) found++;
  });
  if (found !== probe.length) throw new Error('memtable: unexpected hit');
  let sum = 0;
  const it = m.iterator();
  const iter = nsPerOp(keys.length, () => {
    for (it.seekToFirst(); it.valid(); it.next()) sum += it.key().length + it.value().length;
  });
  if (sum !== w.bytes) throw new Error('memtable: bad iteration');
  return { fill, hit, miss, iter, note: `arena ${mb(m.approximateMemoryUsage())}, JS heap +${mb(h1 - h0)}` };
}

function runObj(w: Workload): Result {
  const { keys, values, probe, misses } = w;
  const h0 = heap();
  const s = new ObjSkipList();
  const fill = nsPerOp(keys.length, () => {
    for (let i = 0; i < keys.length; i++) s.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
  });
  const h1 = heap();
  let found = 0;
  const hit = nsPerOp(probe.length, () => {
    for (let i = 0; i < probe.length; i++) {
      const k = probe[i]!;
      const n = s.seek(lookupKey(k, MAX_SEQUENCE));
      if (n !== null && compareUser(n.key, k)) found++;
    }
  });
  if (found !== probe.length) throw new Error('objskl: missing');
  const miss = nsPerOp(misses.length, () => {
    for (let i = 0; i < misses.length; i++) {
      const k = misses[i]!;
      const n = s.seek(lookupKey(k, MAX_SEQUENCE));
      if (n !== null && compareUser(n.key, k)) found++;
    }
  });
  if (found !== probe.length) throw new Error('objskl: unexpected hit');
  let sum = 0;
  const iter = nsPerOp(keys.length, () => {
    for (let n = s.first(); n !== null; n = n.next[0]!) sum += n.key.length + n.value.length;
  });
  if (sum !== w.bytes) throw new Error('objskl: bad iteration');
  return { fill, hit, miss, iter, note: `JS heap +${mb(h1 - h0)}` };
}

function runSorted(w: Workload): Result {
  const { keys, values, probe, misses } = w;
  const h0 = heap();
  const a = new SortedArray();
  const fill = nsPerOp(keys.length, () => {
    for (let i = 0; i < keys.length; i++) a.add(i + 1, ValueType.VALUE, keys[i]!, values[i]!);
    a.finish();
  });
  const h1 = heap();
  let found = 0;
  const get = (k: Uint8Array): void => {
    const j = a.seek(lookupKey(k, MAX_SEQUENCE));
    if (j < a.keys.length && compareUser(a.keys[j]!, k)) found++;
  };
  const hit = nsPerOp(probe.length, () => {
    for (let i = 0; i < probe.length; i++) get(probe[i]!);
  });
  if (found !== probe.length) throw new Error('sorted: missing');
  const miss = nsPerOp(misses.length, () => {
    for (let i = 0; i < misses.length; i++) get(misses[i]!);
  });
  if (found !== probe.length) throw new Error('sorted: unexpected hit');
  let sum = 0;
  const iter = nsPerOp(keys.length, () => {
    for (let i = 0; i < a.keys.length; i++) sum += a.keys[i]!.length + a.values[i]!.length;
  });
  if (sum !== w.bytes) throw new Error('sorted: bad iteration');
  return { fill, hit, miss, iter, note: `JS heap +${mb(h1 - h0)}` };
}

function compareUser(ikey: Uint8Array, userKey: Uint8Array): boolean {
  if (ikey.length - TAG_SIZE !== userKey.length) return false;
  for (let i = 0; i < userKey.length; i++) if (ikey[i] !== userKey[i]) return false;
  return true;
}

function workload(kind: Kind, n: number, values: Uint8Array[], misses: Uint8Array[]): Workload {
  const keys = makeKeys(kind, n, 42);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += keys[i]!.length + TAG_SIZE + values[i]!.length;
  // Probes are copies laid out in probe order (like fresh keys from callers), so that reading them does not
  // add cache misses that the memtable is not responsible for.
  const order = shuffled(keys, 5);
  const pool = new Uint8Array(bytes);
  const probe: Uint8Array[] = [];
  let off = 0;
  for (const k of order) {
    pool.set(k, off);
    probe.push(pool.subarray(off, off + k.length));
    off += k.length;
  }
  return { keys, values, probe, misses, bytes };
}

function best(reps: number, run: (w: Workload) => Result, w: Workload): Result {
  let r = run(w);
  for (let i = 1; i < reps; i++) {
    const s = run(w);
    r = {
      fill: Math.min(r.fill, s.fill),
      hit: Math.min(r.hit, s.hit),
      miss: Math.min(r.miss, s.miss),
      iter: Math.min(r.iter, s.iter),
      note: s.note,
    };
  }
  return r;
}

function row(name: string, r: Result): string {
  const f = (ns: number) => `${ns.toFixed(0).padStart(6)} ns ${(1e3 / ns).toFixed(2).padStart(6)} M/s`;
  return `${name.padEnd(15)}${f(r.fill)} ${f(r.hit)} ${f(r.miss)} ${f(r.iter)}   ${r.note}`;
}

function section(n: number, reps: number, kinds: Kind[], baselines: boolean): void {
  const values = makeValues(n);
  const misses = makeKeys('random', Math.min(n, 1_000_000), 99);
  console.log(`\n== ${n} entries, 100-byte values${reps > 1 ? `, best of ${reps} runs` : ''}`);
  console.log(
    `${''.padEnd(15)}${['insert', 'get hit', 'get miss', 'iterate'].map((h) => h.padEnd(21)).join(' ')}`,
  );
  for (const kind of kinds) {
    const w = workload(kind, n, values, misses);
    const m = best(reps, runMemTable, w);
    console.log(row(`memtable ${kind}`, m));
    if (!baselines) continue;
    const o = best(reps, runObj, w);
    console.log(row(`objskl ${kind}`, o));
    const s = best(reps, runSorted, w);
    console.log(row(`sorted ${kind}`, { ...s, note: `${s.note} (insert = append + one sort)` }));
    const x = (a: number, b: number) => `${(b / a).toFixed(1)}x`;
    console.log(
      `${''.padEnd(15)}memtable vs objskl: insert ${x(m.fill, o.fill)}, hit ${x(m.hit, o.hit)}, miss ${x(m.miss, o.miss)}, iterate ${x(m.iter, o.iter)}`,
    );
  }
}

function main(): void {
  if (icmp.user.name !== BYTEWISE_COMPARATOR_NAME) throw new Error('expected the bytewise comparator');
  console.log(
    `memtable bench, node ${process.version}; keys: random = 16 random bytes, seq = 16-digit decimal`,
  );
  console.log(
    '(db_bench fillseq), prefixed = "user/table/0001/" + 16 random digits; misses are random 16-byte keys',
  );
  // A memtable of LevelDB's default write buffer (4 MiB) first; this also warms up the JIT.
  section(32 * 1024, 8, ['random', 'seq', 'prefixed'], true);
  section(N, 1, ['random', 'seq'], true);
}

main();
