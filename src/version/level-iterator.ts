/**
 * LevelIterator walks the sorted, non-overlapping files of one level (1 and up) as one sequence,
 * opening each file's table only when the walk reaches it (LevelDB's concatenating two-level iterator).
 */
import type { InternalIterator } from '../util/internal-iterator.js';
import type { InternalKeyComparator } from '../memtable/internal-key.js';
import type { FileMetaData } from './version-edit.js';
import type { TableCache, TableReadOptions } from './table-cache.js';
import { findFile } from './version.js';

/** LevelIterator implements InternalIterator over the files of one level. */
export class LevelIterator implements InternalIterator {
  private index = -1;
  private current: InternalIterator | null = null;

  constructor(
    private readonly icmp: InternalKeyComparator,
    private readonly files: readonly FileMetaData[],
    private readonly tableCache: TableCache,
    private readonly opts: TableReadOptions,
  ) {}

  valid(): boolean {
    return this.current !== null && this.current.valid();
  }

  seekToFirst(): void {
    this.openFile(0);
    this.current?.seekToFirst();
    this.skipEmptyForward();
  }

  seekToLast(): void {
    this.openFile(this.files.length - 1);
    this.current?.seekToLast();
    this.skipEmptyBackward();
  }

  seek(target: Uint8Array): void {
    this.openFile(findFile(this.icmp, this.files, target));
    this.current?.seek(target);
    this.skipEmptyForward();
  }

  next(): void {
    this.current!.next();
    this.skipEmptyForward();
  }

  prev(): void {
    this.current!.prev();
    this.skipEmptyBackward();
  }

  key(): Uint8Array {
    return this.current!.key();
  }

  value(): Uint8Array {
    return this.current!.value();
  }

  close(): void {
    this.current?.close();
    this.current = null;
    this.index = -1;
  }

  private openFile(i: number): void {
    if (i === this.index && this.current !== null) return;
    this.current?.close();
    this.current = null;
    this.index = i;
    if (i < 0 || i >= this.files.length) return;
    const f = this.files[i]!;
    this.current = this.tableCache.iterator(f.number, f.fileSize, this.opts);
  }

  private skipEmptyForward(): void {
    while (this.current !== null && !this.current.valid()) {
      if (this.index + 1 >= this.files.length) {
        this.current.close();
        this.current = null;
        return;
      }
      this.openFile(this.index + 1);
      this.current!.seekToFirst();
    }
  }

  private skipEmptyBackward(): void {
    while (this.current !== null && !this.current.valid()) {
      if (this.index <= 0) {
        this.current.close();
        this.current = null;
        return;
      }
      this.openFile(this.index - 1);
      this.current!.seekToLast();
    }
  }
}
