/**
 * The .slt runner itself (test/support/slt.ts): parsing and formatting round trips, value rendering, and,
 * against PostgreSQL 15 when installed, that it catches wrong rows, wrong column types, wrong row counts
 * and wrong SQLSTATEs in both protocols, and that completion mode fixes them.
 */
import { test } from 'node:test';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import assert from 'node:assert/strict';
import { formatSlt, parseSlt, renderRows, renderValue, runSlt } from '../support/slt.js';
import {
  POSTGRES_MISSING,
  postgresAvailable,
  startPostgres,
  withFreshDatabase,
} from '../support/postgres.js';

// Needs PostgreSQL 15, so it runs with the oracle check only: SHALE_SLT_ORACLE=1 (npm run slt:check).
const oracleSkip =
  process.env.SHALE_SLT_ORACLE !== '1'
    ? 'set SHALE_SLT_ORACLE=1 (npm run slt:check)'
    : !postgresAvailable() && POSTGRES_MISSING;

const WRONG = `# a file with wrong expectations

statement ok
CREATE TABLE t (id int PRIMARY KEY, v text)

statement count 2
INSERT INTO t VALUES (1, 'a'), (2, NULL), (3, '')

query IT nosort
SELECT id, v FROM t ORDER BY id
----
1 a
2 NULL
3 x

query LT nosort
SELECT id, v FROM t WHERE id = 1
----
1 a

statement error 23505
SELECT 1 / 0

statement ok
SELECT nosuch FROM t

statement error 42P01
SELECT * FROM nosuch

query I rowsort
SELECT id FROM t WHERE id < 3
----
2
1
`;

test('parse and format round-trip; headers, comments, halt', () => {
  const file = parseSlt('wrong.slt', WRONG);
  assert.equal(file.blocks.length, 9);
  assert.equal(formatSlt(file), WRONG);
  const b = file.blocks[3]!;
  assert.equal(b.kind, 'query');
  assert.equal(b.kind === 'query' && b.line, 9);
  const halted = parseSlt('h.slt', 'statement ok\nSELECT 1\n\nhalt\n\nstatement ok\nSELECT 2\n');
  assert.deepEqual(
    halted.blocks.map((x) => x.kind),
    ['statement', 'halt'],
  );
  assert.equal(formatSlt(halted), 'statement ok\nSELECT 1\n\nhalt\n\nstatement ok\nSELECT 2\n');
  const restarted = parseSlt('r.slt', 'statement ok\nSELECT 1\n\nrestart\n\nstatement ok\nSELECT 2\n');
  assert.deepEqual(
    restarted.blocks.map((x) => x.kind),
    ['statement', 'restart', 'statement'],
  );
  assert.equal(formatSlt(restarted), 'statement ok\nSELECT 1\n\nrestart\n\nstatement ok\nSELECT 2\n');
  const withParams = 'query I nosort\nSELECT $1::int\nparams: [1, "x", null, {"bytes":"00"}]\n----\n1\n';
  const pf = parseSlt('p.slt', withParams);
  assert.deepEqual(pf.blocks[0]!.kind === 'query' && pf.blocks[0]!.params, [1, 'x', null, { bytes: '00' }]);
  assert.equal(formatSlt(pf), withParams);
  const conn =
    'connection b\nstatement ok\nBEGIN\n\nprotocol simple\nconnection b\nquery I nosort\nSELECT 1\n----\n1\n';
  const cf = parseSlt('c.slt', conn);
  assert.deepEqual(
    cf.blocks.map((x) => (x.kind === 'statement' || x.kind === 'query' ? x.connection : undefined)),
    ['b', 'b'],
  );
  assert.equal(formatSlt(cf), conn);
  assert.equal(cf.blocks[1]!.kind === 'query' && cf.blocks[1]!.forceSimple, true);
  assert.throws(() => parseSlt('bad.slt', 'query I sideways\nSELECT 1\n'), /bad\.slt:1: unknown sort mode/);
  assert.throws(() => parseSlt('bad.slt', 'statement maybe\nSELECT 1\n'), /bad\.slt:1: bad statement header/);
});

test('values render unambiguously', () => {
  assert.equal(renderValue(null), 'NULL');
  assert.equal(renderValue(''), '(empty)');
  assert.equal(renderValue('NULL'), '"NULL"');
  assert.equal(renderValue('ab  '), '"ab  "');
  assert.equal(renderValue('a b'), 'a b');
  assert.equal(renderValue('x\ny'), '"x\\ny"');
  assert.equal(renderValue('\\x00ff'), '\\x00ff');
  assert.equal(renderValue('a\u007f\u0080'), '"a\\u007f\\u0080"');
  assert.deepEqual(
    renderRows(
      [
        ['b', null],
        ['a', '1'],
      ],
      'rowsort',
    ),
    ['a 1', 'b NULL'],
  );
  assert.deepEqual(
    renderRows(
      [
        ['b', 'a'],
        ['c', null],
      ],
      'valuesort',
    ),
    ['NULL', 'a', 'b', 'c'],
  );
});

test('the runner catches wrong expectations and completion fixes them', { skip: oracleSkip }, async () => {
  const server = await startPostgres();
  try {
    const file = parseSlt('wrong.slt', WRONG);
    for (const mode of ['simple', 'extended'] as const) {
      const r = await withFreshDatabase(server, (p) => runSlt(file, p, { mode }));
      assert.equal(r.records, 8);
      assert.deepEqual(
        r.failures.map((f) => [f.line, f.message.split('\n')[0]]),
        [
          [6, 'expected row count 2, got 3'],
          [9, 'results differ'],
          [16, 'expected column types LT, got IT (OIDs 23,25)'],
          [21, 'expected error 23505, got error 22012: division by zero'],
          [24, 'expected success, got error 42703: column "nosuch" does not exist'],
        ],
        mode,
      );
    }
    const done = await withFreshDatabase(server, (p) => runSlt(file, p, { mode: 'simple', complete: true }));
    assert.equal(done.surprises.length, 2);
    const fixed = formatSlt(done.file);
    assert.match(fixed, /statement count 3\n/);
    assert.match(fixed, /3 \(empty\)\n/);
    assert.match(fixed, /query IT nosort\nSELECT id, v FROM t WHERE id = 1/);
    assert.match(fixed, /statement error 42703\nSELECT nosuch/);
    assert.match(fixed, /----\n1\n2\n$/);
    const again = await withFreshDatabase(server, (p) =>
      runSlt(parseSlt('fixed.slt', fixed), p, { mode: 'extended' }),
    );
    assert.deepEqual(again.failures, []);
  } finally {
    await server.stop();
  }
});

test('a server that never answers costs three timeouts, then the rest of the file is given up', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as AddressInfo).port;
  try {
    const text = Array.from({ length: 5 }, (_, i) => `statement ok\nSELECT ${i}\n`).join('\n');
    const started = Date.now();
    const r = await runSlt(
      parseSlt('silent.slt', text),
      { host: '127.0.0.1', port, user: 'x', database: 'x' },
      { mode: 'simple', queryTimeoutMs: 200 },
    );
    assert.equal(r.records, 5);
    assert.equal(r.passed, 0);
    assert.match(r.failures[2]!.message, /cannot connect/);
    assert.match(r.failures[3]!.message, /^not run/);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});
