/**
 * Savepoints against a model: random puts, deletes, savepoints, rollbacks to them and releases; the
 * transaction's reads, its iterator and the committed result always equal a stack of maps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DB, MemFileSystem, type Savepoint } from '../../src/index.js';
import { fromUtf8 } from '../../src/util/bytes.js';

type Op =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'savepoint' }
  | { kind: 'rollback'; depth: number }
  | { kind: 'release' };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('put' as const), key, value: fc.string({ maxLength: 3 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'savepoint' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), depth: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
);

test('rolling back to a savepoint undoes exactly the writes made after it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const db = await DB.open('/db', { fs: new MemFileSystem() });
      try {
        db.put('a', 'base');
        db.put('c', 'base');
        const tx = db.transaction();
        let model = new Map([
          ['a', 'base'],
          ['c', 'base'],
        ]);
        const stack: { mark: Savepoint; state: Map<string, string> }[] = [];
        for (const o of ops) {
          if (o.kind === 'put') {
            tx.put(o.key, o.value);
            model.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            tx.delete(o.key);
            model.delete(o.key);
          } else if (o.kind === 'savepoint') stack.push({ mark: tx.savepoint(), state: new Map(model) });
          else if (o.kind === 'rollback' && stack.length > 0) {
            const i = Math.max(0, stack.length - 1 - o.depth);
            tx.rollbackToSavepoint(stack[i]!.mark);
            model = new Map(stack[i]!.state);
            stack.length = i + 1;
          } else if (o.kind === 'release' && stack.length > 0) {
            stack.pop();
            if (stack.length === 0) tx.releaseSavepoints();
          }
          for (const k of ['a', 'b', 'c', 'd', 'e']) {
            const v = tx.get(k);
            assert.equal(v === undefined ? undefined : fromUtf8(v), model.get(k));
          }
        }
        const seen = [...tx.iterator()].map(([k, v]) => `${fromUtf8(k)}=${fromUtf8(v)}`);
        assert.deepEqual(
          seen,
          [...model].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${v}`),
        );
        await tx.commit();
        const after = [...db.iterator()].map(([k, v]) => `${fromUtf8(k)}=${fromUtf8(v)}`);
        assert.deepEqual(after, seen);
      } finally {
        await db.close();
      }
    }),
    { numRuns: 150 },
  );
});
