/**
 * A least-recently-used cache bounded by total charge: bytes for the block cache, a count (charge 1 per
 * entry) for the table cache. A Map finds entries; a doubly linked list through them keeps the order,
 * so a hit costs one Map lookup and a few pointer moves (re-inserting into a Map on every hit, the
 * simpler way, cost three hashed Map operations and showed in read profiles).
 */

interface Entry<K, V> {
  readonly key: K;
  value: V;
  charge: number;
  newer: Entry<K, V> | null;
  older: Entry<K, V> | null;
}

/** LruCache maps keys to values and evicts the least recently used entries beyond `capacity`. */
export class LruCache<K, V> {
  private readonly map = new Map<K, Entry<K, V>>();
  private total = 0;
  private newest: Entry<K, V> | null = null;
  private oldest: Entry<K, V> | null = null;

  /**
   * @param capacity the most total charge held at once (0 disables the cache)
   * @param onEvict called with each value that leaves the cache (eviction, delete, clear)
   */
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  /** usage is the total charge of the entries held. */
  get usage(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  /** get returns the value for `key` and marks it most recently used. */
  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e !== this.newest) {
      this.unlink(e);
      this.pushNewest(e);
    }
    return e.value;
  }

  /** set inserts or replaces `key`, then evicts old entries until the charge fits. */
  set(key: K, value: V, charge = 1): void {
    if (this.capacity <= 0) {
      this.onEvict?.(key, value);
      return;
    }
    const old = this.map.get(key);
    if (old !== undefined) {
      this.unlink(old);
      this.total -= old.charge;
      const oldValue = old.value;
      old.value = value;
      old.charge = charge;
      this.pushNewest(old);
      this.total += charge;
      if (oldValue !== value) this.onEvict?.(key, oldValue);
    } else {
      const e: Entry<K, V> = { key, value, charge, newer: null, older: null };
      this.map.set(key, e);
      this.pushNewest(e);
      this.total += charge;
    }
    if (this.total > this.capacity) this.evict();
  }

  /** delete removes `key` if present. */
  delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.unlink(e);
    this.total -= e.charge;
    this.onEvict?.(key, e.value);
  }

  /** clear removes every entry (oldest first to onEvict). */
  clear(): void {
    let e = this.oldest;
    this.map.clear();
    this.total = 0;
    this.newest = null;
    this.oldest = null;
    if (this.onEvict === undefined) return;
    while (e !== null) {
      const next = e.newer;
      this.onEvict(e.key, e.value);
      e = next;
    }
  }

  /** evict drops the oldest entries until the charge fits, always keeping the newest one. */
  private evict(): void {
    while (this.total > this.capacity && this.map.size > 1) {
      const e = this.oldest!;
      this.map.delete(e.key);
      this.unlink(e);
      this.total -= e.charge;
      this.onEvict?.(e.key, e.value);
    }
  }

  private unlink(e: Entry<K, V>): void {
    if (e.newer !== null) e.newer.older = e.older;
    else this.newest = e.older;
    if (e.older !== null) e.older.newer = e.newer;
    else this.oldest = e.newer;
    e.newer = null;
    e.older = null;
  }

  private pushNewest(e: Entry<K, V>): void {
    e.older = this.newest;
    e.newer = null;
    if (this.newest !== null) this.newest.newer = e;
    else this.oldest = e;
    this.newest = e;
  }
}
