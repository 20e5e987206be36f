/**
 * ValueCopier: how a point read turns the bytes it found into the value it returns. The engine's get
 * copies them into a Uint8Array; shale/level makes its Buffers and strings straight from them, without
 * an intermediate copy.
 */
import { copyBytes } from '../util/bytes.js';

/** ValueCopier makes a read's result from the value's bytes. @internal */
export interface ValueCopier<T> {
  /**
   * copy returns the result for `src[start, end)`. `src` belongs to the engine (a block, or a memtable's
   * shared arena) and is reused after the call: the result must not refer to it.
   */
  copy(src: Uint8Array, start: number, end: number): T;
  /** adopt returns the result for `v`, an array of the caller's own (a value read from the value log). */
  adopt(v: Uint8Array): T;
}

/** COPY_BYTES is get's copier: a Uint8Array of the caller's own (copyBytes). @internal */
export const COPY_BYTES: ValueCopier<Uint8Array> = {
  copy: copyBytes,
  adopt: (v) => v,
};
