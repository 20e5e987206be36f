/// <reference lib="es2024.sharedmemory" />
/**
 * A bump allocator over one growable SharedArrayBuffer: the memtable's entries live here instead of in
 * per-entry JS objects, and a worker thread can read the same memory without a copy (design.md, "Threads
 * and memory").
 *
 * The buffer reserves `maxBytes` of address space up front and grows in place (doubling), so growth never
 * copies. The views (`u8`, `i32`) are fixed-length and are replaced after each growth: on Node 20,
 * length-tracking views over a growable buffer are several times slower to index than fixed-length ones.
 * Views handed out earlier stay valid, since a SharedArrayBuffer never shrinks.
 */
import { InvalidArgumentError, NotSupportedError } from '../util/errors.js';

/** ARENA_DEFAULT_INITIAL_BYTES is the committed size of a new arena (64 KiB); it doubles as it fills. */
export const ARENA_DEFAULT_INITIAL_BYTES = 64 * 1024;

/** ARENA_DEFAULT_MAX_BYTES is the default reservation (1 GiB of address space, committed only as used). */
export const ARENA_DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

/** ARENA_LIMIT_BYTES is the largest arena: offsets are stored in Int32 fields. */
export const ARENA_LIMIT_BYTES = 0x7fff_fff8;

/** ARENA_ALIGN is the alignment of allocateAligned (Int32 fields). */
export const ARENA_ALIGN = 4;

/**
 * Arena hands out byte ranges of one SharedArrayBuffer, never freeing them.
 *
 * 1. Offsets are byte offsets from the start of `buffer`; the memory is zeroed when committed.
 * 2. `u8` and `i32` cover the committed part; after an allocation they may be new objects (re-read them).
 * 3. Single writer. A read-only arena (fromShared) refuses to allocate.
 */
export class Arena {
  /** buffer is the shared memory; post it to a worker to share the arena. */
  readonly buffer: SharedArrayBuffer;
  /** u8 is a byte view of the committed memory. */
  u8: Uint8Array;
  /** i32 is an Int32 view of the committed memory: index it with `offset >> 2` for aligned offsets. */
  i32: Int32Array;
  /** readOnly is true for arenas opened with fromShared. */
  readonly readOnly: boolean;
  private used: number;
  private readonly maxBytes: number;
  private growCount = 0;

  /**
   * @param initialBytes bytes committed at once (rounded up to a multiple of 8)
   * @param maxBytes the most the arena may hold; allocations beyond it throw InvalidArgumentError
   * @param shared internal: use Arena.fromShared
   */
  constructor(
    initialBytes = ARENA_DEFAULT_INITIAL_BYTES,
    maxBytes = ARENA_DEFAULT_MAX_BYTES,
    shared?: { buffer: SharedArrayBuffer; used: number },
  ) {
    if (shared !== undefined) {
      const len = shared.buffer.byteLength & ~3;
      this.buffer = shared.buffer;
      this.u8 = new Uint8Array(shared.buffer, 0, len);
      this.i32 = new Int32Array(shared.buffer, 0, len >> 2);
      this.used = shared.used;
      this.maxBytes = shared.used;
      this.readOnly = true;
      return;
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 64 || maxBytes > ARENA_LIMIT_BYTES) {
      throw new InvalidArgumentError(`arena maxBytes must be an integer in [64, ${ARENA_LIMIT_BYTES}]`);
    }
    if (!Number.isInteger(initialBytes) || initialBytes < 0) {
      throw new InvalidArgumentError('arena initialBytes must be a non-negative integer');
    }
    const max = maxBytes & ~7;
    const initial = Math.min(max, Math.max(64, roundUp8(initialBytes)));
    this.buffer = new SharedArrayBuffer(initial, { maxByteLength: max });
    this.maxBytes = max;
    this.u8 = new Uint8Array(this.buffer, 0, initial);
    this.i32 = new Int32Array(this.buffer, 0, initial >> 2);
    this.used = 0;
    this.readOnly = false;
  }

  /**
   * fromShared opens a read-only arena over `buffer`, of which the first `used` bytes were allocated.
   * Requires: nobody writes the buffer any more.
   */
  static fromShared(buffer: SharedArrayBuffer, used: number): Arena {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError('arena buffer must be a SharedArrayBuffer');
    }
    if (!Number.isInteger(used) || used < 0 || used > buffer.byteLength) {
      throw new InvalidArgumentError(
        `arena used bytes ${used} outside the buffer (${buffer.byteLength} bytes)`,
      );
    }
    return new Arena(0, 64, { buffer, used });
  }

  /** memoryUsage is the number of bytes allocated so far (including alignment padding). */
  get memoryUsage(): number {
    return this.used;
  }

  /** committedBytes is the size of the committed buffer (>= memoryUsage). */
  get committedBytes(): number {
    return this.buffer.byteLength;
  }

  /** growths counts how many times the buffer grew. */
  get growths(): number {
    return this.growCount;
  }

  /**
   * reset forgets every allocation, keeping the committed buffer, so a new memtable can reuse the
   * memory. The bytes are not cleared. Requires: nobody reads what was allocated before (the caller
   * tracks that), and no other thread will touch this buffer again.
   */
  reset(): void {
    if (this.readOnly) throw new NotSupportedError('arena is read-only');
    this.used = 0;
  }

  /** allocate returns the offset of `n` fresh bytes (no alignment). */
  allocate(n: number): number {
    if (this.readOnly) throw new NotSupportedError('arena is read-only');
    const off = this.used;
    const end = off + n;
    if (end > this.u8.length) this.grow(end);
    this.used = end;
    return off;
  }

  /** allocateAligned returns the offset of `n` fresh bytes, aligned to ARENA_ALIGN (4). */
  allocateAligned(n: number): number {
    if (this.readOnly) throw new NotSupportedError('arena is read-only');
    const off = (this.used + 3) & ~3;
    const end = off + n;
    if (end > this.u8.length) this.grow(end);
    this.used = end;
    return off;
  }

  private grow(end: number): void {
    if (end > this.maxBytes) {
      throw new InvalidArgumentError(`arena full: ${end} bytes needed, maxBytes is ${this.maxBytes}`);
    }
    // Doubling keeps the number of growths logarithmic; growing in place copies nothing.
    const size = Math.min(this.maxBytes, Math.max(roundUp8(end), this.buffer.byteLength * 2));
    this.buffer.grow(size);
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.i32 = new Int32Array(this.buffer, 0, size >> 2);
    this.growCount++;
  }
}

function roundUp8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
