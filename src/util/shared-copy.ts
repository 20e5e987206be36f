/**
 * copyShared: a byte copy that stays fast when either side lives in a SharedArrayBuffer. V8 copies
 * shared memory (TypedArray.set, for any element type) by 8-byte words only when source and target
 * addresses agree modulo 8, and byte by byte otherwise: a 100 KB copy takes 5-8 us aligned and 35-65 us
 * not (an ordinary copy, any alignment, 8-10 us). Memtable arenas are shared (the flush worker reads
 * them), so large values go through here on their way in and out: a misaligned copy goes through an
 * ordinary buffer placed at the shared side's alignment, so that both of its copies are fast.
 */

/** BOUNCE_MIN: shorter copies use set() directly (the bounce's second copy costs more than it saves). */
const BOUNCE_MIN = 512;
/** BOUNCE_SIZE: misaligned copies go through an ordinary buffer, in chunks of this many bytes. */
const BOUNCE_SIZE = 64 * 1024;
/** WORD: V8's word for shared-memory copies (base::Relaxed_Memcpy copies words of this size). */
const WORD = 8;
const bounce = new Uint8Array(BOUNCE_SIZE + WORD);

const isShared = (a: Uint8Array): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

/** copyShared copies `src` into `dst` at `offset` (as dst.set(src, offset)). */
export function copyShared(dst: Uint8Array, offset: number, src: Uint8Array): void {
  const n = src.length;
  const s = src.byteOffset;
  const d = dst.byteOffset + offset;
  // Buffers start 8-byte aligned (at least), so byte offsets stand for addresses modulo 8.
  if (n < BOUNCE_MIN || ((s - d) & (WORD - 1)) === 0) {
    dst.set(src, offset);
    return;
  }
  const srcShared = isShared(src);
  const dstShared = isShared(dst);
  if (!srcShared && !dstShared) {
    dst.set(src, offset);
    return;
  }
  for (let done = 0; done < n; done += BOUNCE_SIZE) {
    const len = Math.min(BOUNCE_SIZE, n - done);
    // Into the bounce buffer at the source's alignment (fast if the source is shared), then moved to
    // the target's alignment if the target is shared, then out.
    const a = srcShared ? (s + done) & (WORD - 1) : (d + done) & (WORD - 1);
    bounce.set(src.subarray(done, done + len), a);
    let b = a;
    if (srcShared && dstShared) {
      b = (d + done) & (WORD - 1);
      bounce.copyWithin(b, a, a + len);
    }
    dst.set(bounce.subarray(b, b + len), offset + done);
  }
}
