/**
 * Table format primitives (LevelDB table/format.{h,cc}): block handles, the 48-byte footer, block trailers
 * and reading one block from a file. See leveldb-format.md §6.
 *
 * ```
 * [data block]* [meta block]* [metaindex block] [index block] [footer]
 * block on disk: contents | u8 compression type | fixed32 masked crc32c(contents ++ type)
 * footer: metaindex handle | index handle | zero padding to 40 bytes | fixed64 magic
 * ```
 */
import type { RandomAccessFile } from '../env/file-system.js';
import { decodeFixed32, encodeFixed32, encodeVarint64 } from '../util/coding.js';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../util/crc32c.js';
import { CorruptionError } from '../util/errors.js';
import { KERNEL_MAX_REGION, wasmKernel } from '../util/wasm/kernel.js';
import { uncompressBlock } from './compression.js';
import { blockMemory, inSlab } from './block-memory.js';

// FROZEN: on-disk sizes and magic.
/** BLOCK_TRAILER_SIZE is the length of the trailer after every block: a type byte and a masked CRC. */
export const BLOCK_TRAILER_SIZE = 5;
/** MAX_BLOCK_HANDLE_LENGTH is the longest encoding of a BlockHandle (two varint64s). */
export const MAX_BLOCK_HANDLE_LENGTH = 20;
/** FOOTER_LENGTH is the size of the footer at the end of every table (two padded handles + magic). */
export const FOOTER_LENGTH = 48;
/** TABLE_MAGIC_LO is the low 32 bits of LevelDB's table magic 0xdb4775248b80fb57. */
export const TABLE_MAGIC_LO = 0x8b80fb57;
/** TABLE_MAGIC_HI is the high 32 bits of LevelDB's table magic 0xdb4775248b80fb57. */
export const TABLE_MAGIC_HI = 0xdb477524;

/** BlockHandle points at a block: its file offset and its size without the trailer. */
export class BlockHandle {
  constructor(
    readonly offset: number,
    readonly size: number,
  ) {}

  /** encode returns the varint64 offset ++ varint64 size encoding. */
  encode(): Uint8Array {
    const buf = new Uint8Array(MAX_BLOCK_HANDLE_LENGTH);
    return buf.subarray(0, encodeBlockHandle(buf, 0, this.offset, this.size));
  }

  /**
   * decode parses a handle from `buf[start, end)` (trailing bytes are allowed, as LevelDB). Throws
   * CorruptionError naming `file` and `fileOffset` when the bytes are not a valid handle.
   */
  static decode(
    buf: Uint8Array,
    start = 0,
    end = buf.length,
    file?: string,
    fileOffset?: number,
  ): BlockHandle {
    const scratch = HANDLE_SCRATCH;
    if (!decodeBlockHandleInto(buf, start, end, scratch))
      throw new CorruptionError('bad block handle', file, fileOffset);
    return new BlockHandle(scratch.offset, scratch.size);
  }
}

const HANDLE_SCRATCH = { offset: 0, size: 0, end: 0 };

/** encodeBlockHandle writes (offset, size) as two varint64s at `buf[off]`; returns the offset after them. */
export function encodeBlockHandle(buf: Uint8Array, off: number, offset: number, size: number): number {
  return encodeVarint64(buf, encodeVarint64(buf, off, offset), size);
}

/**
 * decodeBlockHandleInto parses a handle at `buf[start, end)` into `out` without allocating (`out.end` is
 * the offset after it). Returns false when the bytes are truncated, overlong or exceed 2^53.
 */
export function decodeBlockHandleInto(
  buf: Uint8Array,
  start: number,
  end: number,
  out: { offset: number; size: number; end: number },
): boolean {
  let pos = start;
  let offset = 0;
  let size = 0;
  for (let field = 0; field < 2; field++) {
    let result = 0;
    let mul = 1;
    let done = false;
    for (let i = 0; i < 10 && pos < end; i++) {
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        done = true;
        break;
      }
      mul *= 128;
    }
    if (!done || !Number.isSafeInteger(result)) return false;
    if (field === 0) offset = result;
    else size = result;
  }
  out.offset = offset;
  out.size = size;
  out.end = pos;
  return true;
}

/** Footer is the fixed-size tail of a table: where its metaindex and index blocks are. */
export class Footer {
  constructor(
    readonly metaindexHandle: BlockHandle,
    readonly indexHandle: BlockHandle,
  ) {}

  /** encode returns the 48-byte footer: both handles, zero padding to 40 bytes, then the magic. */
  encode(): Uint8Array {
    const buf = new Uint8Array(FOOTER_LENGTH);
    const pos = encodeBlockHandle(buf, 0, this.metaindexHandle.offset, this.metaindexHandle.size);
    encodeBlockHandle(buf, pos, this.indexHandle.offset, this.indexHandle.size);
    encodeFixed32(buf, FOOTER_LENGTH - 8, TABLE_MAGIC_LO);
    encodeFixed32(buf, FOOTER_LENGTH - 4, TABLE_MAGIC_HI);
    return buf;
  }

  /**
   * decode parses the footer in `buf` (exactly FOOTER_LENGTH bytes, read at `fileOffset` of `file`).
   * Throws CorruptionError on a bad magic number or bad handles.
   */
  static decode(buf: Uint8Array, file?: string, fileOffset?: number): Footer {
    if (buf.length !== FOOTER_LENGTH)
      throw new CorruptionError('file is too short to be an sstable', file, fileOffset);
    const magicLo = decodeFixed32(buf, FOOTER_LENGTH - 8);
    const magicHi = decodeFixed32(buf, FOOTER_LENGTH - 4);
    if (magicLo !== TABLE_MAGIC_LO || magicHi !== TABLE_MAGIC_HI) {
      throw new CorruptionError('not an sstable (bad magic number)', file, fileOffset);
    }
    const s = HANDLE_SCRATCH;
    const limit = FOOTER_LENGTH - 8;
    if (!decodeBlockHandleInto(buf, 0, limit, s))
      throw new CorruptionError('bad metaindex handle in footer', file, fileOffset);
    const metaindex = new BlockHandle(s.offset, s.size);
    if (!decodeBlockHandleInto(buf, s.end, limit, s))
      throw new CorruptionError('bad index handle in footer', file, fileOffset);
    return new Footer(metaindex, new BlockHandle(s.offset, s.size));
  }
}

/** BlockContents is a block read from a file, after its trailer was checked and it was uncompressed. */
export interface BlockContents {
  /** data is the raw block contents (entries and restart array); owned by the caller, never mutated. */
  readonly data: Uint8Array;
  /** cachable is true iff `data` may be kept in the block cache (always, for heap-read blocks). */
  readonly cachable: boolean;
  /** pooled is true iff `data` lies in a shared slab (see block-memory.ts). */
  readonly pooled: boolean;
}

/** ReadBlockOptions configure readBlock. */
export interface ReadBlockOptions {
  /** verifyChecksums checks the trailer CRC before anything else looks at the bytes. */
  readonly verifyChecksums: boolean;
  /** fileName names the file in errors. */
  readonly fileName: string;
}

/**
 * readBlock reads the block `handle` points to (contents and trailer, in one read), verifies its CRC when
 * asked, and uncompresses it. Throws CorruptionError naming the file and the block's offset on a short
 * read, a CRC mismatch or bad compressed data.
 */
export function readBlock(
  file: RandomAccessFile,
  handle: BlockHandle,
  opts: ReadBlockOptions,
): BlockContents {
  return readBlockAt(file, handle.offset, handle.size, opts.verifyChecksums, opts.fileName);
}

/**
 * readBlockAt is readBlock for a handle given as two numbers (no BlockHandle object on hot paths).
 * `pooled` (data blocks, which the block cache evicts) lets the contents share a slab with other blocks.
 */
export function readBlockAt(
  file: RandomAccessFile,
  offset: number,
  size: number,
  verifyChecksums: boolean,
  fileName: string,
  pooled = false,
): BlockContents {
  const buf = readRawBlock(file, offset, size, verifyChecksums, fileName);
  return decodeRawBlock(buf, size, fileName, offset, pooled ? blockMemory : undefined);
}

/**
 * readRawBlock reads a block's contents and trailer in one read and verifies the CRC when asked. The bytes
 * land in a reused buffer (kernel memory when the WebAssembly kernel is loaded, so CRC and Snappy run in
 * place), valid until the next block read: allocating a fresh array per read cost more than the pread.
 */
export function readRawBlock(
  file: RandomAccessFile,
  offset: number,
  size: number,
  verifyChecksums: boolean,
  fileName: string,
): Uint8Array {
  const n = size + BLOCK_TRAILER_SIZE;
  // Check against the file size first, so a corrupt handle never makes us allocate a huge buffer.
  if (offset + n > file.size) throw new CorruptionError('truncated block read', fileName, offset);
  let buf: Uint8Array;
  if (file.readInto !== undefined) {
    buf = rawBlockBuffer(n);
    if (file.readInto(offset, n, buf) !== n)
      throw new CorruptionError('truncated block read', fileName, offset);
  } else {
    buf = file.read(offset, n);
    if (buf.length !== n) throw new CorruptionError('truncated block read', fileName, offset);
  }
  if (verifyChecksums) {
    const expected = unmaskCrc(decodeFixed32(buf, size + 1));
    if (crc32c(buf, 0, size + 1) !== expected)
      throw new CorruptionError('block checksum mismatch', fileName, offset);
  }
  return buf;
}

/**
 * rawBlockBuffer returns the reused buffer (`n` bytes) raw blocks are read or copied into before decoding:
 * kernel memory when the WebAssembly kernel is loaded, else a scratch array. Valid until the next call.
 */
export function rawBlockBuffer(n: number): Uint8Array {
  const k = n <= KERNEL_MAX_REGION ? wasmKernel() : null;
  if (k !== null) return k.input(n);
  if (readScratch.length < n) readScratch = new Uint8Array(Math.max(n, readScratch.length * 2));
  return readScratch.subarray(0, n);
}

/**
 * decodeRawBlock uncompresses `buf[0, size)` as its type byte `buf[size]` says (its CRC was checked, or not
 * asked for) into memory from `alloc` (default: an array of its own); the result never shares the reused
 * read buffer.
 */
export function decodeRawBlock(
  buf: Uint8Array,
  size: number,
  fileName: string,
  offset: number,
  alloc: ((n: number) => Uint8Array) | undefined,
): BlockContents {
  const type = buf[size]!;
  let data = uncompressBlock(type, buf.subarray(0, size), fileName, offset, alloc);
  if (data.buffer === buf.buffer && isReusedBuffer(buf)) {
    // An uncompressed block is the reused read buffer itself: copy it out (a block outlives the next read).
    const out = alloc !== undefined ? alloc(size) : new Uint8Array(size);
    out.set(data);
    data = out;
  }
  return { data, cachable: true, pooled: inSlab(data) };
}

/** isReusedBuffer tells whether `buf` is (a view of) the buffer rawBlockBuffer hands out. */
function isReusedBuffer(buf: Uint8Array): boolean {
  return buf.buffer === readScratch.buffer || wasmKernel()?.owns(buf) === true;
}

/** readScratch is the buffer readBlockAt reads into (reads are synchronous: never two at once). */
let readScratch = new Uint8Array(0);

/** blockTrailerCrc returns the masked CRC stored in a trailer for `contents` stored with `type`. */
export function blockTrailerCrc(contents: Uint8Array, type: number): number {
  TYPE_BYTE[0] = type;
  return maskCrc(crc32cExtend(crc32c(contents), TYPE_BYTE));
}

const TYPE_BYTE = new Uint8Array(1);
