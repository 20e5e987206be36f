/**
 * Conflict checks: was a key, or any key of a range, written after a given sequence number? Answered
 * from the database itself rather than from a log of recent writes: every entry carries the sequence
 * number of the write that made it, and compaction keeps every entry newer than the oldest live
 * snapshot (a transaction holds one), so the newest entry of a key tells when it was last written. No
 * tracking on the write path, nothing to bound, no false positives.
 *
 * Cost: writes newer than the transaction's snapshot are all in the memtables unless a memtable was
 * flushed since (MemTables.coveredFrom), so the usual check reads only the memtables; an older
 * transaction's check also reads tables (one seek per key, one scan per range).
 */
import { MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK, makeInternalKey, sequenceOf } from '../memtable/internal-key.js';
import type { Comparator } from '../util/comparator.js';
import type { InternalIterator } from '../util/internal-iterator.js';
import type { MemTables } from '../db/memtables.js';
import type { KeySpan } from './txn-cursor.js';

/** ConflictSource: what the checks read. @internal */
export interface ConflictSource {
  readonly memtables: MemTables;
  readonly ucmp: Comparator;
  /** internalIterator merges the memtables and every table. */
  internalIterator(): InternalIterator;
}

/** writtenAfter returns true iff `key` has an entry (a value or a deletion) newer than `seq`. */
export function writtenAfter(src: ConflictSource, key: Uint8Array, seq: number): boolean {
  const m = src.memtables;
  const newest = (it: InternalIterator): number => {
    try {
      it.seek(makeInternalKey(key, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK));
      if (!it.valid()) return -1;
      const ik = it.key();
      return src.ucmp.compare(ik.subarray(0, ik.length - 8), key) === 0 ? sequenceOf(ik) : -1;
    } finally {
      it.close();
    }
  };
  // The mutable memtable's entries are newer than the immutable ones' (newer ones first), which are
  // newer than tables'.
  let s = -1;
  for (const mem of m.all()) {
    s = mem.newestSequence(key);
    if (s >= 0) break;
  }
  if (s >= 0) return s > seq;
  if (seq + 1 >= m.coveredFrom) return false; // every later write would be in a memtable
  return newest(src.internalIterator()) > seq;
}

/** rangeWrittenAfter returns true iff some key within `span` has an entry newer than `seq`. */
export function rangeWrittenAfter(src: ConflictSource, span: KeySpan, seq: number): boolean {
  const m = src.memtables;
  for (const mem of m.all()) if (scanAfter(src, mem.iterator(), span, seq)) return true;
  if (seq + 1 >= m.coveredFrom) return false;
  return scanAfter(src, src.internalIterator(), span, seq);
}

function scanAfter(src: ConflictSource, it: InternalIterator, span: KeySpan, seq: number): boolean {
  try {
    if (span.lo === undefined) it.seekToFirst();
    else it.seek(makeInternalKey(span.lo, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK));
    for (; it.valid(); it.next()) {
      const ik = it.key();
      if (span.hi !== undefined && src.ucmp.compare(ik.subarray(0, ik.length - 8), span.hi) > 0) return false;
      if (sequenceOf(ik) > seq) return true;
    }
    return false;
  } finally {
    it.close();
  }
}

/** inSpan returns true iff `key` lies within `span`. */
export function inSpan(ucmp: Comparator, span: KeySpan, key: Uint8Array): boolean {
  return (
    (span.lo === undefined || ucmp.compare(key, span.lo) >= 0) &&
    (span.hi === undefined || ucmp.compare(key, span.hi) <= 0)
  );
}
