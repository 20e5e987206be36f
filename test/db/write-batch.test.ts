import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemTable } from '../../src/memtable/memtable.js';
import { InternalKeyComparator, ValueType } from '../../src/memtable/internal-key.js';
import { bytewiseComparator } from '../../src/util/comparator.js';
import { toHex } from '../../src/util/bytes.js';
import { WriteBatch, insertEncodedBatch, iterateBatch } from '../../src/db/write-batch.js';

const dump = (mem: MemTable): string[] => {
  const out: string[] = [];
  const it = mem.iterator();
  for (it.seekToFirst(); it.valid(); it.next()) out.push(`${toHex(it.key())}=${toHex(it.value())}`);
  return out;
};

test('insertEncodedBatch fills a memtable exactly as decoding the batch and adding each op', () => {
  const op = fc.oneof(
    fc.record({ put: fc.uint8Array({ maxLength: 300 }), value: fc.uint8Array({ maxLength: 400 }) }),
    fc.record({ del: fc.uint8Array({ maxLength: 300 }) }),
  );
  fc.assert(
    fc.property(
      fc.array(op, { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 1e9 }),
      (ops, seq) => {
        const b = new WriteBatch();
        for (const o of ops) {
          if ('put' in o) b.put(o.put, o.value);
          else b.delete(o.del);
        }
        const rep = b.encodeWithSequence(seq);
        const icmp = new InternalKeyComparator(bytewiseComparator);
        const fast = new MemTable(icmp);
        insertEncodedBatch(rep, seq, fast);
        const slow = new MemTable(icmp);
        let s = seq;
        iterateBatch(rep, {
          put: (k, v) => slow.add(s++, ValueType.VALUE, k, v),
          delete: (k) => slow.add(s++, ValueType.DELETION, k, new Uint8Array(0)),
        });
        assert.deepEqual(dump(fast), dump(slow));
        assert.equal(dump(fast).length, ops.length);
      },
    ),
    { numRuns: 200 },
  );
});
