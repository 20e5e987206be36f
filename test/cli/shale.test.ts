/**
 * The `shale` command: --help on every subcommand prints help and runs nothing, exit codes scripts can
 * rely on (0, 1 failure or not found, 2 bad usage), and get/put/delete/scan/stats on a real database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DB, type Metrics } from '../../src/index.js';
import { serve } from '../../src/pg/server.js';
import { fromUtf8 } from '../../src/util/bytes.js';
import { makeTmpDir, removeTmpDir } from '../support/tmp-dir.js';

const CLI = fileURLToPath(new URL('../../src/cli/shale.js', import.meta.url));

function shale(args: string[], cwd?: string): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('--help on every subcommand prints its help and runs nothing', () => {
  const cwd = makeTmpDir('shale-cli-');
  try {
    const top = shale(['--help'], cwd);
    assert.equal(top.code, 0);
    const names = [...top.out.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    assert.ok(names.length >= 10, top.out);
    for (const name of names) {
      const r = shale([name, '--help'], cwd);
      assert.equal(r.code, 0, `${name} --help: ${r.err}`);
      assert.match(r.out, new RegExp(`^usage: shale ${name}`), name);
    }
    assert.equal(existsSync(join(cwd, '.shale-demo')), false, 'demo --help ran the demo');
  } finally {
    removeTmpDir(cwd);
  }
});

test('exit codes: unknown command or option and missing arguments are 2; a missing database is 1', () => {
  assert.equal(shale(['frobnicate']).code, 2);
  assert.equal(shale([]).code, 2);
  assert.equal(shale(['get']).code, 2);
  assert.equal(shale(['scan', '/nonexistent', '--bogus']).code, 2);
  assert.equal(shale(['get', '/x', 'k', '--key-encoding=rot13']).code, 2);
  const missing = shale(['stats', '/nonexistent/shale-db']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /does not exist/);
});

test('put, get, delete, scan with encodings; stats --json', async () => {
  const dir = makeTmpDir('shale-cli-db-');
  try {
    const db = await DB.open(dir);
    db.put('a', '1');
    db.put(new Uint8Array([0, 255]), new Uint8Array([1, 2, 3]));
    await db.close();
    assert.equal(shale(['put', dir, 'b', 'two']).code, 0);
    assert.equal(shale(['put', dir, '6363', 'ff00', '--key-encoding=hex', '--value-encoding=hex']).code, 0);
    assert.equal(shale(['get', dir, 'b']).out, 'two\n');
    assert.equal(
      shale(['get', dir, 'AP8=', '--key-encoding=base64', '--value-encoding=hex']).out,
      '010203\n',
    );
    assert.equal(shale(['get', dir, 'cc', '--value-encoding=base64']).out, '/wA=\n');
    assert.equal(shale(['get', dir, 'nope']).code, 1);
    assert.equal(shale(['get', dir, 'zz', '--key-encoding=hex']).code, 1, 'bad hex is an error');
    assert.equal(shale(['delete', dir, 'a']).code, 0);
    assert.equal(shale(['get', dir, 'a']).code, 1);
    const scan = shale(['scan', dir, '--gte=b', '--key-encoding=utf8', '--value-encoding=hex']);
    assert.equal(scan.out, 'b\t74776f\ncc\tff00\n');
    const rev = shale(['scan', dir, '--reverse', '--limit=1', '--json', '--key-encoding=hex']);
    assert.deepEqual(JSON.parse(rev.out), { key: '6363', value: '\ufffd\u0000' });
    const stats = shale(['stats', dir, '--json']);
    assert.equal(stats.code, 0, stats.err);
    const s = JSON.parse(stats.out) as { levels: { files: number; bytes: number }[]; lastSequence: number };
    assert.equal(s.levels.length, 7);
    assert.ok(s.lastSequence >= 5);
    assert.ok(s.levels.every((l) => Number.isInteger(l.bytes) && (l.files === 0) === (l.bytes === 0)));
    const metrics = (JSON.parse(stats.out) as { metrics: Metrics }).metrics;
    assert.equal(metrics.get.calls, 0, "the metrics of the command's own open");
    assert.deepEqual(metrics.levels, s.levels);
    const text = shale(['stats', dir]);
    assert.match(text.out, /^metrics \(this process/m);
    assert.match(text.out, /^ {2}block cache +0 hits/m);
    const check = await DB.open(dir);
    assert.equal(new TextDecoder().decode(check.get('b')), 'two');
    assert.equal(check.get('a'), undefined);
    await check.close();
  } finally {
    removeTmpDir(dir);
  }
});

test('shale verify: exit 0 on a clean database, 1 naming the file on a damaged one', async () => {
  const dir = makeTmpDir('shale-cli-verify-');
  try {
    const db = await DB.open(dir, { writeBufferSize: 8192 });
    for (let i = 0; i < 1000; i++) db.put(`k${i}`, 'v'.repeat(50));
    await db.close();
    const ok = shale(['verify', dir]);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^ok: MANIFEST-/m);
    const table = readdirSync(dir).find((n) => n.endsWith('.ldb'))!;
    const path = join(dir, table);
    const bytes = readFileSync(path);
    bytes[100] ^= 0x01;
    writeFileSync(path, bytes);
    const bad = shale(['verify', dir, '--json']);
    assert.equal(bad.code, 1);
    const report = JSON.parse(bad.out) as { ok: boolean; problems: { file: string }[] };
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => p.file === path));
  } finally {
    removeTmpDir(dir);
  }
});

test('shale dump prints the records of a log, a table and a MANIFEST', async () => {
  const dir = makeTmpDir('shale-cli-dump-');
  try {
    const db = await DB.open(dir);
    db.put('alpha', 'one');
    db.put('beta', new Uint8Array([0, 1, 255]));
    await db.flush();
    db.put('gamma', 'in the log');
    db.delete('alpha');
    await db.close();
    const names = readdirSync(dir);
    const table = join(
      dir,
      names.find((n) => n.endsWith('.ldb'))!,
    );
    const log = join(
      dir,
      names
        .filter((n) => n.endsWith('.log'))
        .sort()
        .pop()!,
    );
    const manifest = join(
      dir,
      names.find((n) => n.startsWith('MANIFEST-'))!,
    );
    const t = shale(['dump', table]);
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /^'alpha' @ 1 : val => 'one'$/m);
    assert.match(t.out, /^'beta' @ 2 : val => '\\x00\\x01\\xff'$/m);
    assert.match(t.out, /^\(2 entries\)$/m);
    assert.match(
      shale(['dump', table, '--hex', '--gte=b']).out,
      /^62657461 @ 2 : val => 0001ff\n\(1 entries\)\n$/,
    );
    const l = shale(['dump', log]);
    assert.match(l.out, /put 'gamma' 'in the log' @ 3/);
    assert.match(l.out, /del 'alpha' @ 4/);
    const m = shale(['dump', manifest]);
    assert.match(m.out, /comparator: leveldb.BytewiseComparator/);
    assert.match(m.out, /add file: level \d #\d+ \d+ bytes \['alpha'/);
    assert.equal(shale(['dump', join(dir, 'CURRENT')]).code, 1, 'not a dumpable file');
  } finally {
    removeTmpDir(dir);
  }
});

test('a value-log database: stats show segments, live ratios and GC history; gc; dump of a segment', async () => {
  const dir = makeTmpDir('shale-cli-vlog-');
  try {
    const opts = { valueLog: { minValueSize: 100, backgroundGc: false } };
    let db = await DB.open(dir, opts);
    for (let i = 0; i < 50; i++) db.put(`k${i}`, `${i}`.padEnd(500, 'v'));
    await db.flush();
    for (let i = 0; i < 40; i++) db.put(`k${i}`, `${i}`.padEnd(500, 'w'));
    await db.compactRange();
    await db.close();
    const before = JSON.parse(shale(['stats', dir, '--json']).out) as {
      valueLog: { segmentCount: number; segments: { liveRatio: number }[]; gcHistory: unknown[] };
    };
    assert.ok(before.valueLog.segmentCount >= 2);
    assert.ok(before.valueLog.segments.some((s) => s.liveRatio < 0.5));
    assert.equal(before.valueLog.gcHistory.length, 0);
    const gc = shale(['gc', dir]);
    assert.equal(gc.code, 0, gc.err);
    assert.ok((JSON.parse(gc.out) as { segmentsDropped: number }).segmentsDropped >= 1);
    const text = shale(['stats', dir]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /value log: \d+ segment\(s\), \d+ bytes/);
    assert.match(text.out, /live ratio/);
    assert.match(text.out, /garbage collection \(last runs\):\n {2}\d{4}-.*segment\(s\) rewritten/);
    const seg = readdirSync(dir).find((n) => n.endsWith('.vlog'))!;
    const dump = shale(['dump', join(dir, seg)]);
    assert.equal(dump.code, 0, dump.err);
    assert.match(dump.out, /^offset 8: 'k\d+' => 500 bytes at \d+: '\d+[vw]+'\.\.\./m);
    assert.match(dump.out, /\(\d+ records shown of \d+; \d+ value bytes; \d+ bytes\)/);
    const table = readdirSync(dir).find((n) => n.endsWith('.ldb'))!;
    assert.match(shale(['dump', join(dir, table)]).out, /: ptr => segment #\d+ offset \d+ length \d+/);
    db = await DB.open(dir, opts);
    assert.equal(fromUtf8(db.get('k45')!), '45'.padEnd(500, 'v'));
    await db.close();
    const migrated = shale(['migrate-value-log', dir]);
    assert.equal(migrated.code, 0, migrated.err);
    assert.match(shale(['stats', dir]).out, /value log: none/);
    assert.equal(shale(['get', dir, 'k45']).out, '45'.padEnd(500, 'v') + '\n');
  } finally {
    removeTmpDir(dir);
  }
});

test('shale compact and shale vacuum: the named tables of a SQL database, or everything', async () => {
  const dir = makeTmpDir('shale-cli-sql-');
  const plain = makeTmpDir('shale-cli-plain-');
  try {
    const server = await serve({ dataDir: dir, port: 0, log: () => undefined });
    const c = new pg.Client({ host: server.host, port: server.port, user: 'cli', database: 'shale' });
    await c.connect();
    await c.query('create table "Big" (id int primary key, v text)');
    await c.query(
      "insert into \"Big\" select g, 'v' || g || repeat('-', g % 97) from generate_series(1, 3000) g",
    );
    await c.query('delete from "Big" where id % 3 <> 0');
    await c.end();
    await server.close();
    const rowBytes = async (): Promise<number> => {
      const db = await DB.open(dir, { createIfMissing: false });
      try {
        await db.flush();
        return db.approximateSizes([[Uint8Array.of(0x10), Uint8Array.of(0x11)]])[0]!;
      } finally {
        await db.close();
      }
    };
    const before = await rowBytes();
    const compact = shale(['compact', dir, '"Big"']);
    assert.equal(compact.code, 0, compact.err);
    assert.match(compact.out, /^COMPACT\n/);
    assert.ok((await rowBytes()) < before * 0.6, 'the deleted rows are gone from the tables');
    const vacuum = shale(['vacuum', dir, '"Big"']);
    assert.equal(vacuum.code, 0, vacuum.err);
    assert.match(vacuum.out, /^VACUUM\n/);
    assert.equal(shale(['vacuum', dir]).code, 0);
    const unknown = shale(['compact', dir, 'big']); // unquoted: folded to lower case, not "Big"
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /relation "big" does not exist/);
    assert.equal(shale(['compact', dir, '"Big"; drop table "Big"']).code, 2, 'only table names');
    const db = await DB.open(plain);
    db.put('k', 'v');
    await db.close();
    const notSql = shale(['compact', plain, 't']);
    assert.equal(notSql.code, 2);
    assert.match(notSql.err, /holds no SQL tables/);
    assert.equal(shale(['compact', plain]).code, 0);
  } finally {
    removeTmpDir(dir);
    removeTmpDir(plain);
  }
});
