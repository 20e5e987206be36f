/**
 * The Store conformance suite: one set of behaviours every backend (ShaleStore, FileStore, MemoryStore)
 * must show. storeConformance registers the tests for one backend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChangesBuilder, PersistenceManager } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { ErrorCode } from '../../src/index.js';

/** Backend opens a fresh store; `reopen` (persistent backends) closes nothing and opens the same data. */
export interface Backend {
  open(): Promise<Store>;
  reopen?: () => Promise<Store>;
}

interface Deployment {
  id: string;
  name: string;
  replicas?: number;
}

export function storeConformance(
  name: string,
  makeBackend: (t: { after(fn: () => void): void }) => Backend,
): void {
  const fresh = async (t: { after(fn: () => void): void }): Promise<{ store: Store; backend: Backend }> => {
    const backend = makeBackend(t);
    const store = await backend.open();
    store.registerEntityType('deployment');
    store.registerEntityType('environment');
    return { store, backend };
  };

  test(`${name}: saves and loads entities in key order, with timestamps`, async (t) => {
    const { store } = await fresh(t);
    await store.save(
      new ChangesBuilder('ws1')
        .set('deployment', { id: 'b', name: 'second' }, 2000)
        .set('deployment', { id: 'a', name: 'first' }, 1000)
        .set('environment', { id: 'prod', name: 'Production' })
        .build(),
    );
    await store.save(new ChangesBuilder('ws2').set('deployment', { id: 'a', name: 'other' }).build());
    const records = await store.load('ws1');
    assert.deepEqual(
      records.map((r) => [r.entityType, r.entityId, (r.entity as Deployment).name]),
      [
        ['deployment', 'a', 'first'],
        ['deployment', 'b', 'second'],
        ['environment', 'prod', 'Production'],
      ],
    );
    assert.equal(records[0]!.timestamp, 1000);
    assert.equal(records[0]!.namespace, 'ws1');
    assert.ok(Math.abs(records[2]!.timestamp - Date.now()) < 60_000);
    assert.deepEqual(await store.load('nothing-here'), []);
    await store.close();
  });

  test(`${name}: saving again overwrites, deletes remove, the later change in a set wins`, async (t) => {
    const { store } = await fresh(t);
    await store.save(
      new ChangesBuilder('ns')
        .set('deployment', { id: 'x', name: 'v1' })
        .set('deployment', { id: 'y', name: 'y1' })
        .build(),
    );
    await store.save(
      new ChangesBuilder('ns').set('deployment', { id: 'x', name: 'v2' }).delete('deployment', 'y').build(),
    );
    assert.deepEqual(
      (await store.load('ns')).map((r) => (r.entity as Deployment).name),
      ['v2'],
    );
    // Within one set: the later timestamp wins, whatever the order; equal timestamps: the later change.
    await store.save(
      new ChangesBuilder('ns')
        .set('deployment', { id: 'x', name: 'newest' }, 300)
        .set('deployment', { id: 'x', name: 'older' }, 200)
        .set('deployment', { id: 'z', name: 'first' }, 100)
        .delete('deployment', 'z', 100)
        .build(),
    );
    const rs = await store.load('ns');
    assert.deepEqual(
      rs.map((r) => [r.entityId, (r.entity as Deployment).name]),
      [['x', 'newest']],
    );
    await store.close();
  });

  test(`${name}: names with ':' cannot collide; listNamespaces and deleteNamespace`, async (t) => {
    const { store } = await fresh(t);
    store.registerEntityType('b:deployment');
    await store.save(new ChangesBuilder('a:b').set('deployment', { id: '1', name: 'in a:b' }).build());
    await store.save(new ChangesBuilder('a').set('b:deployment', { id: '1', name: 'in a' }).build());
    await store.save(new ChangesBuilder('a%3Ab').set('deployment', { id: '1', name: 'literal' }).build());
    await store.save(new ChangesBuilder('z').set('deployment', { id: '1', name: 'z' }).build());
    assert.deepEqual(
      (await store.load('a:b')).map((r) => (r.entity as Deployment).name),
      ['in a:b'],
    );
    assert.deepEqual(
      (await store.load('a')).map((r) => [r.entityType, (r.entity as Deployment).name]),
      [['b:deployment', 'in a']],
    );
    assert.deepEqual(
      (await store.load('a%3Ab')).map((r) => (r.entity as Deployment).name),
      ['literal'],
    );
    assert.deepEqual(await store.listNamespaces(), ['a', 'a%3Ab', 'a:b', 'z']);
    await store.deleteNamespace('a:b');
    assert.deepEqual(await store.listNamespaces(), ['a', 'a%3Ab', 'z']);
    assert.deepEqual(await store.load('a:b'), []);
    assert.equal((await store.load('a')).length, 1);
    await store.close();
  });

  test(`${name}: bad input is a typed error and changes nothing`, async (t) => {
    const { store } = await fresh(t);
    await store.save(new ChangesBuilder('ns').set('deployment', { id: 'x', name: 'kept' }).build());
    await assert.rejects(
      store.save(
        new ChangesBuilder('ns')
          .set('deployment', { id: 'y', name: 'no' })
          .set('unknown', { id: 'u' })
          .build(),
      ),
      {
        code: ErrorCode.INVALID_ARGUMENT,
      },
    );
    assert.throws(() => new ChangesBuilder(''), { code: ErrorCode.INVALID_ARGUMENT });
    assert.throws(
      () => new ChangesBuilder('ns').set('deployment', { name: 'no id' } as unknown as Deployment),
      { code: ErrorCode.INVALID_ARGUMENT },
    );
    assert.throws(
      () => new ChangesBuilder('ns').set('deployment', { id: 'c', self: 1n } as unknown as Deployment),
      { code: ErrorCode.INVALID_ARGUMENT },
    );
    await assert.rejects(store.save({} as never), { code: ErrorCode.INVALID_ARGUMENT });
    assert.deepEqual(
      (await store.load('ns')).map((r) => r.entityId),
      ['x'],
    );
    await store.close();
    await assert.rejects(store.load('ns'), { code: ErrorCode.CLOSED });
  });

  test(`${name}: concurrent saves and loads see whole change sets only`, async (t) => {
    const { store } = await fresh(t);
    const ops: Promise<unknown>[] = [];
    const seen: number[][] = [];
    for (let v = 0; v < 40; v++) {
      const b = new ChangesBuilder('ns');
      for (let e = 0; e < 10; e++) b.set('deployment', { id: `e${e}`, name: 'n', replicas: v });
      ops.push(store.save(b.build()));
      ops.push(store.load('ns').then((rs) => seen.push(rs.map((r) => (r.entity as Deployment).replicas!))));
    }
    await Promise.all(ops);
    for (const versions of seen)
      assert.ok(
        versions.length === 0 || (versions.length === 10 && new Set(versions).size === 1),
        String(versions),
      );
    assert.deepEqual(
      (await store.load('ns')).map((r) => (r.entity as Deployment).replicas),
      new Array(10).fill(39),
    );
    await store.close();
  });

  test(`${name}: decoders and the PersistenceManager restore repositories`, async (t) => {
    const backend = makeBackend(t);
    const store = await backend.open();
    class Env {
      constructor(
        readonly id: string,
        readonly name: string,
      ) {}
    }
    const restored: { type: string; entities: unknown[] }[] = [];
    const pm = new PersistenceManager(store)
      .register<Env>({
        entityType: 'environment',
        decode: (e) => new Env((e as Env).id, (e as Env).name),
        restore: (entities) => void restored.push({ type: 'environment', entities }),
      })
      .register<Deployment>({
        entityType: 'deployment',
        restore: (entities) => void restored.push({ type: 'deployment', entities }),
      });
    await pm.persist(
      new ChangesBuilder('w')
        .set('environment', { id: 'e1', name: 'dev' })
        .set('deployment', { id: 'd1', name: 'api' })
        .build(),
    );
    await pm.restore('w');
    const env = restored.find((r) => r.type === 'environment')!.entities[0];
    assert.ok(env instanceof Env && env.name === 'dev');
    assert.deepEqual(restored.find((r) => r.type === 'deployment')!.entities, [{ id: 'd1', name: 'api' }]);
    await store.close();
  });

  test(`${name}: data survives close and reopen (persistent stores); unregistered types fail at load`, async (t) => {
    const backend = makeBackend(t);
    if (backend.reopen === undefined) return;
    let store = await backend.open();
    store.registerEntityType('deployment');
    for (let i = 0; i < 100; i++)
      await store.save(
        new ChangesBuilder(`ns${i % 5}`).set('deployment', { id: `d${i}`, name: `n${i}` }).build(),
      );
    await store.deleteNamespace('ns4');
    await store.save(new ChangesBuilder('ns0').delete('deployment', 'd0').build());
    await store.close();
    store = await backend.reopen();
    await assert.rejects(store.load('ns1'), { code: ErrorCode.INVALID_ARGUMENT });
    store.registerEntityType('deployment');
    assert.deepEqual(await store.listNamespaces(), ['ns0', 'ns1', 'ns2', 'ns3']);
    assert.equal((await store.load('ns0')).length, 19);
    assert.equal((await store.load('ns1')).length, 20);
    await store.close();
  });
}
