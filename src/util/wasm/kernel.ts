/**
 * The WebAssembly kernel (kernel.c): CRC-32C and Snappy decoding, the byte loops of a block-cache miss,
 * at 2-4x the speed of the TypeScript loops. Instantiated synchronously on first use, once per thread.
 * Where WebAssembly is missing, or SHALE_WASM=0, `wasmKernel()` returns null and callers keep their
 * TypeScript paths (which stay the reference the kernel is tested against).
 */
import { KERNEL_WASM_BASE64 } from './kernel-bytes.js';

// The few WebAssembly names used here (the project's lib settings carry no WebAssembly types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { readonly exports: object };
    }
  | undefined;

/** SLACK bytes past every buffer handed to the kernel: its copy loops move 8-16 bytes at a time. */
const SLACK = 64;
/** MAX_REGION bounds each kernel buffer, so a thread's kernel memory stays a few MiB at most. */
export const KERNEL_MAX_REGION = 4 << 20;
const PAGE = 65536;

interface KernelExports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  crc32c_init(): void;
  crc32c_extend(crc: number, ptr: number, len: number): number;
  snappy_uncompress(inPtr: number, inLen: number, outPtr: number, outLen: number): number;
  snappy_compress(inPtr: number, inLen: number, outPtr: number): number;
}

/**
 * WasmKernel owns one instance and two buffers in its memory: the input region (blocks are read into it
 * straight from the file) and the output region (Snappy decodes into it; results are copied out).
 *
 * Invariants:
 * 1. Views of kernel memory (`input()`, and arrays whose buffer is the memory's) are valid until the
 *    next call that may grow the memory; callers use them within one block read.
 * 2. Each region has SLACK spare bytes past its capacity.
 */
export class WasmKernel {
  private readonly x: KernelExports;
  private mem: Uint8Array;
  private readonly inPtr: number;
  private inCap = 64 << 10;
  private outCap = 64 << 10;

  constructor(bytes: Uint8Array) {
    const wasm = WebAssembly!;
    this.x = new wasm.Instance(new wasm.Module(bytes), {}).exports as KernelExports;
    this.x.crc32c_init();
    this.inPtr = (this.x.__heap_base.value + 15) & ~15;
    this.mem = new Uint8Array(this.x.memory.buffer);
    this.reserve(this.outPtr + this.outCap + SLACK);
  }

  /** outPtr: the output region follows the input region. */
  private get outPtr(): number {
    return this.inPtr + this.inCap + SLACK;
  }

  private reserve(bytes: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (bytes > have) this.x.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.mem.buffer !== this.x.memory.buffer) this.mem = new Uint8Array(this.x.memory.buffer);
  }

  /** owns tells whether `a` is a view of kernel memory (so no copy is needed to use it). */
  owns(a: Uint8Array): boolean {
    return a.buffer === this.x.memory.buffer;
  }

  /**
   * input returns a view of `n` bytes of kernel memory (n <= KERNEL_MAX_REGION) to read data into, valid
   * until the next kernel call (which may move it).
   */
  input(n: number): Uint8Array {
    if (n > this.inCap) {
      this.inCap = Math.max(n, this.inCap * 2);
      this.reserve(this.outPtr + this.outCap + SLACK);
    }
    return this.mem.subarray(this.inPtr, this.inPtr + n);
  }

  /** crc32cExtend continues the CRC-32C `crc` over `data[start, end)` (any length: copied in chunks). */
  crc32cExtend(crc: number, data: Uint8Array, start: number, end: number): number {
    if (this.owns(data)) return this.x.crc32c_extend(crc, data.byteOffset + start, end - start) >>> 0;
    let c = crc;
    while (start < end) {
      const n = Math.min(end - start, KERNEL_MAX_REGION);
      this.input(n);
      this.mem.set(data.subarray(start, start + n), this.inPtr);
      c = this.x.crc32c_extend(c, this.inPtr, n) >>> 0;
      start += n;
    }
    return c;
  }

  /**
   * snappyCompress returns the Snappy encoding of `src` (header and elements), the same bytes as the
   * TypeScript compressor, as a view of the output region: valid until the next kernel call (invariant
   * 1), so callers copy it to keep it. Requires: maxCompressedLength <= KERNEL_MAX_REGION (the caller's
   * bound).
   */
  snappyCompress(src: Uint8Array, maxCompressedLength: number): Uint8Array {
    const n = src.length;
    this.input(n);
    this.mem.set(src, this.inPtr);
    if (maxCompressedLength > this.outCap) {
      this.outCap = Math.max(maxCompressedLength, this.outCap * 2);
      this.reserve(this.outPtr + this.outCap + SLACK);
    }
    const outPtr = this.outPtr;
    const len = this.x.snappy_compress(this.inPtr, n, outPtr);
    return this.mem.subarray(outPtr, outPtr + len);
  }

  /**
   * snappyUncompress decodes the Snappy elements `src[start, end)` (after the length header) into a new
   * array of `outLen` bytes. Returns the array, or the kernel's error code (> 0) for malformed input.
   * Requires: end - start <= KERNEL_MAX_REGION and outLen <= KERNEL_MAX_REGION.
   */
  snappyUncompress(src: Uint8Array, start: number, end: number, outLen: number): Uint8Array | number {
    const out = this.snappyUncompressView(src, start, end, outLen);
    return typeof out === 'number' ? out : out.slice();
  }

  /**
   * snappyUncompressView is snappyUncompress with the result left in kernel memory: a view valid until the
   * next kernel call (copy it out).
   */
  snappyUncompressView(src: Uint8Array, start: number, end: number, outLen: number): Uint8Array | number {
    const inLen = end - start;
    let inPtr: number;
    // In place only from the input region: the output region (a compressed block still there) is
    // where the decoding goes.
    if (this.owns(src) && src.byteOffset + end <= this.inPtr + this.inCap) {
      inPtr = src.byteOffset + start;
    } else {
      this.input(inLen);
      this.mem.set(src.subarray(start, end), this.inPtr);
      inPtr = this.inPtr;
    }
    // Growing the output region moves no input bytes: the input region stays where it is.
    if (outLen > this.outCap) {
      this.outCap = Math.max(outLen, this.outCap * 2);
      this.reserve(this.outPtr + this.outCap + SLACK);
    }
    const outPtr = this.outPtr;
    const code = this.x.snappy_uncompress(inPtr, inLen, outPtr, outLen);
    if (code !== 0) return code;
    return this.mem.subarray(outPtr, outPtr + outLen);
  }
}

let kernel: WasmKernel | null | undefined;

/** wasmKernel returns this thread's kernel, or null where WebAssembly is unavailable or SHALE_WASM=0. */
export function wasmKernel(): WasmKernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  if (typeof WebAssembly === 'object' && process.env['SHALE_WASM'] !== '0') {
    kernel = new WasmKernel(Uint8Array.from(Buffer.from(KERNEL_WASM_BASE64, 'base64')));
  }
  return kernel;
}
