/**
 * FileStore: the Store in one human-readable JSON-lines file (`store.jsonl` in its directory), for
 * development and debugging. Each line is one operation: a change set (`{"save": {namespace, changes}}`)
 * or a namespace deletion (`{"deleteNamespace": "..."}`), appended with one write, so a torn last line
 * is a torn operation, ignored at load. The file is compacted (rewritten as one line per live record,
 * through a temp file, fsync, rename and a directory fsync) when it is opened and on compact().
 */
import { join } from 'node:path';
import type { FileLock, FileSystem, WritableFile } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-fs.js';
import { BackgroundError, CorruptionError, IOError } from '../util/errors.js';
import { MemoryStore } from './memory-store.js';
import { resolveChanges } from './changes-builder.js';
import { checkName } from './key-encoding.js';
import type { Change, ChangeSet } from './store.js';

/** FileStoreOptions: `sync` fsyncs every save (default true); `fs` for tests. */
export interface FileStoreOptions {
  readonly sync?: boolean;
  readonly fs?: FileSystem;
}

const FILE = 'store.jsonl';
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const TEMP = 'store.jsonl.tmp';

/** FileStore keeps records in memory (as MemoryStore) and appends every operation to a JSON-lines file. */
export class FileStore extends MemoryStore {
  private file: WritableFile | null = null;

  /** failed: a write failed, so the file may end in half a line; no more writes until reopened. */
  private failed: Error | null = null;

  private constructor(
    private readonly dir: string,
    private readonly fs: FileSystem,
    private readonly sync: boolean,
    private readonly lock: FileLock,
  ) {
    super();
  }

  /** open loads (and compacts) the store in `dir`, creating it if needed. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    checkName('dir', dir);
    const fs = options.fs ?? new NodeFileSystem();
    fs.mkdir(dir);
    // One writer per directory: a second FileStore would interleave lines and compact under the first.
    const lock = await fs.lock(join(dir, 'LOCK'));
    const store = new FileStore(dir, fs, options.sync ?? true, lock);
    try {
      store.replay();
      store.compact();
    } catch (err) {
      lock.release();
      throw err;
    }
    return store;
  }

  override async save(changes: ChangeSet): Promise<void> {
    this.checkOpen();
    const resolved = resolveChanges(changes, this.isKnown);
    const set = { namespace: changes.namespace, changes: [...resolved.values()] };
    this.append({ save: set });
    this.map.apply(resolved);
  }

  override async deleteNamespace(namespace: string): Promise<void> {
    this.checkOpen();
    checkName('namespace', namespace);
    this.append({ deleteNamespace: namespace });
    this.map.deleteNamespace(namespace);
  }

  /** compact rewrites the file to hold only the live records. */
  compact(): void {
    this.checkOpen();
    this.file?.close();
    this.file = null;
    const tmp = join(this.dir, TEMP);
    const out = this.fs.createWritable(tmp);
    try {
      const lines: string[] = [];
      for (const json of this.map.records.values()) {
        const r = JSON.parse(json) as Change;
        lines.push(JSON.stringify({ save: { namespace: r.namespace, changes: [r] } }));
      }
      if (lines.length > 0) out.append(Buffer.from(lines.join('\n') + '\n'));
      out.sync();
    } finally {
      out.close();
    }
    this.fs.rename(tmp, join(this.dir, FILE));
    this.fs.syncDir(this.dir);
    this.file = this.fs.openAppendable(join(this.dir, FILE));
  }

  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.file?.close();
    } finally {
      this.file = null;
      this.lock.release();
    }
  }

  private append(op: unknown): void {
    if (this.failed !== null) {
      throw new BackgroundError(`the store is read-only after a failed write: ${this.failed.message}`, {
        cause: this.failed,
      });
    }
    const line = Buffer.from(JSON.stringify(op) + '\n');
    try {
      this.file!.append(line);
      if (this.sync) this.file!.sync();
    } catch (err) {
      // The line may be half written: a later line appended to it would corrupt both. Reopening
      // drops a torn last line.
      this.failed = err as Error;
      throw err;
    }
  }

  private replay(): void {
    const path = join(this.dir, FILE);
    let bytes: Uint8Array;
    try {
      bytes = this.fs.readFile(path);
    } catch (err) {
      if (err instanceof IOError && err.errno === 'ENOENT') return;
      throw err;
    }
    // Complete lines end in '\n'; whatever follows the last one is a torn append and is ignored.
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; start = nl + 1, nl = bytes.indexOf(0x0a, start)) {
      if (nl === start) continue;
      let op: { save?: ChangeSet; deleteNamespace?: string };
      try {
        op = JSON.parse(STRICT_UTF8.decode(bytes.subarray(start, nl))) as typeof op;
      } catch {
        throw new CorruptionError('a line is not valid UTF-8 JSON', path, start);
      }
      try {
        if (op.save !== undefined) this.map.apply(resolveChanges(op.save, () => true));
        else if (typeof op.deleteNamespace === 'string') this.map.deleteNamespace(op.deleteNamespace);
        else throw new CorruptionError('a line is not a store operation', path, start);
      } catch (err) {
        if (err instanceof CorruptionError) throw err;
        throw new CorruptionError(`a stored change set is malformed: ${(err as Error).message}`, path, start);
      }
    }
  }
}
