/**
 * A least-recently-used cache bounded by total charge: bytes for the block cache, a count (charge 1 per
 * entry) for the table cache. A Map keeps insertion order, so re-inserting on hit makes it an LRU.
 */

/** LruCache maps keys to values and evicts the least recently used entries beyond `capacity`. */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; charge: number }>();
  private total = 0;

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
    this.map.delete(key);
    this.map.set(key, e);
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
      this.map.delete(key);
      this.total -= old.charge;
      if (old.value !== value) this.onEvict?.(key, old.value);
    }
    this.map.set(key, { value, charge });
    this.total += charge;
    if (this.total > this.capacity) this.evict();
  }

  /** delete removes `key` if present. */
  delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.total -= e.charge;
    this.onEvict?.(key, e.value);
  }

  /** clear removes every entry. */
  clear(): void {
    const entries = [...this.map];
    this.map.clear();
    this.total = 0;
    if (this.onEvict) for (const [k, e] of entries) this.onEvict(k, e.value);
  }

  private evict(): void {
    for (const [k, e] of this.map) {
      if (this.total <= this.capacity || this.map.size <= 1) break;
      this.map.delete(k);
      this.total -= e.charge;
      this.onEvict?.(k, e.value);
    }
  }
}
