/**
 * TableInputIterator reads a run of table files front to back for a compaction: one file at a time,
 * no block cache (compaction reads must not push readers' blocks out), checksums verified.
 */
import { join } from 'node:path';
import type { FileSystem, RandomAccessFile } from '../env/file-system.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import { Table } from '../sstable/table.js';
import { IOError, NotSupportedError } from '../util/errors.js';
import { sstTableFileName, tableFileName } from '../version/file-names.js';

/** InputFile names one table to read. */
export interface InputFile {
  readonly number: number;
  readonly fileSize: number;
}

/** TableInputIterator is a forward-only InternalIterator over `files` in order. */
export class TableInputIterator implements InternalIterator {
  private index = -1;
  private file: RandomAccessFile | null = null;
  private iter: InternalIterator | null = null;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly files: readonly InputFile[],
    private readonly icmp: InternalKeyComparator,
    private readonly verifyChecksums: boolean,
  ) {}

  valid(): boolean {
    return this.iter !== null && this.iter.valid();
  }

  seekToFirst(): void {
    this.open(0);
    this.iter?.seekToFirst();
    this.skipEmpty();
  }

  next(): void {
    this.iter!.next();
    this.skipEmpty();
  }

  key(): Uint8Array {
    return this.iter!.key();
  }

  value(): Uint8Array {
    return this.iter!.value();
  }

  seekToLast(): void {
    throw new NotSupportedError('compaction inputs are read forward only');
  }

  seek(): void {
    throw new NotSupportedError('compaction inputs are read forward only');
  }

  prev(): void {
    throw new NotSupportedError('compaction inputs are read forward only');
  }

  close(): void {
    this.closeCurrent();
    this.index = this.files.length;
  }

  private skipEmpty(): void {
    while (this.iter !== null && !this.iter.valid()) {
      this.open(this.index + 1);
      this.iter?.seekToFirst();
    }
  }

  private closeCurrent(): void {
    this.iter?.close();
    this.iter = null;
    this.file?.close();
    this.file = null;
  }

  private open(i: number): void {
    this.closeCurrent();
    this.index = i;
    if (i >= this.files.length) return;
    const f = this.files[i]!;
    let path = tableFileName(this.dir, f.number);
    try {
      this.file = this.fs.openRandomAccess(path);
    } catch (err) {
      if (!(err instanceof IOError && err.errno === 'ENOENT')) throw err;
      path = sstTableFileName(this.dir, f.number);
      this.file = this.fs.openRandomAccess(join(path));
    }
    const table = Table.open(this.file, f.fileSize, {
      comparator: this.icmp,
      filterPolicy: null,
      blockCache: null,
      fileName: path,
      verifyChecksums: this.verifyChecksums,
    });
    this.iter = table.iterator({ fillCache: false, verifyChecksums: this.verifyChecksums });
  }
}
