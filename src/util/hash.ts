/**
 * LevelDB's murmur-like hash (util/hash.cc), used by the bloom filter. Must match LevelDB bit for bit
 * so that filters written by either engine are read correctly by the other.
 */

const M = 0xc6a4a793;

/** hash32 returns LevelDB's Hash(data[start,end), seed). */
export function hash32(data: Uint8Array, seed: number, start = 0, end = data.length): number {
  const n = end - start;
  let h = (seed ^ Math.imul(n, M)) >>> 0;
  let i = start;
  const limit = start + (n & ~3);
  while (i < limit) {
    const w = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    i += 4;
    h = (h + w) >>> 0;
    h = Math.imul(h, M) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  const rest = end - i;
  if (rest > 0) {
    if (rest === 3) h = (h + (data[i + 2]! << 16)) >>> 0;
    if (rest >= 2) h = (h + (data[i + 1]! << 8)) >>> 0;
    h = (h + data[i]!) >>> 0;
    h = Math.imul(h, M) >>> 0;
    h = (h ^ (h >>> 24)) >>> 0;
  }
  return h;
}
