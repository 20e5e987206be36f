/**
 * buildTable writes the entries of an iterator (a memtable's) to a new level-0 table file, fsynced and
 * closed (LevelDB db/builder.cc). Runs on the main thread (inline jobs) or in the background worker.
 */
import type { FileSystem } from '../env/file-system.js';
import { BufferedWritableFile } from '../env/buffered-writable-file.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import { TableBuilder, type TableBuilderOptions } from '../sstable/table-builder.js';
import { tableFileName } from '../version/file-names.js';
import { newFileMetaData, type FileMetaData } from '../version/version-edit.js';
import type { ValueSeparator } from '../vlog/value-separator.js';

/**
 * buildTable drains `iter` into table `number` in `dir`. Returns the new file's metadata, or null when
 * the iterator is empty (no file is left behind). On error the partial file is removed. With a
 * `separator`, large values go to value-log segments and the table holds pointers (the caller finishes
 * or abandons the separator).
 */
export function buildTable(
  fs: FileSystem,
  dir: string,
  number: number,
  iter: InternalIterator,
  options: TableBuilderOptions,
  separator: ValueSeparator | null = null,
): FileMetaData | null {
  iter.seekToFirst();
  if (!iter.valid()) return null;
  const path = tableFileName(dir, number);
  const file = new BufferedWritableFile(fs.createWritable(path));
  try {
    const builder = new TableBuilder(options, file);
    let smallest: Uint8Array | null = null;
    for (; iter.valid(); iter.next()) {
      let k = iter.key();
      if (separator !== null && separator.separate(k, iter.value())) {
        k = separator.key;
        builder.add(k, separator.value);
      } else {
        builder.add(k, iter.value());
      }
      smallest ??= k.slice();
    }
    const largest = builder.lastKeyCopy();
    const size = builder.finish();
    file.sync();
    file.close();
    return newFileMetaData(number, size, smallest!, largest);
  } catch (err) {
    try {
      file.close();
    } catch {
      // the first error is the one to report
    }
    try {
      fs.remove(path);
    } catch {
      // best effort
    }
    throw err;
  }
}
