/**
 * The SQL storage codecs against models: rows round-trip exactly for every type; encoded keys order
 * bytewise exactly as the values order (ascending, NULLs last; descending inverted), also for composite keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeRow, encodeTypedRow } from '../../src/sql/storage/row-codec.js';
import { KeyWriter } from '../../src/sql/storage/key-codec.js';
import { compareFor } from '../../src/sql/types/compare.js';
import { parseNumeric } from '../../src/sql/types/numeric.js';
import { sqlType, type SqlType, type TypeId, type Value } from '../../src/sql/types/sql-type.js';
import { compareBytes } from '../../src/util/bytes.js';
import { uuidFromBytes } from '../../src/sql/types/uuid.js';

const INT8 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const numericText = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat(12)).map(([i, s]) =>
  parseNumeric(
    s === 0
      ? i.toString()
      : `${i < 0n ? '-' : ''}${(i < 0n ? -i : i)
          .toString()
          .padStart(s + 1, '0')
          .replace(new RegExp(`(\\d{${s}})$`), '.$1')}`,
  ),
);

const VALUES: Record<string, [TypeId, fc.Arbitrary<Value>]> = {
  int2: ['int2', fc.integer({ min: -32768, max: 32767 })],
  int4: ['int4', fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
  int8: ['int8', INT8],
  float8: ['float8', fc.double()],
  float4: ['float4', fc.float().map((x) => Math.fround(x))],
  numeric: ['numeric', fc.oneof(numericText, fc.constant('NaN'))],
  text: ['text', fc.string({ unit: 'grapheme' })],
  bytea: ['bytea', fc.uint8Array({ maxLength: 12 })],
  bool: ['bool', fc.boolean()],
  uuid: ['uuid', fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b))],
  date: ['date', fc.integer({ min: -2_000_000, max: 2_000_000 })],
  timestamptz: ['timestamptz', fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })],
};

const typed = fc.constantFrom(...Object.keys(VALUES)).chain((k) => {
  const [id, arb] = VALUES[k]!;
  return fc.tuple(fc.constant(sqlType(id)), fc.option(arb, { nil: null }));
});

test('rows round-trip exactly', () => {
  fc.assert(
    fc.property(fc.array(typed, { maxLength: 12 }), (cols) => {
      const types = cols.map(([t]) => t);
      const values = cols.map(([, v]) => v);
      const back = decodeRow(types, encodeTypedRow(types, values));
      assert.equal(back.length, values.length);
      back.forEach((v, i) => {
        if (typeof values[i] === 'number' && Number.isNaN(values[i])) assert.ok(Number.isNaN(v as number));
        else assert.deepEqual(v, values[i]);
      });
    }),
    { numRuns: 500 },
  );
});

function sqlCompare(t: SqlType, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return Math.sign(compareFor(t.id)(a, b));
}

for (const [name, [id, arb]] of Object.entries(VALUES)) {
  test(`keys of ${name} order as the values do (NULLs last; DESC inverted)`, () => {
    const t = sqlType(id);
    fc.assert(
      fc.property(
        fc.option(arb, { nil: null }),
        fc.option(arb, { nil: null }),
        fc.boolean(),
        (a, b, desc) => {
          // -0 and 0 are equal values; their keys are equal too.
          const ka = new KeyWriter().value(t, a, desc).finish();
          const kb = new KeyWriter().value(t, b, desc).finish();
          const want = sqlCompare(t, a, b) * (desc ? -1 : 1) || 0;
          assert.equal(Math.sign(compareBytes(ka, kb)), want, `${String(a)} vs ${String(b)}`);
        },
      ),
      { numRuns: 400 },
    );
  });
}

/** int64Reference: a non-null integer key as the codec's documented layout has it, computed with BigInt. */
function int64Reference(n: bigint): Uint8Array {
  const header = new KeyWriter().value(sqlType('int8'), 0n).finish().subarray(0, -8);
  const out = new Uint8Array(header.length + 8);
  out.set(header);
  new DataView(out.buffer).setBigUint64(header.length, BigInt.asUintN(64, n) ^ (1n << 63n));
  return out;
}

test('integers encode alike whatever their width, as the sign-flipped big-endian int64 (BigInt reference)', () => {
  const edges = [
    2n ** 53n - 1n,
    2n ** 53n,
    -(2n ** 53n) + 1n,
    -(2n ** 53n),
    2n ** 63n - 1n,
    -(2n ** 63n),
    0n,
    -1n,
  ];
  for (const n of edges)
    assert.deepEqual(new KeyWriter().value(sqlType('int8'), n).finish(), int64Reference(n));
  fc.assert(
    fc.property(fc.maxSafeInteger(), INT8, (n, big) => {
      const a = new KeyWriter().value(sqlType('int4'), n).finish();
      const b = new KeyWriter().value(sqlType('int8'), BigInt(n)).finish();
      assert.deepEqual(a, int64Reference(BigInt(n)));
      assert.deepEqual(b, int64Reference(BigInt(n)));
      assert.deepEqual(new KeyWriter().value(sqlType('int8'), big).finish(), int64Reference(big));
    }),
    { numRuns: 1000 },
  );
});

test('composite keys order column by column, and no key is a prefix of another value', () => {
  const t1 = sqlType('text');
  const t2 = sqlType('int4');
  fc.assert(
    fc.property(
      fc.tuple(fc.string(), fc.integer()),
      fc.tuple(fc.string(), fc.integer()),
      ([a1, a2], [b1, b2]) => {
        const ka = new KeyWriter().value(t1, a1).value(t2, a2).finish();
        const kb = new KeyWriter().value(t1, b1).value(t2, b2).finish();
        const c1 = sqlCompare(t1, a1, b1);
        const want = c1 !== 0 ? c1 : sqlCompare(t2, a2, b2);
        assert.equal(Math.sign(compareBytes(ka, kb)), want);
      },
    ),
    { numRuns: 500 },
  );
});

test('char(n) values are stored without trailing spaces and read back padded; rows stored padded read the same', () => {
  // A char(n) value as the server makes it: at most n characters, padded with spaces to n.
  const char = fc
    .tuple(fc.integer({ min: 1, max: 90 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.nat(4))
    .map(([n, s, spaces]) => {
      const chars = [...(s + ' '.repeat(spaces))].slice(0, n);
      return { n, value: chars.join('') + ' '.repeat(n - chars.length) };
    });
  fc.assert(
    fc.property(fc.array(fc.option(char, { nil: null }), { minLength: 1, maxLength: 5 }), (cols) => {
      const types = cols.map((c) => sqlType('bpchar', (c?.n ?? 1) + 4));
      const values = cols.map((c) => c?.value ?? null);
      const stored = encodeTypedRow(types, values);
      assert.deepEqual(decodeRow(types, stored), values);
      // Written before char(n) was stored trimmed: the padded text as it is.
      const asText = cols.map(() => sqlType('text'));
      assert.deepEqual(decodeRow(types, encodeTypedRow(asText, values)), values);
      assert.ok(stored.length <= encodeTypedRow(asText, values).length);
    }),
    { numRuns: 500 },
  );
  const filler = [' '.repeat(84)];
  const types = [sqlType('bpchar', 88)];
  assert.equal(encodeTypedRow(types, filler).length, 2, "pgbench's empty filler is a tag and a length");
  assert.deepEqual(decodeRow(types, encodeTypedRow(types, filler)), filler);
});
