/**
 * LockManager against its invariants, over random requests (shared and exclusive, waits with and without
 * a timeout) and releases by a few owners: an exclusive lock has one holder; a lock nobody holds has nobody
 * waiting for it (a release hands it on); a granted request's owner holds the lock; each owner waits for
 * one lock at most; and once every owner has released everything, no lock is left.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LockManager, type LockEntry, type LockOwner } from '../../src/txn/lock-manager.js';

type Op =
  | { kind: 'acquire'; owner: number; key: number; exclusive: boolean; wait: boolean }
  | { kind: 'release'; owner: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('acquire' as const),
      owner: fc.nat(3),
      key: fc.nat(2),
      exclusive: fc.boolean(),
      wait: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), owner: fc.nat(3) }), weight: 1 },
);

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('lock manager invariants hold under random shared and exclusive requests (property)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const m = new LockManager();
      const locks = (m as unknown as { locks: Map<string, LockEntry> }).locks;
      const owners: LockOwner[] = [0, 1, 2, 3].map(() => ({ held: [], waitingOn: null, tables: null }));
      const granted: { owner: LockOwner; id: string; exclusive: boolean; done: boolean }[] = [];
      const check = (): void => {
        for (const [id, e] of locks) {
          if (e.exclusive) assert.ok(e.holders.size <= 1, `${id}: one exclusive holder`);
          if (e.holders.size === 0) assert.equal(e.queue.length, 0, `${id}: free but waited for`);
          for (const h of e.holders) assert.ok(h.held.includes(e), `${id}: holder knows it`);
        }
        for (const o of owners) {
          assert.equal(new Set(o.held).size, o.held.length, 'each lock held once');
          for (const e of o.held)
            assert.ok(locks.get(e.id) === e && e.holders.has(o), `${e.id}: held is true`);
        }
        for (const g of granted)
          if (g.done && g.owner.held.some((e) => e.id === g.id)) {
            const e = locks.get(g.id)!;
            if (g.exclusive) assert.ok(e.exclusive && e.holders.size === 1, `${g.id}: granted exclusive`);
          }
      };
      for (const o of ops) {
        const owner = owners[o.owner]!;
        if (o.kind === 'release') {
          m.releaseAll(owner, () => new Error('released'));
          for (const g of granted) if (g.owner === owner) g.done = false;
        } else if (owner.waitingOn === null) {
          const id = `k${o.key}`;
          const g = { owner, id, exclusive: o.exclusive, done: false };
          m.acquire(owner, id, o.wait ? Infinity : 0, () => id, o.exclusive).then(
            () => {
              g.done = true;
              granted.push(g);
            },
            () => undefined,
          );
        }
        await tick();
        check();
      }
      for (const o of owners) m.releaseAll(o, () => new Error('end'));
      await tick();
      assert.equal(m.size, 0, 'nothing left once everyone released');
    }),
    { numRuns: 300 },
  );
});
