/**
 * KeyFilter: a blocked bloom filter over the user keys of a memtable. Once the data outgrows the memtable
 * nearly every point read misses it, and a skiplist search for an absent key visits some fifteen nodes
 * spread over the arena, each a cache miss; the filter answers most of those with one 64-byte line.
 * It lives on the writer's thread only (a flush worker never asks it).
 */
import { hash32 } from '../util/hash.js';

/** PROBES: bits set per key, all inside one 512-bit block. */
const PROBES = 6;
const SEED = 0x5bd1e995;

export class KeyFilter {
  private readonly words: Int32Array;
  private readonly blockShift: number; // 32 - log2(blocks): the block is the top bits of a second hash

  /** @param bytes the filter's size, rounded down to a power of two (at least 64). */
  constructor(bytes: number) {
    let bits = 0;
    while (64 << (bits + 1) <= bytes) bits++;
    this.words = new Int32Array(16 << bits);
    this.blockShift = 32 - bits;
  }

  /** add records the key `key[start, end)`. */
  add(key: Uint8Array, start: number, end: number): void {
    const h = hash32(key, SEED, start, end);
    const base = this.block(h);
    const w = this.words;
    let x = h;
    const delta = (h >>> 17) | (h << 15);
    for (let i = 0; i < PROBES; i++) {
      const bit = x & 511;
      w[base * 16 + (bit >>> 5)]! |= 1 << (bit & 31);
      x = (x + delta) | 0;
    }
  }

  /** block picks a block from the high bits of a remix of `h` (the low bits of `h` pick the probes). */
  private block(h: number): number {
    return this.blockShift === 32 ? 0 : Math.imul(h, 0x9e3779b1) >>> this.blockShift;
  }

  /** mayContain returns false only for a key never added. */
  mayContain(key: Uint8Array): boolean {
    const h = hash32(key, SEED, 0, key.length);
    const base = this.block(h);
    const w = this.words;
    let x = h;
    const delta = (h >>> 17) | (h << 15);
    for (let i = 0; i < PROBES; i++) {
      const bit = x & 511;
      if ((w[base * 16 + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false;
      x = (x + delta) | 0;
    }
    return true;
  }
}
