/**
 * A tiny in-memory file for log tests: a growable byte array with a WritableFile view (counts appends)
 * and a RandomAccessFile view (records read sizes), plus helpers to damage its bytes.
 */
import type { RandomAccessFile, WritableFile } from '../../src/env/file-system.js';

/** MemFile holds the bytes of one in-memory file. */
export class MemFile {
  private data: Uint8Array;
  private length: number;
  /** appends counts calls to append() on writers of this file. */
  appends = 0;
  /** reads records [offset, length] of every read() on readers of this file. */
  readonly reads: Array<[number, number]> = [];

  constructor(
    readonly path = 'mem.log',
    initial?: Uint8Array,
  ) {
    this.data = new Uint8Array(Math.max(1024, initial?.length ?? 0));
    this.length = 0;
    if (initial) this.write(initial);
  }

  /** size is the file's length. */
  get size(): number {
    return this.length;
  }

  /** contents returns a copy of the file's bytes. */
  contents(): Uint8Array {
    return this.data.slice(0, this.length);
  }

  private write(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.data.length) {
      const grown = new Uint8Array(Math.max(this.length + bytes.length, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes, this.length); // copies: callers may reuse their buffer
    this.length += bytes.length;
  }

  /** writable opens the file for appending at its end. */
  writable(): WritableFile {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const file = this;
    let closed = false;
    return {
      path: this.path,
      get size() {
        return file.length;
      },
      append(data: Uint8Array) {
        if (closed) throw new Error('append after close');
        file.appends++;
        file.write(data);
      },
      sync() {},
      syncAsync: () => Promise.resolve(),
      close() {
        closed = true;
      },
    };
  }

  /** randomAccess opens the file for positioned reads. */
  randomAccess(): RandomAccessFile {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const file = this;
    return {
      path: this.path,
      size: this.length,
      read(offset: number, length: number) {
        file.reads.push([offset, length]);
        const start = Math.min(offset, file.length);
        return file.data.slice(start, Math.min(offset + length, file.length));
      },
      close() {},
    };
  }

  /** setByte sets the byte at `offset`. */
  setByte(offset: number, value: number): void {
    if (offset >= this.length) throw new RangeError(`offset ${offset} beyond ${this.length}`);
    this.data[offset] = value;
  }

  /** getByte returns the byte at `offset`. */
  getByte(offset: number): number {
    return this.data[offset]!;
  }

  /** incrementByte adds `delta` (mod 256) to the byte at `offset`. */
  incrementByte(offset: number, delta: number): void {
    this.setByte(offset, (this.data[offset]! + delta) & 0xff);
  }

  /** shrink drops the last `bytes` bytes. */
  shrink(bytes: number): void {
    this.length -= bytes;
  }

  /** truncate sets the length to `size` (not larger than the current length). */
  truncate(size: number): void {
    this.length = Math.min(this.length, size);
  }
}
