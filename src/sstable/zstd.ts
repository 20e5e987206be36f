/**
 * zstd block compression (upstream LevelDB's type 2), through @foxglove/wasm-zstd: the official zstd
 * library built to WebAssembly, so no native build. The wasm module loads asynchronously, once per
 * thread: DB.open and the background worker await ensureZstd(); a zstd block met before that is a
 * NotSupportedError, never wrong data.
 */
import { createRequire } from 'node:module';
import { CorruptionError, NotSupportedError } from '../util/errors.js';

interface ZstdModule {
  isLoaded: Promise<boolean>;
  compress(buffer: Uint8Array, level?: number): Uint8Array;
  decompress(buffer: Uint8Array, size: number): Uint8Array;
}

/** ZSTD_LEVEL: zstd's default level, a balance RocksDB also defaults to. */
const ZSTD_LEVEL = 3;
/** MAX_BLOCK_BYTES bounds the size a frame header may claim, so damage cannot force a huge allocation. */
const MAX_BLOCK_BYTES = 256 * 1048576;

let codec: ZstdModule | null = null;
let loading: Promise<void> | null = null;

/** ensureZstd loads the zstd codec (once per thread). */
export function ensureZstd(): Promise<void> {
  if (loading === null) {
    loading = (async () => {
      const m = createRequire(import.meta.url)('@foxglove/wasm-zstd') as ZstdModule;
      await m.isLoaded;
      codec = m;
    })();
  }
  return loading;
}

function loaded(): ZstdModule {
  if (codec === null) throw new NotSupportedError('the zstd codec is not loaded (open the database first)');
  return codec;
}

/** zstdCompress compresses one block into a zstd frame that records its content size. */
export function zstdCompress(raw: Uint8Array): Uint8Array {
  return loaded().compress(raw, ZSTD_LEVEL);
}

/** zstdUncompress decompresses one zstd frame; malformed input is a CorruptionError. */
export function zstdUncompress(data: Uint8Array, file?: string, offset?: number): Uint8Array {
  const z = loaded();
  const size = frameContentSize(data);
  if (size === undefined || size > MAX_BLOCK_BYTES)
    throw new CorruptionError('bad zstd block header', file, offset);
  let out: Uint8Array;
  try {
    out = z.decompress(data, size);
  } catch (err) {
    throw new CorruptionError(`bad zstd block: ${(err as Error).message}`, file, offset);
  }
  if (out.length !== size)
    throw new CorruptionError('zstd block decompressed to the wrong size', file, offset);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** frameContentSize reads Frame_Content_Size from a zstd frame header (RFC 8878 3.1.1.1), if present. */
function frameContentSize(d: Uint8Array): number | undefined {
  if (d.length < 6 || d[0] !== 0x28 || d[1] !== 0xb5 || d[2] !== 0x2f || d[3] !== 0xfd) return undefined;
  const fhd = d[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdFlag = fhd & 3;
  let pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0 || pos + fcsBytes > d.length) return undefined;
  let v = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + d[pos + i]!;
  pos += fcsBytes;
  return fcsBytes === 2 ? v + 256 : v;
}
