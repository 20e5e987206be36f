/**
 * Helpers for Uint8Array keys and values: comparison, equality, conversion of API inputs.
 */
import { Buffer } from 'node:buffer';
import { InvalidArgumentError } from './errors.js';
import { copyShared } from './shared-copy.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** compareBytes orders byte strings as memcmp does, a shorter prefix first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** compareByteRanges compares `a[aStart,aEnd)` with `b[bStart,bEnd)` without making views. */
export function compareByteRanges(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** COPY_LOOP_MAX: ranges up to this long are copied byte by byte (a subarray view plus set() costs more). */
const COPY_LOOP_MAX = 64;

/**
 * copyRange copies `src[start, end)` to `dst` at `at` and returns the position after it, long ranges by
 * copyShared (fast out of a SharedArrayBuffer too). Short ranges (keys) go byte by byte:
 * `dst.set(src.subarray(start, end), at)` builds a view object per call, which in hot loops (table
 * building, compaction) cost more than the copy.
 */
export function copyRange(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n > COPY_LOOP_MAX)
    copyShared(dst, at, start === 0 && end === src.length ? src : src.subarray(start, end));
  else for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  return at + n;
}

/** Copies up to COPY_POOLED_MAX bytes are carved from shared slabs of COPY_SLAB bytes (as Node's Buffer pool). */
const COPY_SLAB = 8192;
const COPY_POOLED_MAX = 1024;
let copySlab = new ArrayBuffer(COPY_SLAB);
let copyOffset = 0;

/**
 * copyBytes returns a new array holding `src[start, end)`, the caller's to keep and change. Small copies
 * share 8 KiB slabs: `slice()` gives each its own ArrayBuffer, an off-heap allocation the GC tracks, which
 * cost ~10x the copy of a 100-byte value. A kept copy keeps its slab alive (at most 8 KiB per copy).
 */
export function copyBytes(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  const n = end - start;
  if (n > COPY_POOLED_MAX) {
    // Not src.slice(): on a Buffer (a Uint8Array subclass users pass in) slice() is a view, not a copy.
    const big = new Uint8Array(n);
    big.set(src.subarray(start, end));
    return big;
  }
  if (copyOffset + n > COPY_SLAB) {
    copySlab = new ArrayBuffer(COPY_SLAB);
    copyOffset = 0;
  }
  const out = new Uint8Array(copySlab, copyOffset, n);
  copyOffset = (copyOffset + n + 7) & ~7; // 8-aligned, so a copy can back any typed-array view
  // A whole array is copied without a view of it (one allocation fewer per copy).
  out.set(start === 0 && end === src.length ? src : src.subarray(start, end));
  return out;
}

/** bytesEqual returns true iff `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** concatBytes joins byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Strings up to this length are tried as ASCII in JavaScript first (TextEncoder's call costs ~8x more). */
const SHORT_STRING = 64;

/**
 * utf8 encodes a string as UTF-8 bytes. A short ASCII string (most keys) is copied by a loop into a
 * small array; anything else goes through TextEncoder.
 */
export function utf8(s: string): Uint8Array {
  const n = s.length;
  if (n > SHORT_STRING) return encoder.encode(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return encoder.encode(s);
    out[i] = c;
  }
  return out;
}

/**
 * writeAscii copies `s` into `buf` at `at`, one byte per character, and returns true iff every character
 * was ASCII (so the bytes are its UTF-8); on false the bytes written are garbage. Requires: room for
 * s.length bytes. For short strings a loop beats measuring and encoding them in C++.
 */
export function writeAscii(buf: Uint8Array, at: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    buf[at + i] = c;
  }
  return true;
}

/**
 * readAscii decodes buf[start, end) when every byte is ASCII (undefined otherwise), by a loop: for short
 * strings that costs less than a call into TextDecoder or Buffer's C++ (writeAscii's mirror).
 */
export function readAscii(buf: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** fromUtf8 decodes UTF-8 bytes to a string. */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/**
 * toBytes accepts an API key or value (Uint8Array, including Buffer, or string) and returns bytes.
 * Anything else is an InvalidArgumentError naming `what`.
 */
export function toBytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8(v);
  throw new InvalidArgumentError(`${what} must be a Uint8Array or a string, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}

/** toHex renders bytes as lowercase hex (for messages and dumps). */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** escapeBytes renders bytes printable ASCII as-is and the rest as \xNN (LevelDB's EscapeString). */
export function escapeBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    s +=
      c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

/**
 * toLatin1Key maps bytes one-to-one onto a string (one char per byte), for use as a Map or Set key.
 * Distinct byte strings give distinct strings.
 */
export function toLatin1Key(b: Uint8Array): string {
  // Short keys by String.fromCharCode: Buffer.from(b.buffer) would first move a small on-heap array's
  // bytes off the heap (~4x the cost of the whole conversion).
  if (b.length <= LATIN1_SHORT) return String.fromCharCode.apply(null, b as unknown as number[]);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** LATIN1_SHORT: keys up to this many bytes are converted in JavaScript (faster up to about 40 bytes). */
const LATIN1_SHORT = 32;

/**
 * keyId returns toLatin1Key(bytes) where `bytes` is `input` as toBytes returned it: an ASCII string is
 * its own id (its UTF-8 bytes, one char per byte, spell the string itself), with nothing to convert.
 */
export function keyId(input: Uint8Array | string, bytes: Uint8Array): string {
  return typeof input === 'string' && bytes.length === input.length ? input : toLatin1Key(bytes);
}
