/**
 * Block compression codes (the byte in each block trailer) and the codecs behind them.
 * Types 0 (none) and 1 (snappy) are LevelDB 1.20's; 2 (zstd) is upstream LevelDB's later addition, which
 * LevelDB 1.20 (inside classic-level) cannot read.
 */
import { CorruptionError, NotSupportedError } from '../util/errors.js';
import { snappyCompressTransient, snappyUncompress } from './snappy.js';
import { zstdCompress, zstdUncompress } from './zstd.js';

// FROZEN: on-disk compression type codes.
/** CompressionType is the code stored in a block trailer. */
export const CompressionType = { NONE: 0, SNAPPY: 1, ZSTD: 2 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

/**
 * compressBlock returns the compressed form of `raw` for `type` (NONE returns `raw`). The result may be
 * a view of the WebAssembly kernel's memory (snappyCompressTransient): use it before the next
 * compression or CRC, and copy it to keep it.
 */
export function compressBlock(type: CompressionType, raw: Uint8Array): Uint8Array {
  switch (type) {
    case CompressionType.NONE:
      return raw;
    case CompressionType.SNAPPY:
      return snappyCompressTransient(raw);
    case CompressionType.ZSTD:
      return zstdCompress(raw);
    default:
      throw new NotSupportedError(`compression type ${type} is not supported for writing`);
  }
}

/**
 * uncompressBlock returns the raw contents of a block stored with compression `type` (Snappy output in
 * memory from `alloc`, when given). Throws CorruptionError for malformed data and for unknown types
 * (naming `file` and `offset`).
 */
export function uncompressBlock(
  type: number,
  data: Uint8Array,
  file?: string,
  offset?: number,
  alloc?: (n: number) => Uint8Array,
): Uint8Array {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.SNAPPY:
      try {
        return snappyUncompress(data, undefined, alloc);
      } catch (err) {
        if (err instanceof CorruptionError)
          throw new CorruptionError(`bad snappy block: ${err.message}`, file, offset);
        throw err;
      }
    case CompressionType.ZSTD:
      return zstdUncompress(data, file, offset);
    default:
      throw new CorruptionError(`unknown block compression type ${type}`, file, offset);
  }
}
