/**
 * Table locks in the LockManager: PostgreSQL's conflict table, grants against a simple model of a lock
 * table over random requests and releases (property), the order waiters are woken in, deadlocks through a
 * table lock (with another table lock, and with a row lock), and NOWAIT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LockManager, type LockOwner } from '../../src/txn/lock-manager.js';
import { CONFLICTS, TableLockMode, modesConflict } from '../../src/txn/table-lock.js';
import { ErrorCode } from '../../src/util/errors.js';

const { ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE, ACCESS_EXCLUSIVE } = TableLockMode;
type Mode = TableLockMode;
const MODES: Mode[] = [1, 2, 3, 4, 5, 6, 7, 8];

const owner = (): LockOwner => ({ held: [], waitingOn: null, tables: null });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const name = (): string => 'relation "t"';

test('the conflict table is PostgreSQL\'s (docs: "Conflicting Lock Modes")', () => {
  // Rows: requested mode 1..8; an X where PostgreSQL's table marks a conflict.
  const pg = ['.......X', '......XX', '....XXXX', '...XXXXX', '..XX.XXX', '..XXXXXX', '.XXXXXXX', 'XXXXXXXX'];
  for (const a of MODES)
    for (const b of MODES) {
      assert.equal(modesConflict(a, b), pg[a - 1]![b - 1] === 'X', `modes ${a} and ${b}`);
      assert.equal(modesConflict(a, b), modesConflict(b, a), 'symmetric');
    }
  assert.equal(CONFLICTS.length, 9);
});

type Op =
  | { kind: 'lock'; owner: number; table: number; mode: Mode; wait: boolean }
  | { kind: 'release'; owner: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('lock' as const),
      owner: fc.nat(3),
      table: fc.nat(1),
      mode: fc.constantFrom(...MODES),
      wait: fc.boolean(),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), owner: fc.nat(3) }), weight: 1 },
);

test('table locks agree with a model lock table over random requests (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
      const m = new LockManager();
      const owners = [0, 1, 2, 3].map(owner);
      // The model: which modes each owner holds on each table, and who waits (in order) for what.
      const held = new Map<string, number>(); // `${owner}/${table}` -> mode bits
      const heldBy = (o: number, t: number): number => held.get(`${o}/${t}`) ?? 0;
      const others = (o: number, t: number): number => {
        let bits = 0;
        for (let x = 0; x < owners.length; x++) if (x !== o) bits |= heldBy(x, t);
        return bits;
      };
      const waiting = new Map<number, { table: number; mode: Mode }>();
      const check = (): void => {
        for (const t of [0, 1]) {
          const real = m.tableHolders(t);
          for (let o = 0; o < owners.length; o++) {
            assert.equal(real.get(owners[o]!) ?? 0, heldBy(o, t), `owner ${o} on table ${t}`);
            for (const mode of MODES)
              if ((heldBy(o, t) & (1 << mode)) !== 0)
                assert.equal(others(o, t) & CONFLICTS[mode]!, 0, 'no two holders hold conflicting modes');
          }
        }
        for (let o = 0; o < owners.length; o++)
          assert.equal(
            owners[o]!.waitingOn !== null,
            waiting.has(o),
            `owner ${o} waits iff the model says so`,
          );
      };
      const pending: Promise<void>[] = [];
      for (const op of ops) {
        if (op.kind === 'release') {
          m.releaseAll(owners[op.owner]!, () => new Error('released'));
          waiting.delete(op.owner);
          for (const t of [0, 1]) held.delete(`${op.owner}/${t}`);
        } else if (waiting.has(op.owner)) {
          continue; // one wait at a time
        } else {
          const o = owners[op.owner]!;
          const queued = [...waiting.values()].filter((w) => w.table === op.table);
          const mine = heldBy(op.owner, op.table);
          const expect =
            (mine & (1 << op.mode)) !== 0 ||
            ((others(op.owner, op.table) & CONFLICTS[op.mode]!) === 0 &&
              (mine !== 0 || queued.every((w) => !modesConflict(w.mode, op.mode))));
          if (!op.wait) {
            assert.equal(
              m.tryLockTable(o, op.table, op.mode),
              expect,
              'tryLockTable grants iff the model does',
            );
            if (expect) held.set(`${op.owner}/${op.table}`, mine | (1 << op.mode));
          } else {
            const key = `${op.owner}/${op.table}`;
            let done = false;
            const p = m.lockTable(o, op.table, op.mode, Infinity, name).then(
              () => {
                done = true;
                waiting.delete(op.owner);
                held.set(key, (held.get(key) ?? 0) | (1 << op.mode));
              },
              (err: { code?: string }) => {
                done = true;
                waiting.delete(op.owner);
                assert.ok(
                  err.code === ErrorCode.DEADLOCK || (err as Error).message === 'released',
                  String(err),
                );
              },
            );
            pending.push(p);
            if (!expect) waiting.set(op.owner, { table: op.table, mode: op.mode });
            await tick();
            if (expect) assert.ok(done, 'a grantable request is granted at once');
          }
        }
        await tick();
        check();
      }
      for (const o of owners) m.releaseAll(o, () => new Error('released'));
      await Promise.all(pending);
      for (const t of [0, 1]) assert.equal(m.tableHolders(t).size, 0, 'nothing is held at the end');
    }),
    { numRuns: 200 },
  );
});

test('waiters are woken in queue order, each once nothing held or queued ahead conflicts', async () => {
  const m = new LockManager();
  const [a, b, c, d, e] = [owner(), owner(), owner(), owner(), owner()];
  assert.ok(m.tryLockTable(a, 1, ACCESS_EXCLUSIVE));
  const got: string[] = [];
  const wait = (o: LockOwner, mode: Mode, label: string): Promise<void> =>
    m.lockTable(o, 1, mode, Infinity, name).then(() => void got.push(label));
  const all = [
    wait(b, ACCESS_SHARE, 'b'),
    wait(c, ROW_EXCLUSIVE, 'c'),
    wait(d, ACCESS_EXCLUSIVE, 'd'),
    wait(e, ACCESS_SHARE, 'e'),
  ];
  await tick();
  assert.deepEqual(got, []);
  // A newcomer queues behind the waiters it conflicts with (behind d), even though only a holds the lock.
  assert.equal(m.tryLockTable(owner(), 1, ACCESS_SHARE), false);
  m.releaseAll(a, () => new Error('x'));
  await tick();
  assert.deepEqual(got, ['b', 'c'], 'b and c go together; d waits for them, e behind d');
  m.releaseAll(b, () => new Error('x'));
  await tick();
  assert.deepEqual(got, ['b', 'c']);
  m.releaseAll(c, () => new Error('x'));
  await tick();
  assert.deepEqual(got, ['b', 'c', 'd']);
  m.releaseAll(d, () => new Error('x'));
  await Promise.all(all);
  assert.deepEqual(got, ['b', 'c', 'd', 'e']);
});

test('a holder asking for more goes ahead of the queue (no wait behind a waiter that waits for it)', async () => {
  const m = new LockManager();
  const [a, c] = [owner(), owner()];
  assert.ok(m.tryLockTable(a, 1, ROW_EXCLUSIVE));
  const waiting = m.lockTable(c, 1, ACCESS_EXCLUSIVE, Infinity, name);
  await tick();
  assert.ok(m.tryLockTable(a, 1, ACCESS_SHARE));
  assert.ok(m.tryLockTable(a, 1, ROW_SHARE));
  assert.equal(m.tryLockTable(a, 1, SHARE), true, 'SHARE conflicts only with its own ROW EXCLUSIVE');
  m.releaseAll(a, () => new Error('x'));
  await waiting;
  assert.ok(m.holdsTable(c, 1, ACCESS_EXCLUSIVE));
});

test('two holders upgrading to ACCESS EXCLUSIVE: the second is a deadlock', async () => {
  const m = new LockManager();
  const [a, b] = [owner(), owner()];
  assert.ok(m.tryLockTable(a, 1, ACCESS_SHARE));
  assert.ok(m.tryLockTable(b, 1, ACCESS_SHARE));
  const first = m.lockTable(a, 1, ACCESS_EXCLUSIVE, Infinity, name);
  await assert.rejects(m.lockTable(b, 1, ACCESS_EXCLUSIVE, Infinity, name), { code: ErrorCode.DEADLOCK });
  m.releaseAll(b, () => new Error('x'));
  await first;
  assert.ok(m.holdsTable(a, 1, ACCESS_EXCLUSIVE));
});

test('a deadlock through a table lock and a row lock is detected, whichever waits last', async () => {
  // a holds a row lock and waits for the table b reads; b then wants a's row.
  const m = new LockManager();
  const [a, b] = [owner(), owner()];
  assert.ok(m.tryAcquire(a, 'row'));
  assert.ok(m.tryLockTable(b, 1, ACCESS_SHARE));
  const aWaits = m.lockTable(a, 1, ACCESS_EXCLUSIVE, Infinity, name);
  await assert.rejects(
    m.acquire(b, 'row', Infinity, () => 'row'),
    { code: ErrorCode.DEADLOCK },
  );
  m.releaseAll(b, () => new Error('x'));
  await aWaits;

  // The other way round: b waits for a's row first, then a asks for the table b holds.
  const m2 = new LockManager();
  const [c, d] = [owner(), owner()];
  assert.ok(m2.tryAcquire(c, 'row'));
  assert.ok(m2.tryLockTable(d, 1, ROW_EXCLUSIVE));
  const dWaits = m2.acquire(d, 'row', Infinity, () => 'row');
  await assert.rejects(m2.lockTable(c, 1, ACCESS_EXCLUSIVE, Infinity, name), { code: ErrorCode.DEADLOCK });
  m2.releaseAll(c, () => new Error('x'));
  await dWaits;
});

test('NOWAIT and lock timeouts fail with LockTimeoutError and leave nothing queued', async () => {
  const m = new LockManager();
  const [a, b] = [owner(), owner()];
  assert.ok(m.tryLockTable(a, 1, ACCESS_EXCLUSIVE));
  await assert.rejects(m.lockTable(b, 1, ACCESS_SHARE, 0, name), { code: ErrorCode.LOCK_TIMEOUT });
  await assert.rejects(m.lockTable(b, 1, ACCESS_SHARE, 20, name), { code: ErrorCode.LOCK_TIMEOUT });
  assert.equal(b.waitingOn, null);
  m.releaseAll(a, () => new Error('x'));
  assert.ok(m.tryLockTable(b, 1, ACCESS_SHARE));
});
