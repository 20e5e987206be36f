import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruCache } from '../../src/util/lru-cache.js';

/** A plain model: an array ordered oldest first, with the same eviction rule. */
class ModelLru {
  entries: { key: number; value: string; charge: number }[] = [];
  evicted: [number, string][] = [];
  constructor(readonly capacity: number) {}
  private total(): number {
    return this.entries.reduce((n, e) => n + e.charge, 0);
  }
  get(key: number): string | undefined {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.entries.push(e!);
    return e!.value;
  }
  set(key: number, value: string, charge: number): void {
    if (this.capacity <= 0) {
      this.evicted.push([key, value]);
      return;
    }
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) {
      const [old] = this.entries.splice(i, 1);
      if (old!.value !== value) this.evicted.push([key, old!.value]);
    }
    this.entries.push({ key, value, charge });
    while (this.total() > this.capacity && this.entries.length > 1) {
      const e = this.entries.shift()!;
      this.evicted.push([e.key, e.value]);
    }
  }
  delete(key: number): void {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i < 0) return;
    const [e] = this.entries.splice(i, 1);
    this.evicted.push([e!.key, e!.value]);
  }
  clear(): void {
    for (const e of this.entries) this.evicted.push([e.key, e.value]);
    this.entries = [];
  }
}

const op = fc.oneof(
  fc.record({ t: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
  fc.record({
    t: fc.constant('set' as const),
    key: fc.integer({ min: 0, max: 9 }),
    value: fc.constantFrom('a', 'b', 'c'),
    charge: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ t: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ t: fc.constant('clear' as const) }),
);

test('LruCache behaves as a simple ordered-list model (hits, order, charge, evictions)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 12 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
      const evicted: [number, string][] = [];
      const lru = new LruCache<number, string>(capacity, (k, v) => evicted.push([k, v]));
      const model = new ModelLru(capacity);
      for (const o of ops) {
        if (o.t === 'get') assert.equal(lru.get(o.key), model.get(o.key));
        else if (o.t === 'set') {
          lru.set(o.key, o.value, o.charge);
          model.set(o.key, o.value, o.charge);
        } else if (o.t === 'delete') {
          lru.delete(o.key);
          model.delete(o.key);
        } else {
          lru.clear();
          model.clear();
        }
        assert.deepEqual(evicted, model.evicted);
        assert.equal(lru.size, model.entries.length);
        assert.equal(
          lru.usage,
          model.entries.reduce((n, e) => n + e.charge, 0),
        );
      }
    }),
    { numRuns: 500 },
  );
});

test('LruCache evicts the least recently used entry first', () => {
  const lru = new LruCache<string, number>(3);
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the newest
  lru.set('d', 4); // evicts b
  assert.equal(lru.get('b'), undefined);
  assert.deepEqual(
    ['a', 'c', 'd'].map((k) => lru.get(k)),
    [1, 3, 4],
  );
});
