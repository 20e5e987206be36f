/**
 * A small seeded PRNG (xorshift128+ reduced to 32-bit outputs) for skiplist heights and tests:
 * reproducible from one integer seed.
 */

/** Random is a deterministic pseudo-random generator. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** next32 returns a uniform uint32 (xoshiro128**). */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3 >>> 0, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** uniform returns an integer in [0, n). */
  uniform(n: number): number {
    return Math.floor((this.next32() / 0x1_0000_0000) * n);
  }

  /** float returns a number in [0, 1). */
  float(): number {
    return this.next32() / 0x1_0000_0000;
  }

  /** oneIn returns true with probability 1/n. */
  oneIn(n: number): boolean {
    return this.uniform(n) === 0;
  }

  /** bytes returns `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next32() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
