/**
 * Histogram: a fixed log-scale histogram of non-negative values (HDR-like), cheap enough to record into
 * on hot paths: one Math.clz32, a shift and an array increment, no allocation.
 *
 * Buckets: values below 16 have a bucket each (exact); above, every power of two [2^e, 2^(e+1)) is split
 * into SUB_BUCKETS = 16 equal buckets, so a bucket is at most 1/16 of its lower bound wide. A percentile
 * is reported as the middle of the bucket holding that rank (clamped to the exact min and max), so it is
 * within 1/32 (3.125%) of the true value, plus the truncation of recorded values to integers. The engine
 * records nanoseconds (see src/db/metrics.ts): the top bucket holds values up to 2^53 ns (104 days).
 */

const SUB_BITS = 4;
/** SUB_BUCKETS: buckets per power of two. */
const SUB_BUCKETS = 1 << SUB_BITS;
/** MAX_EXPONENT: values are clamped below 2^MAX_EXPONENT. */
const MAX_EXPONENT = 53;
/** BUCKET_COUNT: SUB_BUCKETS exact buckets for 0..15, then SUB_BUCKETS per power of two from 2^4. */
const BUCKET_COUNT = SUB_BUCKETS + (MAX_EXPONENT - SUB_BITS) * SUB_BUCKETS;
const MAX_VALUE = 2 ** MAX_EXPONENT - 1;

/** bucketOf returns the bucket index of `v` (a non-negative integer below 2^53). */
export function bucketOf(v: number): number {
  if (v < SUB_BUCKETS) return v;
  let e: number;
  let sub: number;
  if (v < 0x8000_0000) {
    e = 31 - Math.clz32(v);
    sub = (v >>> (e - SUB_BITS)) & (SUB_BUCKETS - 1);
  } else {
    e = Math.floor(Math.log2(v));
    let top = Math.floor(v / 2 ** (e - SUB_BITS));
    // log2 of a double can round across a power of two; correct the exponent from the quotient.
    if (top >= 2 * SUB_BUCKETS) {
      e++;
      top = Math.floor(v / 2 ** (e - SUB_BITS));
    } else if (top < SUB_BUCKETS) {
      e--;
      top = Math.floor(v / 2 ** (e - SUB_BITS));
    }
    sub = top - SUB_BUCKETS;
  }
  return SUB_BUCKETS + (e - SUB_BITS) * SUB_BUCKETS + sub;
}

/** bucketLow returns the smallest value in bucket `i`; bucketWidth how many integers it holds. */
export function bucketLow(i: number): number {
  if (i < SUB_BUCKETS) return i;
  const e = SUB_BITS + Math.floor((i - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (i - SUB_BUCKETS) % SUB_BUCKETS;
  return (SUB_BUCKETS + sub) * 2 ** (e - SUB_BITS);
}

/** bucketWidth returns how many integer values bucket `i` holds. */
export function bucketWidth(i: number): number {
  if (i < SUB_BUCKETS) return 1;
  return 2 ** Math.floor((i - SUB_BUCKETS) / SUB_BUCKETS);
}

/** HistogramSnapshot is a histogram's summary at one moment, in the unit values were recorded in. */
export interface HistogramSnapshot {
  /** count is how many values were recorded. */
  readonly count: number;
  /** sum of every recorded value (after truncation to an integer). */
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** Histogram records values into log-scale buckets; see the file comment for its error bound. */
export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = 0;

  /** record adds `value` (negative values count as 0, fractions are truncated, huge ones clamped). */
  record(value: number): void {
    let v = value > 0 ? Math.floor(value) : 0;
    if (v > MAX_VALUE) v = MAX_VALUE;
    this.counts[bucketOf(v)]!++;
    this.n++;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** count is how many values were recorded. */
  get count(): number {
    return this.n;
  }

  /** sum is the total of the recorded values. */
  get sum(): number {
    return this.total;
  }

  /** max is the largest value recorded (0 when empty). */
  get max(): number {
    return this.hi;
  }

  /** min is the smallest value recorded (0 when empty). */
  get min(): number {
    return this.n === 0 ? 0 : this.lo;
  }

  /**
   * percentile returns an estimate of the nearest-rank `p`-th percentile (0 < p <= 100): the value at
   * rank ceil(p/100 * count) of the sorted values, within the file comment's bound. 0 when empty.
   */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const mid = bucketLow(i) + (bucketWidth(i) - 1) / 2;
        return Math.min(this.hi, Math.max(this.lo, mid));
      }
    }
    return this.hi;
  }

  /** snapshot summarises the histogram; `scale` multiplies every value (a change of unit). */
  snapshot(scale = 1): HistogramSnapshot {
    return {
      count: this.n,
      sum: this.total * scale,
      min: this.min * scale,
      max: this.hi * scale,
      mean: this.n === 0 ? 0 : (this.total / this.n) * scale,
      p50: this.percentile(50) * scale,
      p99: this.percentile(99) * scale,
      p999: this.percentile(99.9) * scale,
    };
  }

  /** merge adds every value recorded in `other` to this histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    this.total += other.total;
    if (other.n > 0) {
      if (other.lo < this.lo) this.lo = other.lo;
      if (other.hi > this.hi) this.hi = other.hi;
    }
  }

  /** reset forgets every recorded value. */
  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.total = 0;
    this.lo = Infinity;
    this.hi = 0;
  }
}
