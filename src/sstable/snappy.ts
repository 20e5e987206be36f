/**
 * Snappy raw format (no framing), pure TypeScript. See docs/formats.md and leveldb-format.md §11.
 * PLACEHOLDER: to be implemented (sst-a); the signatures are fixed.
 */
import { NotSupportedError } from '../util/errors.js';

/** snappyCompress returns the snappy encoding of `input`. */
export function snappyCompress(input: Uint8Array): Uint8Array {
  void input;
  throw new NotSupportedError('snappy not implemented yet');
}

/** snappyUncompress decodes a snappy block; throws CorruptionError on malformed input. */
export function snappyUncompress(input: Uint8Array): Uint8Array {
  void input;
  throw new NotSupportedError('snappy not implemented yet');
}
