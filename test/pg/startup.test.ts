/**
 * The start of a connection, compared message for message with PostgreSQL 15 (when available, see
 * test/support/pg15.ts): SSLRequest and GSSENCRequest answered 'N', the ParameterStatus set, a newer
 * protocol minor version and `_pq_.` options answered with NegotiateProtocolVersion, an unsupported major
 * version, a missing user name, a bad startup length, Terminate.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { postgresUnavailable, startPostgres, type Postgres } from '../support/pg15.js';
import { startServer, type TestServer } from '../support/sql-server.js';
import { decodeBackend, encodeFrontend, type WireMessage } from '../support/wire-client.js';

const noPg = postgresUnavailable();
let postgres: Postgres | undefined;
let shale: TestServer;
before(async () => {
  shale = await startServer();
  if (noPg === undefined) postgres = await startPostgres();
});
after(async () => {
  await shale.stop();
  await postgres?.stop();
});

function startup(version: number, params: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(params)) parts.push(Buffer.from(`${k}\0${v}\0`));
  const body = Buffer.concat([...parts, Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(version, 4);
  return Buffer.concat([head, body]);
}

function special(code: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(code, 4);
  return b;
}

/** exchange sends steps of bytes (waiting for an answer after each) and decodes what comes back. */
async function exchange(port: number, steps: Buffer[]): Promise<string[]> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let closed = false;
  s.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  const out: string[] = [];
  const settle = async (): Promise<void> => {
    // Until the server closes, or is quiet for 100 ms after answering something.
    let last = -1;
    const t0 = Date.now();
    while (!closed && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 100));
      if (buf.length > 0 && buf.length === last) break;
      last = buf.length;
    }
  };
  for (const step of steps) {
    s.write(step);
    await settle();
    if (buf.length === 1 && (buf[0] === 0x4e || buf[0] === 0x53)) {
      out.push(`single byte ${String.fromCharCode(buf[0])}`);
      buf = Buffer.alloc(0);
      continue;
    }
    while (buf.length >= 5 && buf.length >= buf.readInt32BE(1) + 1) {
      const len = buf.readInt32BE(1);
      out.push(normalize(decodeBackend(String.fromCharCode(buf[0]!), buf.subarray(5, len + 1))));
      buf = buf.subarray(len + 1);
    }
  }
  if (!closed) await settle();
  out.push(closed ? 'closed' : 'open');
  s.destroy();
  return out;
}

function normalize(m: WireMessage): string {
  if (m.Type === 'ParameterStatus' && m.Name === 'server_version') return 'ParameterStatus server_version';
  if (m.Type === 'BackendKeyData') return 'BackendKeyData';
  if (m.Type === 'ErrorResponse' || m.Type === 'NoticeResponse') return `${m.Type} ${m.Severity} ${m.Code}`;
  return JSON.stringify(m);
}

const CASES: Record<string, Buffer[]> = {
  'plain startup': [startup(196608, { user: 'postgres', database: 'postgres' })],
  'SSLRequest then startup': [special(80877103), startup(196608, { user: 'postgres', database: 'postgres' })],
  'protocol 3.5 and a _pq_ option': [
    startup(196613, { user: 'postgres', database: 'postgres', '_pq_.foo': 'x' }),
  ],
  'no user name': [startup(196608, { database: 'postgres' })],
  'Terminate right after startup': [
    startup(196608, { user: 'postgres', database: 'postgres' }),
    encodeFrontend('Terminate'),
  ],
};

for (const [name, steps] of Object.entries(CASES)) {
  test(`startup: ${name}`, { skip: noPg ?? false }, async () => {
    const want = await exchange(postgres!.port, steps);
    const got = await exchange(shale.port, steps);
    assert.deepEqual(got, want);
  });
}

/**
 * DIVERGENCES, each checked on both sides:
 * - GSSENCRequest: PostgreSQL built with GSSAPI answers 'G' and starts a GSSAPI exchange; shale has no
 *   GSSAPI and answers 'N' (as to SSLRequest), after which the startup goes on as usual.
 * - A startup packet with a bad length or an unsupported protocol major version: PostgreSQL only logs the
 *   first and answers the second in the old protocol-2 format; shale answers both with a v3 FATAL
 *   ErrorResponse (08P01, 0A000) before closing, which is what a malformed stream gets everywhere else.
 */
test('startup divergences: GSSENCRequest, bad lengths, protocol 2.0', { skip: noPg ?? false }, async () => {
  const login = startup(196608, { user: 'postgres', database: 'postgres' });
  const pgGss = await exchange(postgres!.port, [special(80877104)]);
  assert.equal(pgGss.at(-1), 'open');
  const shaleGss = await exchange(shale.port, [special(80877104), login]);
  const plain = await exchange(postgres!.port, [login]);
  assert.deepEqual(shaleGss, ['single byte N', ...plain]);

  const short = Buffer.from([0, 0, 0, 4, 0, 3, 0, 0]);
  assert.deepEqual(await exchange(postgres!.port, [short]), ['closed']);
  assert.deepEqual(await exchange(shale.port, [short]), ['ErrorResponse FATAL 08P01', 'closed']);

  const v2 = startup(131072, { user: 'postgres' });
  assert.deepEqual(await exchange(postgres!.port, [v2]), ['closed']); // its v2-format error is not decoded
  assert.deepEqual(await exchange(shale.port, [v2]), ['ErrorResponse FATAL 0A000', 'closed']);
});
