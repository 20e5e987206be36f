/**
 * The filter block (LevelDB table/filter_block.cc): one filter per 2 KiB range of data-block offsets,
 * built from the user keys of the data blocks that start in that range. See leveldb-format.md §7.
 *
 * ```
 * filter_0 ... filter_{n-1} | fixed32 offset_i x n | fixed32 start_of_offset_array | u8 base_lg
 * ```
 */
import type { FilterPolicy } from './filter-policy.js';
import { decodeFixed32, encodeFixed32 } from '../util/coding.js';
import { InvalidArgumentError } from '../util/errors.js';
import { copyRange } from '../util/bytes.js';

// FROZEN: on-disk. Filter i covers data blocks whose file offset lies in [i << 11, (i + 1) << 11).
/** FILTER_BASE_LG is log2 of the block-offset range covered by one filter (2 KiB). */
export const FILTER_BASE_LG = 11;
const FILTER_BASE = 1 << FILTER_BASE_LG;

/**
 * FilterBlockBuilder builds a table's filter block. Calls must follow the pattern
 * `(startBlock addKey*)* finish`, with block offsets increasing.
 */
export class FilterBlockBuilder {
  private keys = new Uint8Array(1024); // the pending keys, flattened
  private keysLen = 0;
  private starts: number[] = []; // start of each pending key in `keys`
  private result: Uint8Array[] = []; // filters generated so far
  private resultLen = 0;
  private filterOffsets: number[] = [];

  constructor(private readonly policy: FilterPolicy) {}

  /** startBlock declares that the next keys belong to the data block starting at `blockOffset`. */
  startBlock(blockOffset: number): void {
    const filterIndex = Math.floor(blockOffset / FILTER_BASE);
    if (filterIndex < this.filterOffsets.length) {
      throw new InvalidArgumentError(`filter block offsets must increase (block at ${blockOffset})`);
    }
    while (filterIndex > this.filterOffsets.length) this.generateFilter();
  }

  /** addKey adds user key `key[0, end)` to the current block's filter (the key is copied). */
  addKey(key: Uint8Array, end = key.length): void {
    const need = this.keysLen + end;
    if (need > this.keys.length) {
      const next = new Uint8Array(Math.max(need, this.keys.length * 2));
      next.set(this.keys.subarray(0, this.keysLen));
      this.keys = next;
    }
    this.starts.push(this.keysLen);
    this.keysLen = copyRange(this.keys, this.keysLen, key, 0, end);
  }

  /** finish returns the filter block contents (a new array). */
  finish(): Uint8Array {
    if (this.starts.length > 0) this.generateFilter();
    const n = this.filterOffsets.length;
    const out = new Uint8Array(this.resultLen + n * 4 + 5);
    let pos = 0;
    for (const f of this.result) {
      out.set(f, pos);
      pos += f.length;
    }
    const arrayOffset = pos;
    for (let i = 0; i < n; i++, pos += 4) encodeFixed32(out, pos, this.filterOffsets[i]!);
    encodeFixed32(out, pos, arrayOffset);
    out[pos + 4] = FILTER_BASE_LG;
    return out;
  }

  private generateFilter(): void {
    const numKeys = this.starts.length;
    this.filterOffsets.push(this.resultLen);
    // An empty range gets an empty filter (it matches nothing).
    if (numKeys === 0) return;
    const policy = this.policy;
    let filter: Uint8Array;
    if (policy.createPackedFilter !== undefined) {
      filter = policy.createPackedFilter(this.keys, this.starts, this.keysLen);
    } else {
      const keys: Uint8Array[] = new Array<Uint8Array>(numKeys);
      for (let i = 0; i < numKeys; i++) {
        const end = i + 1 < numKeys ? this.starts[i + 1]! : this.keysLen;
        keys[i] = this.keys.subarray(this.starts[i]!, end);
      }
      filter = policy.createFilter(keys);
    }
    this.result.push(filter);
    this.resultLen += filter.length;
    this.starts.length = 0;
    this.keysLen = 0;
  }
}

/**
 * FilterBlockReader answers "may the data block at this offset hold this user key?". A malformed filter
 * block never throws: the answer is then "may match", so reads fall through to the data block.
 */
export class FilterBlockReader {
  private readonly data: Uint8Array;
  private readonly offsetStart: number; // start of the offset array
  private readonly num: number; // number of filters
  private readonly baseLg: number;

  constructor(
    private readonly policy: FilterPolicy,
    contents: Uint8Array,
  ) {
    this.data = contents;
    const n = contents.length;
    this.offsetStart = 0;
    this.num = 0;
    this.baseLg = 0;
    if (n < 5) return; // 1 byte for base_lg and 4 for the start of the offset array
    const lastWord = decodeFixed32(contents, n - 5);
    if (lastWord > n - 5) return;
    this.baseLg = contents[n - 1]!;
    this.offsetStart = lastWord;
    this.num = Math.floor((n - 5 - lastWord) / 4);
  }

  /** keyMayMatch returns false only if `userKey` is certainly not in the data block at `blockOffset`. */
  keyMayMatch(blockOffset: number, userKey: Uint8Array): boolean {
    return this.mayMatch(blockOffset, userKey, userKey.length, undefined);
  }

  /**
   * mayMatch is keyMayMatch for the user key `key[0, userLen)`, given its hash when the caller has it
   * (see FilterPolicy.hashKey): the policy then probes the filter in place, with no views made.
   */
  mayMatch(blockOffset: number, key: Uint8Array, userLen: number, hash: number | undefined): boolean {
    const index = Math.floor(blockOffset / 2 ** this.baseLg);
    if (index < this.num) {
      const d = this.data;
      const start = decodeFixed32(d, this.offsetStart + index * 4);
      const limit = decodeFixed32(d, this.offsetStart + index * 4 + 4);
      if (start <= limit && limit <= this.offsetStart) {
        const policy = this.policy;
        if (hash !== undefined && policy.hashMayMatch !== undefined)
          return policy.hashMayMatch(hash, d, start, limit);
        return policy.keyMayMatch(key.subarray(0, userLen), d.subarray(start, limit));
      } else if (start === limit) {
        return false; // an empty filter matches no key
      }
    }
    return true; // errors are treated as potential matches
  }
}
