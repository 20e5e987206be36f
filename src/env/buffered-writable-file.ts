/**
 * BufferedWritableFile gathers small appends into one buffer and writes it to the file beneath when full
 * (and before sync and close): a table is written a block (about 4 KiB) at a time, and one write(2) per
 * block cost about a tenth of a compaction's CPU. What is buffered is not in the file until then, so only
 * files that are synced (or abandoned) as a whole use it: tables, not logs.
 */
import type { WritableFile } from './file-system.js';

/** BUFFER_SIZE: appends are written in chunks of this many bytes (larger appends go straight through). */
const BUFFER_SIZE = 256 * 1024;

/** @internal */
export class BufferedWritableFile implements WritableFile {
  private readonly buf = new Uint8Array(BUFFER_SIZE);
  private used = 0;

  constructor(private readonly inner: WritableFile) {}

  get path(): string {
    return this.inner.path;
  }

  /** size counts the buffered bytes too. */
  get size(): number {
    return this.inner.size + this.used;
  }

  append(data: Uint8Array): void {
    if (this.used + data.length > BUFFER_SIZE) this.flush();
    if (data.length >= BUFFER_SIZE) {
      this.inner.append(data);
      return;
    }
    this.buf.set(data, this.used);
    this.used += data.length;
  }

  sync(): void {
    this.flush();
    this.inner.sync();
  }

  async syncAsync(): Promise<void> {
    this.flush();
    await this.inner.syncAsync();
  }

  /** close writes what is buffered, then closes the file (which is closed even if that write fails). */
  close(): void {
    try {
      this.flush();
    } finally {
      this.inner.close();
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0; // a failed write drops the chunk: the file is not to be trusted after it anyway
    // No copy: append does not keep the array (WritableFile.append).
    this.inner.append(this.buf.subarray(0, n));
  }
}
