/**
 * Rolling back to a savepoint gives up the locks taken since it (PostgreSQL releases an aborted
 * subtransaction's locks): row locks and table lock modes, in the LockManager against a model over random
 * requests (property), and through transactions, where a waiter is granted at the rollback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LockManager, type LockMark, type LockOwner } from '../../src/txn/lock-manager.js';
import { CONFLICTS, TableLockMode } from '../../src/txn/table-lock.js';
import { DB, MemFileSystem } from '../../src/index.js';
import { ErrorCode } from '../../src/util/errors.js';

const owner = (): LockOwner => ({ held: [], waitingOn: null, tables: null });
const MODES: TableLockMode[] = [1, 2, 3, 4, 5, 6, 7, 8];

type Op =
  | { kind: 'row'; owner: number; row: number; exclusive: boolean }
  | { kind: 'table'; owner: number; table: number; mode: TableLockMode }
  | { kind: 'savepoint'; owner: number }
  | { kind: 'rollbackTo'; owner: number; back: number }
  | { kind: 'releaseAll'; owner: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('row' as const),
      owner: fc.nat(2),
      row: fc.nat(3),
      exclusive: fc.boolean(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('table' as const),
      owner: fc.nat(2),
      table: fc.nat(1),
      mode: fc.constantFrom(...MODES),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('savepoint' as const), owner: fc.nat(2) }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('rollbackTo' as const), owner: fc.nat(2), back: fc.nat(2) }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('releaseAll' as const), owner: fc.nat(2) }), weight: 1 },
);

/** ModelOwner: the rows an owner holds (true: exclusively), its table modes, and its savepoints. */
interface ModelOwner {
  rows: Map<number, boolean>;
  tables: Map<number, number>;
  marks: { rows: Set<number>; tables: Map<number, number>; real: LockMark }[];
}

test('rolling back to a savepoint releases exactly the locks taken since (property, against a model)', async () => {
  await fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const m = new LockManager();
      const owners = [owner(), owner(), owner()];
      const model: ModelOwner[] = owners.map(() => ({ rows: new Map(), tables: new Map(), marks: [] }));
      const othersRow = (o: number, row: number): boolean[] =>
        model.flatMap((x, i) => (i !== o && x.rows.has(row) ? [x.rows.get(row)!] : []));
      const othersTable = (o: number, t: number): number =>
        model.reduce((bits, x, i) => (i !== o ? bits | (x.tables.get(t) ?? 0) : bits), 0);
      for (const op of ops) {
        const me = model[op.owner]!;
        const o = owners[op.owner]!;
        if (op.kind === 'row') {
          const others = othersRow(op.owner, op.row);
          const mine = me.rows.get(op.row);
          const expect =
            mine === true ||
            (mine === false && (!op.exclusive || others.length === 0)) ||
            (mine === undefined && (others.length === 0 || (!op.exclusive && others.every((x) => !x))));
          assert.equal(m.tryAcquire(o, String(op.row), op.exclusive), expect, `row ${JSON.stringify(op)}`);
          if (expect) me.rows.set(op.row, mine === true || op.exclusive);
        } else if (op.kind === 'table') {
          const mine = me.tables.get(op.table) ?? 0;
          const expect =
            (mine & (1 << op.mode)) !== 0 || (othersTable(op.owner, op.table) & CONFLICTS[op.mode]!) === 0;
          assert.equal(m.tryLockTable(o, op.table, op.mode), expect, `table ${JSON.stringify(op)}`);
          if (expect) me.tables.set(op.table, mine | (1 << op.mode));
        } else if (op.kind === 'savepoint') {
          me.marks.push({ rows: new Set(me.rows.keys()), tables: new Map(me.tables), real: m.lockMark(o) });
        } else if (op.kind === 'rollbackTo') {
          if (me.marks.length === 0) continue;
          const i = Math.max(0, me.marks.length - 1 - op.back);
          const mark = me.marks[i]!;
          me.marks.length = i + 1; // the savepoint itself stays
          m.releaseSince(o, mark.real);
          for (const row of [...me.rows.keys()]) if (!mark.rows.has(row)) me.rows.delete(row);
          for (const [t, bits] of [...me.tables]) {
            const kept = bits & (mark.tables.get(t) ?? 0);
            if (kept === 0) me.tables.delete(t);
            else me.tables.set(t, kept);
          }
        } else {
          m.releaseAll(o, () => new Error('released'));
          me.rows.clear();
          me.tables.clear();
          me.marks = [];
        }
        for (let i = 0; i < owners.length; i++) {
          assert.equal(
            owners[i]!.held.length,
            model[i]!.rows.size,
            `owner ${i} holds as many rows as the model`,
          );
          for (const t of [0, 1])
            assert.equal(
              m.tableHolders(t).get(owners[i]!) ?? 0,
              model[i]!.tables.get(t) ?? 0,
              `owner ${i} table ${t}`,
            );
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('a transaction waiting for a row lock taken after a savepoint is granted at the rollback to it', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  try {
    const a = db.transaction({ pessimistic: true, isolation: 'readCommitted' });
    await a.getForUpdate('before');
    const mark = a.savepoint();
    a.put('after', 'x'); // a write takes the row's lock
    await a.getForUpdate('read-after');
    const b = db.transaction({ pessimistic: true, isolation: 'readCommitted', lockTimeout: 5000 });
    let granted = false;
    const waiting = b.getForUpdate('after').then(() => (granted = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(granted, false, 'b waits while a holds the row');
    a.rollbackToSavepoint(mark);
    await waiting;
    assert.equal(granted, true);
    await b.getForUpdate('read-after', { nowait: true }); // released too
    await assert.rejects(b.getForUpdate('before', { nowait: true }), (err: { code?: string }) => {
      assert.equal(err.code, ErrorCode.LOCK_TIMEOUT, 'a lock taken before the savepoint stays');
      return true;
    });
    b.abort();
    await a.commit();
    assert.equal(await db.get('after'), undefined, 'the write after the savepoint is undone');
  } finally {
    await db.close();
  }
});
