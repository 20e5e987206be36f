/**
 * Writes to a table the transaction holds in ACCESS EXCLUSIVE mode take no row locks (docs/sql.md,
 * "Locking"): rows inserted, updated and deleted after TRUNCATE or CREATE TABLE in the same transaction,
 * and the rows ALTER TABLE ... ADD PRIMARY KEY re-keys; writes to a table held only in ROW EXCLUSIVE mode
 * lock each row, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DB } from '../../src/db/db.js';
import { MemFileSystem } from '../../src/env/mem-fs.js';
import { SqlEngine } from '../../src/sql/engine.js';
import type { Session } from '../../src/sql/session.js';

async function run(s: Session, sql: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (const ps of s.parseSimple(sql)) {
    const c = await s.execute(s.fromParsed(ps), []);
    rows.push(...c.next(0).rows);
    c.close();
  }
  await s.finishImplicit();
  return rows;
}

test('rows written to a table held exclusively take no row locks; others do', async () => {
  const db = await DB.open('/db', { fs: new MemFileSystem() });
  try {
    const engine = await SqlEngine.open(db);
    const s = engine.session({ user: 'u', database: 'shale', pid: 1 });
    const other = engine.session({ user: 'u', database: 'shale', pid: 2 });
    await run(s, 'create table t (id int, v int)');
    await run(s, 'create table plain (id int primary key, v int)');
    await run(s, 'insert into t select g, g from generate_series(1, 300) g');
    assert.equal(db.locks.size, 0);

    await run(s, 'begin');
    await run(s, 'truncate t');
    await run(s, 'insert into t select g, g from generate_series(1, 500) g');
    await run(s, 'update t set v = v + 1 where id <= 100');
    await run(s, 'delete from t where id > 400');
    assert.equal(db.locks.size, 0, 'after TRUNCATE, no row locks');
    await run(s, 'insert into plain select g, g from generate_series(1, 50) g');
    assert.ok(db.locks.size >= 50, `a table held in ROW EXCLUSIVE mode locks its rows (${db.locks.size})`);
    const read = other.execute(other.fromParsed(other.parseSimple('select count(*) from t')[0]!), []);
    assert.ok(read instanceof Promise, 'another session waits for the table');
    await run(s, 'commit');
    assert.equal(db.locks.size, 0);
    const c = await read;
    assert.deepEqual(c.next(0).rows, [[400n]]);
    c.close();
    await other.finishImplicit();

    await run(s, 'begin');
    await run(s, 'create table fresh (id int primary key, v text)');
    await run(s, "insert into fresh select g, 'x' from generate_series(1, 200) g");
    await run(s, 'alter table t add primary key (id)');
    const locked = db.locks.size;
    assert.ok(locked < 10, `only catalog keys are locked (${locked})`);
    await run(s, 'commit');
    assert.deepEqual(await run(s, 'select count(*), sum(v) from t'), [[400n, 80300n]]);
    assert.deepEqual(await run(s, 'select count(*) from fresh'), [[200n]]);
  } finally {
    await db.close();
  }
});
