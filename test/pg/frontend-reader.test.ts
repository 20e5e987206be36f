/**
 * FrontendReader and BodyReader under any input: valid streams split anywhere come back message for
 * message; any byte sequence yields messages or a typed FATAL SqlError (08P01, or 54000 for a message over
 * the size limit), never another exception and never an endless loop.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BodyReader, FrontendReader } from '../../src/pg/protocol/frontend-reader.js';
import { SqlError } from '../../src/sql/errors.js';

const SEED = Number(process.env.SEED ?? 16_2026);
const FC = { seed: SEED, numRuns: 400 };

function frame(type: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type;
  b.writeInt32BE(body.length + 4, 1);
  b.set(body, 5);
  return b;
}

/** splitAt cuts bytes at the given fractions into chunks (some empty). */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = cuts.map((c) => Math.floor(c * (bytes.length + 1))).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function isTypedFatal(err: unknown): boolean {
  return (
    err instanceof SqlError && err.severity === 'FATAL' && (err.code === '08P01' || err.code === '54000')
  );
}

test(`FrontendReader: valid messages split anywhere come back whole (seed ${SEED})`, () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 40 }),
      fc.array(fc.tuple(fc.integer({ min: 0x21, max: 0x7e }), fc.uint8Array({ maxLength: 300 })), {
        maxLength: 20,
      }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }),
      (startupBody, messages, cuts) => {
        const startup = Buffer.alloc(8 + startupBody.length);
        startup.writeInt32BE(startup.length, 0);
        startup.writeInt32BE(196608, 4);
        startup.set(startupBody, 8);
        const bytes = Buffer.concat([startup, ...messages.map(([t, b]) => frame(t, b))]);
        const r = new FrontendReader(1 << 20);
        const got: { type: string; body: Buffer }[] = [];
        for (const chunk of splitAt(bytes, cuts)) {
          r.push(chunk);
          for (let m = r.next(); m !== undefined; m = r.next()) got.push(m);
        }
        assert.equal(got.length, messages.length + 1);
        assert.deepEqual(got[0]!.body, startup.subarray(4));
        messages.forEach(([t, b], i) => {
          assert.equal(got[i + 1]!.type, String.fromCharCode(t));
          assert.deepEqual(new Uint8Array(got[i + 1]!.body), b);
        });
      },
    ),
    FC,
  );
});

test(`FrontendReader: any bytes give messages or a typed FATAL error, in bounded steps (seed ${SEED})`, () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
      fc.integer({ min: 0, max: 200 }),
      (startup, chunks, limit) => {
        const r = new FrontendReader(limit);
        if (!startup) {
          // Get past the startup packet first.
          r.push(Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]));
          assert.notEqual(r.next(), undefined);
        }
        let total = 0;
        let steps = 0;
        try {
          for (const c of chunks) {
            r.push(Buffer.from(c));
            total += c.length;
            for (let m = r.next(); m !== undefined; m = r.next()) {
              steps++;
              assert.ok(steps <= total / 4 + 1, 'each message consumes at least 4 bytes');
              if (m.type === '') r.expectStartup();
            }
          }
        } catch (err) {
          if (!isTypedFatal(err)) throw err;
        }
      },
    ),
    FC,
  );
});

test(`FrontendReader: a length above the limit is refused before its body arrives (seed ${SEED})`, () => {
  const r = new FrontendReader(1000);
  r.push(Buffer.from([0, 0, 0, 8, 0, 3, 0, 0]));
  r.next();
  r.push(Buffer.from([0x51, 0, 0, 0x10, 0]));
  assert.throws(
    () => r.next(),
    (e: unknown) => e instanceof SqlError && e.code === '54000',
  );
  const s = new FrontendReader(1000);
  s.push(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
  assert.throws(
    () => s.next(),
    (e: unknown) => e instanceof SqlError && e.code === '08P01',
  );
});

type Op = { op: 'int16' | 'int32' | 'byte' | 'cstring' | 'done' | 'remaining' } | { op: 'bytes'; n: number };

test(`BodyReader: any reads of any body give values or a typed FATAL 08P01 (seed ${SEED})`, () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constantFrom<Op>(
      { op: 'int16' },
      { op: 'int32' },
      { op: 'byte' },
      { op: 'cstring' },
      { op: 'done' },
      { op: 'remaining' },
    ),
    fc.integer({ min: -5, max: 80 }).map((n): Op => ({ op: 'bytes', n })),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(op, { maxLength: 30 }), (body, ops) => {
      const r = new BodyReader(Buffer.from(body));
      try {
        for (const o of ops) {
          if (o.op === 'bytes') assert.ok(r.bytes(o.n).length === o.n);
          else if (o.op === 'remaining') assert.ok(r.remaining >= 0);
          else r[o.op]();
        }
      } catch (err) {
        if (!(err instanceof SqlError && err.code === '08P01' && err.severity === 'FATAL')) throw err;
      }
    }),
    FC,
  );
});

test(`BodyReader.cstring reads what Buffer's UTF-8 decoding reads, short and long, ASCII or not (seed ${SEED})`, () => {
  // The short-ASCII loop and the C++ path must agree on every string, including one that turns non-ASCII
  // (or ends) past the loop's limit.
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  fc.assert(
    fc.property(
      fc.array(
        text.map((t) => t.replaceAll('\0', '')),
        { minLength: 1, maxLength: 4 },
      ),
      (texts) => {
        const body = Buffer.concat(texts.map((t) => Buffer.concat([Buffer.from(t, 'utf8'), Buffer.of(0)])));
        const r = new BodyReader(body);
        for (const t of texts) assert.equal(r.cstring(), Buffer.from(t, 'utf8').toString('utf8'));
        r.done();
      },
    ),
    FC,
  );
});
