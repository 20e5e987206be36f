/**
 * ShaleLevel: shale as an abstract-level database, so that the Level ecosystem (sublevels, encodings,
 * level-read-stream, ...) runs on it. The engine's API is synchronous, so each operation completes
 * within the call and the promise only carries the result: no hop to a thread pool per call. Iterators
 * hand out entries in batches (nextv, all) straight from the engine's cursor.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- abstract-level's private (_-prefixed) API is untyped */
import { AbstractIterator, AbstractLevel, AbstractSnapshot } from 'abstract-level';
import ModuleError from 'module-error';
import { DB, type IteratorOptions } from '../db/db.js';
import type { Options } from '../db/options.js';
import { WriteBatch } from '../db/write-batch.js';
import type { Snapshot } from '../db/snapshot.js';
import type { Iterator as EngineIterator } from '../db/iterator.js';
import { COPY_BYTES, type ValueCopier } from '../db/value-copier.js';
import { ErrorCode, ShaleError } from '../util/errors.js';
import { compareBytes, toBytes } from '../util/bytes.js';

/** ShaleLevelOptions are the engine's options plus abstract-level's constructor options. */
export type ShaleLevelOptions = Options & { keyEncoding?: any; valueEncoding?: any };

const kEngineSnapshot = Symbol('engineSnapshot');
const decoder = new TextDecoder();

/**
 * The copiers of point reads, one per abstract-level format: a Buffer or a string made straight from the
 * engine's bytes (a Uint8Array copy first, then a Buffer view of it or a decode, cost a third more).
 */
const TO_UTF8: ValueCopier<string> = {
  copy: (src, start, end) => decoder.decode(src.subarray(start, end)),
  adopt: (v) => decoder.decode(v),
};
const TO_BUFFER: ValueCopier<Buffer> = {
  copy: (src, start, end) => {
    const b = Buffer.allocUnsafe(end - start);
    b.set(start === 0 && end === src.length ? src : src.subarray(start, end));
    return b;
  },
  adopt: (v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength),
};

/** copierFor returns the copier of abstract-level's `format` ('utf8', 'buffer' or 'view'). */
function copierFor(format: string): ValueCopier<unknown> {
  return format === 'utf8' ? TO_UTF8 : format === 'buffer' ? TO_BUFFER : COPY_BYTES;
}

/** fromView converts a view the engine will reuse: strings decode from it, bytes are copied. */
function fromView(v: Uint8Array, format: string): any {
  if (format === 'utf8') return decoder.decode(v);
  if (format === 'buffer') return Buffer.from(v);
  return v.slice();
}

/** levelError gives an engine error the code the Level ecosystem checks (LEVEL_LOCKED, ...). */
function levelError(err: unknown): unknown {
  if (!(err instanceof ShaleError)) return err;
  const code =
    err.code === ErrorCode.LOCKED
      ? 'LEVEL_LOCKED'
      : err.code === ErrorCode.CORRUPTION
        ? 'LEVEL_CORRUPTION'
        : err.code === ErrorCode.CLOSED
          ? 'LEVEL_DATABASE_NOT_OPEN'
          : err.code === ErrorCode.INVALID_ARGUMENT
            ? 'LEVEL_INVALID_VALUE'
            : err.code === ErrorCode.NOT_FOUND
              ? 'LEVEL_DATABASE_NOT_OPEN'
              : err.code === ErrorCode.IO
                ? 'LEVEL_IO_ERROR'
                : err.code === ErrorCode.NOT_SUPPORTED
                  ? 'LEVEL_NOT_SUPPORTED'
                  : 'LEVEL_BACKGROUND_ERROR';
  return new ModuleError(err.message, { code, cause: err });
}

function engineSnapshot(options: any): Snapshot | undefined {
  const s = options?.snapshot;
  return s == null ? undefined : (s as ShaleSnapshot)[kEngineSnapshot];
}

function rangeOf(options: any): IteratorOptions {
  const r: IteratorOptions = {};
  if (options.gt !== undefined) r.gt = options.gt;
  if (options.gte !== undefined) r.gte = options.gte;
  if (options.lt !== undefined) r.lt = options.lt;
  if (options.lte !== undefined) r.lte = options.lte;
  return r;
}

/** outOfRange tells whether `key` lies outside the iterator's range (bytewise order). */
function outOfRange(key: Uint8Array, r: IteratorOptions): boolean {
  const cmp = (b: Uint8Array | string): number => compareBytes(key, toBytes(b, 'range bound'));
  if (r.gt !== undefined && cmp(r.gt) <= 0) return true;
  if (r.gte !== undefined && cmp(r.gte) < 0) return true;
  if (r.lt !== undefined && cmp(r.lt) >= 0) return true;
  if (r.lte !== undefined && cmp(r.lte) > 0) return true;
  return false;
}

/** ShaleSnapshot is an explicit snapshot: an engine snapshot released when closed. */
class ShaleSnapshot extends AbstractSnapshot {
  readonly [kEngineSnapshot]: Snapshot;

  constructor(options: any, snap: Snapshot) {
    // @ts-expect-error -- the published types omit the constructor's options (owner) argument
    super(options);
    this[kEngineSnapshot] = snap;
  }

  async _close(): Promise<void> {
    try {
      this[kEngineSnapshot].release();
    } catch {
      // the database closed first: the engine released it already
    }
  }
}

/** ShaleIterator walks an engine cursor, in batches for nextv() and all(). */
class ShaleIterator extends AbstractIterator<ShaleLevel, any, any> {
  private readonly it: EngineIterator | null;
  /** deferred: why the engine iterator could not be created (a closed snapshot); thrown on use. */
  private readonly deferred: Error | null = null;
  private readonly reverse: boolean;
  private readonly keys: boolean;
  private readonly values: boolean;
  private readonly keyFormat: string;
  private readonly valueFormat: string;
  private started = false;
  /** exhausted: a seek went outside the range, so nothing is left (abstract-level's rule). */
  private exhausted = false;
  private readonly range: IteratorOptions;
  private readonly signal: AbortSignal | null;

  constructor(db: ShaleLevel, engine: DB, options: any) {
    super(db, options);
    this.reverse = options.reverse === true;
    this.keys = options.keys !== false;
    this.values = options.values !== false;
    this.keyFormat = options.keyEncoding;
    this.valueFormat = options.valueEncoding;
    this.range = rangeOf(options);
    this.signal = options.signal ?? null;
    let it: EngineIterator | null = null;
    try {
      it = engine.iterator({ ...this.range, snapshot: engineSnapshot(options) });
    } catch (err) {
      if (options.snapshot == null || !(err instanceof ShaleError) || err.code !== ErrorCode.CLOSED)
        throw levelError(err);
      this.deferred = new ModuleError('Snapshot is not open', {
        code: 'LEVEL_SNAPSHOT_NOT_OPEN',
        cause: err,
      });
    }
    this.it = it;
  }

  /** checkSignal lets an abort issued right after the call take effect, as for a native iterator. */
  private async checkSignal(): Promise<void> {
    if (this.signal === null) return;
    await undefined;
    if (this.signal.aborted) {
      const err = new ModuleError('Iterator has been aborted', { code: 'LEVEL_ABORTED' });
      err.name = 'AbortError';
      throw err;
    }
  }

  private cursor(): EngineIterator {
    if (this.it === null) throw this.deferred!;
    return this.it;
  }

  private first(): void {
    this.cursor();
    if (this.started) return;
    this.started = true;
    if (this.reverse) this.it!.seekToLast();
    else this.it!.seekToFirst();
  }

  private entry(): [any, any] {
    const k = this.keys ? fromView(this.it!.keyView(), this.keyFormat) : undefined;
    const v = this.values ? fromView(this.it!.valueView(), this.valueFormat) : undefined;
    if (this.reverse) this.it!.prev();
    else this.it!.next();
    return [k, v];
  }

  _seek(target: any): void {
    this.started = true;
    this.exhausted = outOfRange(toBytes(target, 'seek target'), this.range);
    if (this.exhausted || this.it === null) return;
    if (this.reverse) this.it!.seekForPrev(target);
    else this.it!.seek(target);
  }

  async _next(): Promise<any> {
    await this.checkSignal();
    this.cursor();
    if (this.exhausted) return undefined;
    this.first();
    return this.it!.valid() ? this.entry() : undefined;
  }

  async _nextv(size: number): Promise<any[]> {
    await this.checkSignal();
    this.cursor();
    if (this.exhausted) return [];
    this.first();
    const out: any[] = [];
    while (out.length < size && this.it!.valid()) out.push(this.entry());
    return out;
  }

  async _all(): Promise<any[]> {
    await this.checkSignal();
    this.cursor();
    if (this.exhausted) return [];
    this.first();
    const out: any[] = [];
    const limit = this.limit - this.count;
    while (out.length < limit && this.it!.valid()) out.push(this.entry());
    return out;
  }

  async _close(): Promise<void> {
    this.it?.close();
  }
}

/** ShaleLevel is an abstract-level database backed by a shale DB in `location`. */
export class ShaleLevel extends AbstractLevel<string | Uint8Array | Buffer, any, any> {
  readonly location: string;
  private readonly engineOptions: Options;
  private engine: DB | null = null;

  constructor(location: string, options: ShaleLevelOptions = {}) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string");
    }
    super(
      {
        encodings: { buffer: true, utf8: true, view: true },
        has: true,
        getSync: true,
        seek: true,
        permanence: true,
        createIfMissing: true,
        errorIfExists: true,
        implicitSnapshots: true,
        explicitSnapshots: true,
        additionalMethods: { approximateSize: true, compactRange: true, getProperty: true },
        signals: { iterators: true },
      } as any,
      options as any,
    );
    this.location = location;
    const { keyEncoding: _k, valueEncoding: _v, ...engineOptions } = options;
    this.engineOptions = engineOptions;
  }

  /** db is the engine underneath (open databases only), for the engine's own API. */
  get db(): DB {
    if (this.engine === null) {
      throw new ModuleError('Database is not open', { code: 'LEVEL_DATABASE_NOT_OPEN' });
    }
    return this.engine;
  }

  async _open(options: any): Promise<void> {
    try {
      this.engine = await DB.open(this.location, {
        ...this.engineOptions,
        createIfMissing: options.createIfMissing !== false,
        errorIfExists: options.errorIfExists === true,
      });
    } catch (err) {
      throw levelError(err);
    }
  }

  async _close(): Promise<void> {
    const e = this.engine;
    this.engine = null;
    if (e !== null) await e.close();
  }

  /**
   * get reads through getSync once the database is open: the engine's read is synchronous, and
   * abstract-level's get would wrap it in two promises (its own and _get's) and an extra microtask turn,
   * a third of a cached read's time. Errors still reject; before open (and after close) it defers or
   * rejects as abstract-level's get does.
   */
  override get(key: any, options?: any): Promise<any> {
    if (this.status !== 'open') return super.get(key, options);
    try {
      return Promise.resolve(
        this.getSync(key, typeof options === 'object' && options !== null ? options : undefined),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async _get(key: any, options: any): Promise<any> {
    return this._getSync(key, options);
  }

  // The point read every get and getSync ends in, so it makes nothing per call that a plain read does not
  // need: no closure (this.call), and no options object unless a snapshot or fillCache asks for one.
  _getSync(key: any, options: any): any {
    const copier = copierFor(options.valueEncoding);
    try {
      return options.snapshot == null && options.fillCache === undefined
        ? this.engine!.getWith(key, undefined, copier)
        : this.engine!.getWith(
            key,
            { snapshot: engineSnapshot(options), fillCache: options.fillCache },
            copier,
          );
    } catch (err) {
      throw levelError(err);
    }
  }

  async _getMany(keys: any[], options: any): Promise<any[]> {
    const snapshot = engineSnapshot(options);
    const copier = copierFor(options.valueEncoding);
    return this.call(() =>
      keys.map((k) => this.engine!.getWith(k, { snapshot, fillCache: options.fillCache }, copier)),
    );
  }

  async _has(key: any, options: any): Promise<boolean> {
    return this.call(() =>
      this.engine!.has(key, { snapshot: engineSnapshot(options), fillCache: options.fillCache }),
    );
  }

  async _hasMany(keys: any[], options: any): Promise<boolean[]> {
    const snapshot = engineSnapshot(options);
    return this.call(() => keys.map((k) => this.engine!.has(k, { snapshot, fillCache: options.fillCache })));
  }

  // Writes with `sync` go through the engine's group commit: concurrent callers share one fsync, run off
  // the main thread. Other writes are applied synchronously (they are in the OS when the call returns).
  async _put(key: any, value: any, options: any): Promise<void> {
    if (options.sync === true) return this.callAsync(() => this.engine!.putAsync(key, value, { sync: true }));
    this.call(() => this.engine!.put(key, value));
  }

  async _del(key: any, options: any): Promise<void> {
    if (options.sync === true) return this.callAsync(() => this.engine!.deleteAsync(key, { sync: true }));
    this.call(() => this.engine!.delete(key));
  }

  async _batch(operations: any[], options: any): Promise<void> {
    const b = new WriteBatch();
    for (const op of operations) {
      if (op.type === 'put') b.put(op.key, op.value);
      else b.delete(op.key);
    }
    if (options.sync === true) return this.callAsync(() => this.engine!.writeAsync(b, { sync: true }));
    this.call(() => this.engine!.write(b));
  }

  async _clear(options: any): Promise<void> {
    const engine = this.engine!;
    const it = engine.iterator({ ...rangeOf(options), snapshot: engineSnapshot(options) });
    try {
      const limit = options.limit === undefined || options.limit < 0 ? Infinity : options.limit;
      const reverse = options.reverse === true;
      let n = 0;
      let batch = new WriteBatch();
      if (reverse) it.seekToLast();
      else it.seekToFirst();
      // Deletions are written in batches of 1000; the iterator reads its own snapshot throughout.
      while (it.valid() && n < limit) {
        batch.delete(it.key());
        n++;
        if (batch.count === 1000) {
          this.call(() => engine.write(batch));
          batch = new WriteBatch();
        }
        if (reverse) it.prev();
        else it.next();
      }
      if (batch.count > 0) this.call(() => engine.write(batch));
    } finally {
      it.close();
    }
  }

  _iterator(options: any): any {
    return new ShaleIterator(this, this.engine!, options);
  }

  _snapshot(options: any): any {
    return new ShaleSnapshot(options, this.engine!.snapshot());
  }

  /** approximateSize returns about how many bytes of tables hold keys in [start, end). */
  async approximateSize(start: any, end: any, options?: any): Promise<number> {
    if (arguments.length < 2) throw new TypeError("The arguments 'start' and 'end' are required");
    if (this.status === 'opening') return this.deferAsync(() => this.approximateSize(start, end, options));
    if (this.status !== 'open') {
      throw new ModuleError('Database is not open: cannot call approximateSize()', {
        code: 'LEVEL_DATABASE_NOT_OPEN',
      });
    }
    const enc = this.keyEncoding(options?.keyEncoding);
    const a = enc.encode(start);
    const b = enc.encode(end);
    return this.call(() => this.engine!.approximateSizes([[a, b]])[0]!);
  }

  /** compactRange compacts the tables holding keys in [start, end]. */
  async compactRange(start: any, end: any, options?: any): Promise<void> {
    if (arguments.length < 2) throw new TypeError("The arguments 'start' and 'end' are required");
    if (this.status === 'opening') return this.deferAsync(() => this.compactRange(start, end, options));
    if (this.status !== 'open') {
      throw new ModuleError('Database is not open: cannot call compactRange()', {
        code: 'LEVEL_DATABASE_NOT_OPEN',
      });
    }
    const enc = this.keyEncoding(options?.keyEncoding);
    try {
      await this.engine!.compactRange(enc.encode(start), enc.encode(end));
    } catch (err) {
      throw levelError(err);
    }
  }

  /** getProperty returns an engine property (leveldb.stats, leveldb.num-files-at-level0, ...). */
  getProperty(property: string): string | undefined {
    if (typeof property !== 'string') throw new TypeError("The first argument 'property' must be a string");
    if (this.status !== 'open') {
      throw new ModuleError('Database is not open: cannot call getProperty()', {
        code: 'LEVEL_DATABASE_NOT_OPEN',
      });
    }
    return this.engine!.getProperty(property);
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw levelError(err);
    }
  }

  private async callAsync<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw levelError(err);
    }
  }
}
