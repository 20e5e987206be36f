/**
 * Snappy raw format (no framing), pure TypeScript. See leveldb-format.md §11: `varint32 length`, then
 * literal and copy elements. The compressor is a greedy hash-table matcher over 64 KiB fragments (so
 * every copy offset fits in 16 bits); the decompressor checks every length and offset against its input
 * and output and throws CorruptionError instead of reading or writing out of bounds.
 */
import { CorruptionError, InvalidArgumentError } from '../util/errors.js';
import { KERNEL_MAX_REGION, wasmKernel } from '../util/wasm/kernel.js';

// FROZEN: on-disk element tags (low two bits of each tag byte).
const TAG_LITERAL = 0;
const TAG_COPY_1 = 1; // 3-bit length (4..11), 11-bit offset
const TAG_COPY_2 = 2; // 6-bit length (1..64), 16-bit offset
const TAG_COPY_4 = 3; // 6-bit length (1..64), 32-bit offset

/** Fragment size: the compressor never matches across a 64 KiB boundary, so offsets fit copy-2. */
const FRAGMENT_SIZE = 1 << 16;
/** Inputs shorter than this are stored as one literal (a match needs room to pay for itself). */
const MIN_MATCHABLE_LENGTH = 17;
/** The match finder stops this many bytes before a fragment's end so 4-byte loads stay in bounds. */
const INPUT_MARGIN = 15;
/** Hash table sizes (entries): the smallest power of two >= the fragment, within these bounds. */
const MIN_TABLE_BITS = 8;
const MAX_TABLE_BITS = 14;
/** Multiplier of the 4-byte hash (Snappy's). */
const HASH_MUL = 0x1e35a7bd;
/** Scratch output kept between calls up to this size (bytes); larger outputs use a one-off buffer. */
const SCRATCH_KEEP_LIMIT = 1 << 20;
/** Literals shorter than this are copied byte by byte (cheaper than a subarray view + set). */
const LITERAL_LOOP_MAX = 32;
/** Non-overlapping copies at least this long use copyWithin; shorter ones a byte loop. */
const COPY_WITHIN_MIN = 16;

/**
 * SNAPPY_MAX_UNCOMPRESSED_LENGTH is the default hard cap on a declared uncompressed length (1 GiB):
 * larger blocks are reported as corrupt rather than allocated.
 */
export const SNAPPY_MAX_UNCOMPRESSED_LENGTH = 1 << 30;

// Per-fragment hash table of positions relative to the fragment start, reused by every call.
const table = new Uint16Array(1 << MAX_TABLE_BITS);
let scratch = new Uint8Array(maxCompressedLength(4096));

/** snappyMaxCompressedLength returns an upper bound on the size of `snappyCompress` of `n` bytes. */
export function snappyMaxCompressedLength(n: number): number {
  return maxCompressedLength(n);
}

function maxCompressedLength(n: number): number {
  // Worst case: all literals, one 5-byte tag per 64 KiB fragment at most, plus the varint header;
  // Snappy's classic bound 32 + n + n/6 covers it with room to spare.
  return 32 + n + Math.floor(n / 6);
}

/** snappyCompress returns the snappy encoding of `input` (a new array). */
export function snappyCompress(input: Uint8Array): Uint8Array {
  const out = snappyCompressTransient(input);
  // snappyCompressTs returns a new array already; the kernel's view is copied out.
  return wasmKernel()?.owns(out) === true ? out.slice() : out;
}

/**
 * snappyCompressTransient is snappyCompress without the copy out of the WebAssembly kernel: the result
 * may be a view of kernel memory, valid until the next kernel call (so until the next compression, CRC
 * or block read). A table's block goes straight from there to its file (a 100 KB value's block was
 * copied three more times on its way).
 */
export function snappyCompressTransient(input: Uint8Array): Uint8Array {
  const n = input.length;
  if (n > 0xffffffff) throw new InvalidArgumentError('snappy input longer than 2^32-1 bytes');
  const bound = maxCompressedLength(n);
  // The WebAssembly kernel runs the same matcher about 3x faster (tables are compressed on flush and
  // compaction: the flush thread spent half its time here).
  if (bound <= KERNEL_MAX_REGION) {
    const k = wasmKernel();
    if (k !== null) return k.snappyCompress(input, bound);
  }
  return snappyCompressTs(input);
}

/** snappyCompressTs is the TypeScript compressor: the reference the kernel is tested against. */
export function snappyCompressTs(input: Uint8Array): Uint8Array {
  const n = input.length;
  const bound = maxCompressedLength(n);
  let out = scratch;
  if (bound > out.length) {
    out = new Uint8Array(bound);
    if (bound <= SCRATCH_KEEP_LIMIT) scratch = out;
  }
  // varint32 uncompressed length
  let op = 0;
  let v = n;
  while (v >= 0x80) {
    out[op++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[op++] = v;
  for (let start = 0; start < n; start += FRAGMENT_SIZE) {
    const end = Math.min(n, start + FRAGMENT_SIZE);
    op = compressFragment(input, start, end, out, op);
  }
  return out.slice(0, op);
}

function load32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

/** compressFragment encodes input[base,end) (at most 64 KiB) into out at op; returns the new op. */
function compressFragment(input: Uint8Array, base: number, end: number, out: Uint8Array, op: number): number {
  const len = end - base;
  if (len < MIN_MATCHABLE_LENGTH) return emitLiteral(input, base, len, out, op);

  let bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && 1 << bits < len) bits++;
  const shift = 32 - bits;
  table.fill(0, 0, 1 << bits);

  const ipLimit = end - INPUT_MARGIN;
  let nextEmit = base;
  let ip = base + 1;
  let nextHash = Math.imul(load32(input, ip), HASH_MUL) >>> shift;

  outer: for (;;) {
    // Look for a 4-byte match, probing less often the longer nothing matched (Snappy's skip heuristic:
    // incompressible data is passed over quickly).
    let skip = 32;
    let nextIp = ip;
    let candidate: number;
    let cur: number;
    do {
      ip = nextIp;
      const h = nextHash;
      nextIp = ip + (skip++ >> 5);
      if (nextIp > ipLimit) break outer;
      nextHash = Math.imul(load32(input, nextIp), HASH_MUL) >>> shift;
      candidate = base + table[h]!;
      table[h] = ip - base;
      cur = load32(input, ip);
    } while (cur !== load32(input, candidate));

    op = emitLiteral(input, nextEmit, ip - nextEmit, out, op);

    // Emit copies for as long as the position right after a copy matches again.
    for (;;) {
      // Extend the match past its first 4 bytes.
      let s = ip + 4;
      let m = candidate + 4;
      while (s + 4 <= end && load32(input, s) === load32(input, m)) {
        s += 4;
        m += 4;
      }
      while (s < end && input[s] === input[m]) {
        s++;
        m++;
      }
      op = emitCopy(out, op, ip - candidate, s - ip);
      ip = s;
      nextEmit = ip;
      if (ip >= ipLimit) break outer;
      // Index the position just before ip (cheap extra coverage), then try a match at ip itself.
      table[Math.imul(load32(input, ip - 1), HASH_MUL) >>> shift] = ip - 1 - base;
      cur = load32(input, ip);
      const h = Math.imul(cur, HASH_MUL) >>> shift;
      candidate = base + table[h]!;
      table[h] = ip - base;
      if (cur !== load32(input, candidate)) break;
    }
    ip++;
    nextHash = Math.imul(load32(input, ip), HASH_MUL) >>> shift;
  }

  if (nextEmit < end) op = emitLiteral(input, nextEmit, end - nextEmit, out, op);
  return op;
}

function emitLiteral(input: Uint8Array, from: number, len: number, out: Uint8Array, op: number): number {
  if (len === 0) return op;
  const n = len - 1;
  if (n < 60) {
    out[op++] = n << 2; // TAG_LITERAL
  } else if (n < 0x100) {
    out[op++] = 60 << 2;
    out[op++] = n;
  } else if (n < 0x10000) {
    out[op++] = 61 << 2;
    out[op++] = n & 0xff;
    out[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[op++] = 62 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = n >>> 16;
  } else {
    out[op++] = 63 << 2;
    out[op++] = n & 0xff;
    out[op++] = (n >>> 8) & 0xff;
    out[op++] = (n >>> 16) & 0xff;
    out[op++] = n >>> 24;
  }
  if (len < LITERAL_LOOP_MAX) {
    for (let i = 0; i < len; i++) out[op + i] = input[from + i]!;
  } else {
    out.set(input.subarray(from, from + len), op);
  }
  return op + len;
}

/** emitCopy writes copies of `len` bytes at `offset` (1..65535) using the shortest tags. */
function emitCopy(out: Uint8Array, op: number, offset: number, len: number): number {
  // Long matches: 64-byte copy-2 pieces, leaving at least 4 bytes so the tail can use copy-1.
  while (len >= 68) {
    out[op++] = TAG_COPY_2 | (63 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 64;
  }
  if (len > 64) {
    out[op++] = TAG_COPY_2 | (59 << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    len -= 60;
  }
  if (len < 12 && offset < 2048) {
    out[op++] = TAG_COPY_1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[op++] = offset & 0xff;
  } else {
    out[op++] = TAG_COPY_2 | ((len - 1) << 2);
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
  }
  return op;
}

/**
 * snappyUncompressedLength returns the uncompressed length declared in the header of a snappy block.
 * Throws CorruptionError if the header is malformed.
 */
export function snappyUncompressedLength(input: Uint8Array): number {
  return readHeader(input) % HEADER_SPLIT;
}

// readHeader packs (header byte count, length) into one number to avoid allocating a pair:
// headerBytes * HEADER_SPLIT + length.
const HEADER_SPLIT = 2 ** 32;

function readHeader(input: Uint8Array): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new CorruptionError('snappy: truncated length header');
    const b = input[i]!;
    if (i === 4 && b > 0x0f) throw new CorruptionError('snappy: length header overflows 32 bits');
    result += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return (i + 1) * HEADER_SPLIT + result;
  }
  throw new CorruptionError('snappy: length header overflows 32 bits');
}

/**
 * snappyUncompress decodes a snappy block; throws CorruptionError on malformed input. A declared length
 * above `maxLength` (default SNAPPY_MAX_UNCOMPRESSED_LENGTH), or above what the input could possibly
 * expand to, is reported as corruption before anything is allocated. The output comes from `alloc`
 * (default: a new array). Blocks up to KERNEL_MAX_REGION go through the WebAssembly kernel when it is
 * loaded; its errors are reported by the TypeScript decoder.
 */
export function snappyUncompress(
  input: Uint8Array,
  maxLength = SNAPPY_MAX_UNCOMPRESSED_LENGTH,
  alloc: (n: number) => Uint8Array = newBytes,
): Uint8Array {
  const header = checkedHeader(input, maxLength);
  const outLen = header % HEADER_SPLIT;
  const ip = (header - outLen) / HEADER_SPLIT;
  const k = outLen <= KERNEL_MAX_REGION && input.length - ip <= KERNEL_MAX_REGION ? wasmKernel() : null;
  if (k === null) return decode(input, ip, alloc(outLen));
  const view = k.snappyUncompressView(input, ip, input.length, outLen);
  if (typeof view !== 'number') {
    const out = alloc(outLen);
    out.set(view);
    return out;
  }
  // Malformed: the TypeScript decoder names the fault. It cannot succeed where the kernel failed (the
  // tests hold them to the same verdicts), but if it ever did, the block is still not returned.
  decode(input, ip, new Uint8Array(outLen));
  throw new CorruptionError(`snappy: malformed block (kernel code ${view})`);
}

function newBytes(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** snappyUncompressJs is snappyUncompress in TypeScript alone (the fallback, and the kernel's reference). */
export function snappyUncompressJs(
  input: Uint8Array,
  maxLength = SNAPPY_MAX_UNCOMPRESSED_LENGTH,
): Uint8Array {
  const header = checkedHeader(input, maxLength);
  const outLen = header % HEADER_SPLIT;
  return decode(input, (header - outLen) / HEADER_SPLIT, new Uint8Array(outLen));
}

/** checkedHeader reads the length header (see readHeader) and rejects lengths the input cannot hold. */
function checkedHeader(input: Uint8Array, maxLength: number): number {
  const header = readHeader(input);
  const outLen = header % HEADER_SPLIT;
  const ip = (header - outLen) / HEADER_SPLIT;
  const inLen = input.length;
  // Each element of k input bytes yields at most 64/3 bytes (a 3-byte copy-2 of length 64).
  if (outLen > Math.ceil(((inLen - ip) * 64) / 3)) {
    throw new CorruptionError(`snappy: declared length ${outLen} exceeds what ${inLen} bytes can encode`);
  }
  if (outLen > maxLength) throw new CorruptionError(`snappy: declared length ${outLen} exceeds ${maxLength}`);
  return header;
}

/** decode decodes the elements of `input` from `ip` into `out` (exactly its length; every byte written). */
function decode(input: Uint8Array, ip: number, out: Uint8Array): Uint8Array {
  const inLen = input.length;
  const outLen = out.length;
  let op = 0;
  while (ip < inLen) {
    const tag = input[ip++]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case TAG_LITERAL: {
        len = tag >>> 2;
        if (len >= 60) {
          const extra = len - 59;
          if (extra > inLen - ip) throw corrupt('literal length runs past the input', ip);
          len = input[ip]!;
          if (extra > 1) len |= input[ip + 1]! << 8;
          if (extra > 2) len |= input[ip + 2]! << 16;
          if (extra > 3) len += input[ip + 3]! * 0x1000000;
          ip += extra;
        }
        len += 1;
        if (len > inLen - ip) throw corrupt('literal runs past the input', ip);
        if (len > outLen - op) throw corrupt('literal runs past the output', ip);
        if (len < LITERAL_LOOP_MAX) {
          for (let i = 0; i < len; i++) out[op + i] = input[ip + i]!;
        } else {
          out.set(input.subarray(ip, ip + len), op);
        }
        ip += len;
        op += len;
        continue;
      }
      case TAG_COPY_1:
        if (ip >= inLen) throw corrupt('copy runs past the input', ip);
        len = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | input[ip++]!;
        break;
      case TAG_COPY_2:
        if (ip + 2 > inLen) throw corrupt('copy runs past the input', ip);
        len = (tag >>> 2) + 1;
        offset = input[ip]! | (input[ip + 1]! << 8);
        ip += 2;
        break;
      case TAG_COPY_4:
      default:
        if (ip + 4 > inLen) throw corrupt('copy runs past the input', ip);
        len = (tag >>> 2) + 1;
        offset = (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16) | (input[ip + 3]! << 24)) >>> 0;
        ip += 4;
        break;
    }
    if (offset === 0 || offset > op) throw corrupt(`copy offset ${offset} out of range`, ip);
    if (len > outLen - op) throw corrupt('copy runs past the output', ip);
    let from = op - offset;
    if (offset >= len && len >= COPY_WITHIN_MIN) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copies repeat the last `offset` bytes, so copy forward one byte at a time.
      const stop = op + len;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
  if (op !== outLen) throw new CorruptionError(`snappy: decoded ${op} bytes, header declared ${outLen}`);
  return out;
}

function corrupt(what: string, at: number): CorruptionError {
  return new CorruptionError(`snappy: ${what} (at input byte ${at})`);
}
