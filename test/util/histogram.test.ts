/**
 * Histogram: bucket boundaries, and percentiles against a sorted-array model (nearest rank) within the
 * documented bound (half a bucket: 1/32 of the value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Histogram, bucketLow, bucketOf, bucketWidth } from '../../src/util/histogram.js';

/** exactPercentile is the nearest-rank percentile of `sorted` (ascending). */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

test('buckets tile the integers: each value lies in [low, low + width) of its bucket, in order', () => {
  let prev = -1;
  for (const v of [
    0,
    1,
    15,
    16,
    17,
    31,
    32,
    33,
    1000,
    65535,
    65536,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 31 + 1,
    2 ** 40 + 12345,
    2 ** 53 - 1,
  ]) {
    const b = bucketOf(v);
    assert.ok(b >= prev, `bucket order at ${v}`);
    prev = b;
    assert.ok(bucketLow(b) <= v && v < bucketLow(b) + bucketWidth(b), `value ${v} in bucket ${b}`);
    assert.ok(bucketWidth(b) - 1 <= bucketLow(b) / 16, `bucket ${b} narrow enough`);
  }
  for (let b = 0; b < 200; b++) assert.equal(bucketOf(bucketLow(b)), b);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
      const b = bucketOf(v);
      return bucketLow(b) <= v && v < bucketLow(b) + bucketWidth(b);
    }),
  );
});

test('percentiles are within 1/32 of the sorted-array model; count, sum, min, max are exact', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.integer({ min: 0, max: 100 }),
          fc.integer({ min: 0, max: 1_000_000 }),
          fc.integer({ min: 0, max: 2 ** 40 }),
        ),
        { minLength: 1, maxLength: 2000 },
      ),
      fc.constantFrom(1, 10, 50, 90, 99, 99.9, 100),
      (values, p) => {
        const h = new Histogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        const exact = exactPercentile(sorted, p);
        const est = h.percentile(p);
        assert.ok(Math.abs(est - exact) <= exact / 32, `p${p}: ${est} vs ${exact}`);
        assert.equal(h.count, values.length);
        assert.equal(
          h.sum,
          values.reduce((a, b) => a + b, 0),
        );
        assert.equal(h.min, sorted[0]);
        assert.equal(h.max, sorted[sorted.length - 1]);
        const s = h.snapshot();
        assert.equal(s.p50, h.percentile(50));
        assert.equal(s.p999, h.percentile(99.9));
      },
    ),
  );
});

test('fractions are truncated, negatives count as 0, an empty histogram reports zeros; merge and reset', () => {
  const h = new Histogram();
  assert.deepEqual(h.snapshot(), { count: 0, sum: 0, min: 0, max: 0, mean: 0, p50: 0, p99: 0, p999: 0 });
  h.record(3.9);
  h.record(-5);
  assert.equal(h.sum, 3);
  assert.equal(h.min, 0);
  assert.equal(h.max, 3);
  const g = new Histogram();
  g.record(1000);
  g.merge(h);
  assert.equal(g.count, 3);
  assert.equal(g.max, 1000);
  assert.equal(g.min, 0);
  assert.equal(g.snapshot(0.001).max, 1);
  g.reset();
  assert.equal(g.count, 0);
  assert.equal(g.percentile(50), 0);
});
