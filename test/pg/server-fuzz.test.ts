/**
 * A live server under hostile input: random bytes and mutated valid message streams over many sockets
 * at once. Each such connection either gets normal answers or a FATAL error and is closed; nothing is an
 * internal error (XX000), nothing is logged as a crash, the server keeps running, a bystander connection
 * in the middle of a transaction is not disturbed, and a normal client is served correctly afterwards.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import pg from 'pg';
import { startServer, type TestServer } from '../support/sql-server.js';
import { encodeFrontend, startupMessage, WireClient } from '../support/wire-client.js';

const SEED = Number(process.env.SEED ?? 16_2027);

let server: TestServer;
const logged: string[] = [];
before(async () => {
  server = await startServer({ log: (m) => logged.push(m), maxMessageSize: 1 << 16 });
});
after(async () => {
  await server.stop();
});

function client(): pg.Client {
  return new pg.Client({ host: server.host, port: server.port, user: 'fuzz', database: 'shale' });
}

const SQL = [
  'SELECT 1',
  'SELECT k, v FROM fz WHERE k = $1',
  'INSERT INTO fz VALUES ($1, $2)',
  'UPDATE fz SET v = v || $1 WHERE k = 1',
  'SELECT * FROM fz ORDER BY k',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'COPY fz FROM STDIN',
  'COPY fz TO STDOUT',
  'SET application_name = $$x$$',
  '',
];

const frontend: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .constantFrom(...SQL)
    .map((q) => encodeFrontend('Query', { String: q.replace('$1', '2').replace('$2', "'b'") })),
  fc
    .tuple(
      fc.constantFrom('', 's1', 's2'),
      fc.constantFrom(...SQL),
      fc.array(fc.constantFrom(0, 23, 25, 17), { maxLength: 3 }),
    )
    .map(([Name, Query, ParameterOIDs]) => encodeFrontend('Parse', { Name, Query, ParameterOIDs })),
  fc
    .tuple(
      fc.constantFrom('', 'p1'),
      fc.constantFrom('', 's1', 's2'),
      fc.array(
        fc.oneof(
          fc.constant(null),
          fc.record({ text: fc.constantFrom('1', 'x', '2') }),
          fc.record({ binary: fc.constantFrom('00000001', '01', '') }),
        ),
        { maxLength: 3 },
      ),
      fc.array(fc.constantFrom(0, 1, 2), { maxLength: 3 }),
      fc.array(fc.constantFrom(0, 1), { maxLength: 3 }),
    )
    .map(([DestinationPortal, PreparedStatement, Parameters, ParameterFormatCodes, ResultFormatCodes]) =>
      encodeFrontend('Bind', {
        DestinationPortal,
        PreparedStatement,
        Parameters,
        ParameterFormatCodes,
        ResultFormatCodes,
      }),
    ),
  fc
    .tuple(fc.constantFrom('S', 'P', 'Z'), fc.constantFrom('', 's1', 'p1'))
    .map(([ObjectType, Name]) => encodeFrontend('Describe', { ObjectType, Name })),
  fc
    .tuple(fc.constantFrom('', 'p1'), fc.integer({ min: -1, max: 3 }))
    .map(([Portal, MaxRows]) => encodeFrontend('Execute', { Portal, MaxRows })),
  fc
    .tuple(fc.constantFrom('S', 'P', 'Q'), fc.constantFrom('', 's1', 'p1'))
    .map(([ObjectType, Name]) => encodeFrontend('Close', { ObjectType, Name })),
  fc.constantFrom('Sync', 'Flush', 'CopyDone').map((n) => encodeFrontend(n)),
  fc.constantFrom('3\tc\n', '1\n', '\\.\n', 'x\ty\tz\n').map((Data) => encodeFrontend('CopyData', { Data })),
  fc.constant(encodeFrontend('CopyFail', { Message: 'no' })),
);

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; len: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);

function mutate(bytes: Buffer, muts: readonly Mutation[]): Buffer {
  let b = bytes;
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') {
      b = Buffer.from(b);
      b[at] = m.value;
    } else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === 'insert')
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
  }
  return b;
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** A stream: a valid start (maybe after SSLRequest), messages, mutated; or random bytes. */
const stream: fc.Arbitrary<{ bytes: Buffer; cuts: number[] }> = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            fc.boolean(),
            fc.array(frontend, { maxLength: 12 }),
            fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 3 })),
          )
          .map(([ssl, msgs, muts]) =>
            mutate(
              Buffer.concat([
                ...(ssl ? [SSL_REQUEST] : []),
                startupMessage({ user: 'fuzz', database: 'shale' }),
                ...msgs,
                encodeFrontend('Sync'),
                encodeFrontend('Terminate'),
              ]),
              muts,
            ),
          ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.boolean(), fc.uint8Array({ maxLength: 300 }))
          .map(([afterStartup, bytes]) =>
            Buffer.concat([...(afterStartup ? [startupMessage({ user: 'fuzz' })] : []), Buffer.from(bytes)]),
          ),
      },
    ),
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
  )
  .map(([bytes, cuts]) => ({ bytes, cuts }));

/** errorCodes scans a server's answer for ErrorResponse codes (tolerating the 1-byte SSL answer). */
function errorCodes(b: Buffer): string[] {
  const codes: string[] = [];
  let i = 0;
  while (i + 5 <= b.length) {
    const len = b.readInt32BE(i + 1);
    if (len < 4 || i + 1 + len > b.length) {
      i++; // the 'N' that answers SSLRequest
      continue;
    }
    if (b[i] === 0x45) {
      const body = b.subarray(i + 5, i + 1 + len);
      let j = 0;
      while (j < body.length && body[j] !== 0) {
        const end = body.indexOf(0, j + 1);
        if (body[j] === 0x43) codes.push(body.toString('utf8', j + 1, end));
        j = end + 1;
      }
    }
    i += 1 + len;
  }
  return codes;
}

/** play sends a stream in chunks and collects the answer until the server closes or goes quiet. */
function play(bytes: Buffer, cuts: number[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(server.port, server.host);
    let quiet: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(quiet);
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    const arm = (): void => {
      clearTimeout(quiet);
      quiet = setTimeout(done, 60);
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    s.on('close', done);
    s.on('error', done);
    s.on('connect', () => {
      const points = cuts.map((c) => Math.floor(c * bytes.length)).sort((a, b) => a - b);
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        s.write(bytes.subarray(prev, p));
        prev = p;
      }
      arm();
    });
  });
}

test(`a live server survives random and mutated message streams (seed ${SEED})`, async () => {
  const setup = client();
  await setup.connect();
  await setup.query('create table fz (k int primary key, v text)');
  await setup.query("insert into fz values (1, 'a')");
  await setup.query('create table keep (k int primary key)');
  await setup.end();

  // A bystander, in the middle of a transaction, for the whole run.
  const bystander = client();
  await bystander.connect();
  await bystander.query('begin');
  await bystander.query('insert into keep values (1), (2)');

  let streams = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(stream, { minLength: 1, maxLength: 4 }), async (batch) => {
      const answers = await Promise.all(batch.map((s) => play(s.bytes, s.cuts)));
      streams += batch.length;
      for (const a of answers) {
        const codes = errorCodes(a);
        if (process.env.FUZZ_STATS) console.log('STAT', a.length, codes.join(','));
        assert.ok(!codes.includes('XX000'), `internal error in answer: ${codes.join(',')}`);
      }
      assert.deepEqual(logged, [], 'nothing logged as an internal error');
    }),
    { seed: SEED, numRuns: 70 },
  );
  assert.ok(streams >= 70);

  await bystander.query('insert into keep values (3)');
  assert.equal((await bystander.query('select count(*)::int as n from keep')).rows[0].n, 3);
  await bystander.query('commit');
  await bystander.end();

  const after = client();
  await after.connect();
  try {
    assert.deepEqual((await after.query('select k from keep order by k')).rows, [
      { k: 1 },
      { k: 2 },
      { k: 3 },
    ]);
    const r = await after.query('select $1::int + 1 as n', [41]);
    assert.deepEqual(r.rows, [{ n: 42 }]);
    await assert.rejects(after.query('select 1/0'), { code: '22012' });
    assert.equal(
      (await after.query({ name: 'named', text: 'select count(*)::int as n from fz' })).rows.length,
      1,
    );
  } finally {
    await after.end();
  }
});

test('a malformed message closes only that connection, with FATAL 08P01', async () => {
  const other = client();
  await other.connect();
  try {
    // A Bind whose parameter length runs past the end of its message.
    const bad = Buffer.from([0x42, 0, 0, 0, 14, 0, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
    const answer = await play(Buffer.concat([startupMessage({ user: 'x' }), bad]), []);
    assert.deepEqual(errorCodes(answer), ['08P01']);
    // An unknown message type.
    const unknown = await play(
      Buffer.concat([startupMessage({ user: 'x' }), Buffer.from([0x01, 0, 0, 0, 4])]),
      [],
    );
    assert.deepEqual(errorCodes(unknown), ['08P01']);
    assert.deepEqual((await other.query('select 1 as one')).rows, [{ one: 1 }]);
  } finally {
    await other.end();
  }
});

test('a client that vanishes while its statement streams rows, or inside a transaction, harms nothing', async () => {
  const setup = client();
  await setup.connect();
  await setup.query('create table vanish (k int primary key)');
  await setup.query(`insert into vanish values ${Array.from({ length: 100 }, (_, i) => `(${i})`).join(',')}`);
  for (let i = 0; i < 3; i++) {
    const w = await WireClient.connect(server.host, server.port, { user: 'v' });
    w.send('Query', {
      String:
        'begin; insert into vanish values (1000); select a.k, b.k, c.k from vanish a, vanish b, vanish c',
    });
    while ((await w.receive(10_000)).Type !== 'DataRow');
    w.socket.destroy();
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(logged, []);
  assert.deepEqual((await setup.query('select count(*)::int as n from vanish')).rows, [{ n: 100 }]);
  await setup.end();
});
