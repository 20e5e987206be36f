/**
 * MergingIterator: the binary heap (src/sstable/merging-iterator.ts) against a linear scan over the
 * children (LevelDB's FindSmallest/FindLargest), for 2..20 children, on 24-byte internal-key-like keys.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/merging-iterator-bench.js
 */
import { MergingIterator } from '../src/sstable/merging-iterator.js';
import { bytewiseComparator, type Comparator } from '../src/util/comparator.js';
import type { InternalIterator } from '../src/util/internal-iterator.js';
import { Random } from '../src/util/random.js';
import { ArrayIterator } from '../test/support/array-iterator.js';

/** LinearMergingIterator: LevelDB's merger (linear scans), for comparison only; unique keys assumed. */
class LinearMergingIterator implements InternalIterator {
  private current = -1;
  private forward = true;
  constructor(
    private readonly cmp: Comparator,
    private readonly children: InternalIterator[],
  ) {}
  valid(): boolean {
    return this.current >= 0;
  }
  seekToFirst(): void {
    for (const c of this.children) c.seekToFirst();
    this.forward = true;
    this.findSmallest();
  }
  seekToLast(): void {
    for (const c of this.children) c.seekToLast();
    this.forward = false;
    this.findLargest();
  }
  seek(target: Uint8Array): void {
    for (const c of this.children) c.seek(target);
    this.forward = true;
    this.findSmallest();
  }
  next(): void {
    const cur = this.children[this.current]!;
    if (!this.forward) {
      const k = cur.key();
      for (const c of this.children) {
        if (c === cur) continue;
        c.seek(k);
        if (c.valid() && this.cmp.compare(k, c.key()) === 0) c.next();
      }
      this.forward = true;
    }
    cur.next();
    this.findSmallest();
  }
  prev(): void {
    const cur = this.children[this.current]!;
    if (this.forward) {
      const k = cur.key();
      for (const c of this.children) {
        if (c === cur) continue;
        c.seek(k);
        if (c.valid()) c.prev();
        else c.seekToLast();
      }
      this.forward = false;
    }
    cur.prev();
    this.findLargest();
  }
  key(): Uint8Array {
    return this.children[this.current]!.key();
  }
  value(): Uint8Array {
    return this.children[this.current]!.value();
  }
  close(): void {
    for (const c of this.children) c.close();
  }
  private findSmallest(): void {
    let best = -1;
    let bestKey: Uint8Array | undefined;
    for (let i = 0; i < this.children.length; i++) {
      const c = this.children[i]!;
      if (!c.valid()) continue;
      const k = c.key();
      if (best < 0 || this.cmp.compare(k, bestKey!) < 0) {
        best = i;
        bestKey = k;
      }
    }
    this.current = best;
  }
  private findLargest(): void {
    let best = -1;
    let bestKey: Uint8Array | undefined;
    for (let i = this.children.length - 1; i >= 0; i--) {
      const c = this.children[i]!;
      if (!c.valid()) continue;
      const k = c.key();
      if (best < 0 || this.cmp.compare(k, bestKey!) > 0) {
        best = i;
        bestKey = k;
      }
    }
    this.current = best;
  }
}

const TOTAL = 100_000;
const cmp = bytewiseComparator;

function makeKey(i: number): Uint8Array {
  const k = new Uint8Array(24);
  const s = String(i).padStart(16, '0');
  for (let j = 0; j < 16; j++) k[j] = s.charCodeAt(j);
  k[16] = 1;
  return k;
}

/** runs spreads TOTAL keys over n children: uniformly, or skewed like an LSM (child i gets 2^i shares). */
function runs(n: number, skewed: boolean, rnd: Random): [Uint8Array, Uint8Array][][] {
  const out: [Uint8Array, Uint8Array][][] = Array.from({ length: n }, () => []);
  const weights = Array.from({ length: n }, (_, i) => (skewed ? 2 ** Math.min(i, 20) : 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const value = new Uint8Array(100);
  for (let i = 0; i < TOTAL; i++) {
    let r = rnd.float() * sum;
    let c = 0;
    while (r >= weights[c]! && c < n - 1) r -= weights[c++]!;
    out[c]!.push([makeKey(i), value]);
  }
  return out;
}

type Make = (children: InternalIterator[]) => InternalIterator;

function scanNs(make: Make, data: [Uint8Array, Uint8Array][][], backward: boolean): number {
  let best = Infinity;
  for (let pass = 0; pass < 7; pass++) {
    const it = make(data.map((r) => new ArrayIterator(cmp, r)));
    const t0 = process.cpuUsage();
    let count = 0;
    if (backward) for (it.seekToLast(); it.valid(); it.prev()) count++;
    else for (it.seekToFirst(); it.valid(); it.next()) count++;
    const t = process.cpuUsage(t0);
    if (count !== TOTAL) throw new Error(`saw ${count} of ${TOTAL}`);
    best = Math.min(best, ((t.user + t.system) * 1000) / count);
  }
  return best;
}

function seekNs(make: Make, data: [Uint8Array, Uint8Array][][], rnd: Random): number {
  const targets = Array.from({ length: 2000 }, () => makeKey(rnd.uniform(TOTAL)));
  let best = Infinity;
  for (let pass = 0; pass < 7; pass++) {
    const it = make(data.map((r) => new ArrayIterator(cmp, r)));
    const t0 = process.cpuUsage();
    for (const t of targets) {
      it.seek(t);
      for (let j = 0; j < 10 && it.valid(); j++) it.next();
    }
    const t = process.cpuUsage(t0);
    best = Math.min(best, ((t.user + t.system) * 1000) / targets.length);
  }
  return best;
}

const heap: Make = (c) => new MergingIterator(cmp, c);
const linear: Make = (c) => new LinearMergingIterator(cmp, c);
const rnd = new Random(42);
const f = (x: number) => x.toFixed(0).padStart(6);
console.log(
  `node ${process.version}; ${TOTAL} entries; ns per entry (scans) or per seek+10 nexts; CPU time, best of 7`,
);
console.log('children  layout   | next: heap linear | prev: heap linear | seek+10: heap linear');
for (const skewed of [false, true]) {
  for (const n of [2, 3, 4, 6, 8, 10, 14, 20]) {
    const data = runs(n, skewed, rnd);
    console.log(
      `${String(n).padStart(8)}  ${skewed ? 'skewed ' : 'uniform'}  |      ${f(scanNs(heap, data, false))} ${f(scanNs(linear, data, false))}` +
        ` |      ${f(scanNs(heap, data, true))} ${f(scanNs(linear, data, true))}` +
        ` |         ${f(seekNs(heap, data, rnd))} ${f(seekNs(linear, data, rnd))}`,
    );
  }
}
