/**
 * A sorted-map model of the database for property tests: keys and values as hex strings, with frozen
 * copies for snapshots.
 */
import { compareBytes, toHex } from '../../src/util/bytes.js';

/** Model is the reference implementation the engine is compared with. */
export class Model {
  map = new Map<string, Uint8Array>();
  keys = new Map<string, Uint8Array>();

  put(k: Uint8Array, v: Uint8Array): void {
    const h = toHex(k);
    this.map.set(h, v.slice());
    this.keys.set(h, k.slice());
  }

  delete(k: Uint8Array): void {
    this.map.delete(toHex(k));
  }

  get(k: Uint8Array): Uint8Array | undefined {
    return this.map.get(toHex(k));
  }

  clone(): Model {
    const m = new Model();
    m.map = new Map(this.map);
    m.keys = new Map(this.keys);
    return m;
  }

  /** range returns the sorted entries within the bounds. */
  range(
    o: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array } = {},
  ): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const [h, v] of this.map) {
      const k = this.keys.get(h)!;
      if (o.gt !== undefined && compareBytes(k, o.gt) <= 0) continue;
      if (o.gte !== undefined && compareBytes(k, o.gte) < 0) continue;
      if (o.lt !== undefined && compareBytes(k, o.lt) >= 0) continue;
      if (o.lte !== undefined && compareBytes(k, o.lte) > 0) continue;
      out.push([k, v]);
    }
    out.sort((a, b) => compareBytes(a[0], b[0]));
    return out;
  }
}
