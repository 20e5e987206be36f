/**
 * TableSettings: the table-building options as plain data, so that a job posted to the background
 * worker can rebuild the same TableBuilderOptions there.
 */
import { bytewiseComparator } from '../util/comparator.js';
import type { CompressionType } from '../sstable/compression.js';
import { BloomFilterPolicy } from '../sstable/bloom.js';
import type { TableBuilderOptions } from '../sstable/table-builder.js';
import { InternalKeyComparator } from '../memtable/internal-key.js';

/** TableSettings are the structured-clone-friendly knobs of a TableBuilder. */
export interface TableSettings {
  readonly blockSize: number;
  readonly blockRestartInterval: number;
  readonly compression: CompressionType;
  /** bloomBitsPerKey: 0 writes no filter. */
  readonly bloomBitsPerKey: number;
}

/** WORKER_ICMP is the order every worker job uses: only bytewise-ordered databases run jobs in the worker. */
export const WORKER_ICMP = new InternalKeyComparator(bytewiseComparator);

/** tableBuilderOptions turns settings into builder options for `icmp`. */
export function tableBuilderOptions(s: TableSettings, icmp: InternalKeyComparator): TableBuilderOptions {
  return {
    comparator: icmp,
    blockSize: s.blockSize,
    blockRestartInterval: s.blockRestartInterval,
    compression: s.compression,
    filterPolicy: s.bloomBitsPerKey > 0 ? new BloomFilterPolicy(s.bloomBitsPerKey) : null,
  };
}
