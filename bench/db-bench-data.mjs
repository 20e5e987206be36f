/**
 * The data of LevelDB's db_bench, shared by the benchmark scripts: 16-byte decimal keys, values half
 * random bytes and half a repeat of them (they compress to about 50%), and a xorshift32 key chooser.
 * The LCG steps in 32-bit arithmetic (Math.imul): in doubles the product passes 2^53, loses its low
 * bits and the sequence fell into a 419-step cycle, so blocks compressed to 28% instead of ~50%.
 */
const pool = Buffer.alloc(1 << 20);
{
  let x = 301;
  for (let i = 0; i < pool.length; i += 100) {
    for (let j = 0; j < 50 && i + j < pool.length; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      pool[i + j] = x >>> 24;
    }
    for (let j = 50; j < 100 && i + j < pool.length; j++) pool[i + j] = pool[i + j - 50];
  }
}
let poolPos = 0;

/** value returns the next `size` bytes of the value pool (a fresh Buffer). */
export function value(size = 100) {
  if (poolPos + size > pool.length) poolPos = 0;
  const v = pool.subarray(poolPos, poolPos + size);
  poolPos += size;
  return Buffer.from(v);
}

/** key returns db_bench's key for `i`: 16 decimal digits. */
export const key = (i) => Buffer.from(String(i).padStart(16, '0'));

/** rng returns a chooser of numbers in [0, n) from `seed` (xorshift32: an LCG's low bits cycle too soon). */
export function rng(seed) {
  let s = seed;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}
