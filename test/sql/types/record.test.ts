/**
 * Record values (src/sql/types/record.ts): record_out's quoting, record_cmp's order against a model
 * (field by field, NULL fields equal to each other and after every value), its 42804 refusals, GROUP BY
 * keys that agree with the order, IS [NOT] NULL of rows and record_send's layout.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareFor, compareText } from '../../../src/sql/types/compare.js';
import { formatBinary, formatValue } from '../../../src/sql/types/text-io.js';
import { DEFAULT_IO } from '../../../src/sql/types/io-settings.js';
import { RecordValue, anonymousNames, rowIsNotNull, rowIsNull } from '../../../src/sql/types/record.js';
import { sqlType, type SqlType, type Value } from '../../../src/sql/types/sql-type.js';
import { groupKey } from '../../../src/sql/plan/distinct.js';
import { SqlError } from '../../../src/sql/errors.js';

const SEED = Number(process.env.SEED ?? 2249);
const INT4 = sqlType('int4');
const TEXT = sqlType('text');
const RECORD = sqlType('record');

function rec(values: readonly Value[], types: readonly SqlType[]): RecordValue {
  return new RecordValue(values, types, anonymousNames(values.length));
}

const out = (r: RecordValue): string => formatValue(RECORD, r, DEFAULT_IO);

test('record_out quotes empty strings, quotes, backslashes, parentheses, commas and white space', () => {
  const texts = ['abc', '', 'a,b', 'say "hi"', 'a\\b', '(p)', 'a b', 'tab\there', 'line\nbreak', 'NULL'];
  const r = rec([1, null, ...texts], [INT4, TEXT, ...texts.map(() => TEXT)]);
  assert.equal(out(r), '(1,,abc,"","a,b","say ""hi""","a\\\\b","(p)","a b","tab\there","line\nbreak",NULL)');
  assert.equal(out(rec([], [])), '()');
  assert.equal(out(rec([null, null], [INT4, TEXT])), '(,)');
  // A nested record is quoted as a field, its own quotes doubled.
  const inner = rec([2, 'a b'], [INT4, TEXT]);
  assert.equal(out(rec([1, inner], [INT4, RECORD])), '(1,"(2,""a b"")")');
  // Fields print in their type's text form.
  assert.equal(
    out(rec([true, new Uint8Array([0x78])], [sqlType('bool'), sqlType('bytea')])),
    '(t,"\\\\x78")',
  );
});

test('record_cmp: NULL fields last and equal to each other; dissimilar types and lengths are 42804', () => {
  const cmp = compareFor('record');
  assert.equal(cmp(rec([1, null], [INT4, INT4]), rec([1, null], [INT4, INT4])), 0);
  assert.ok(cmp(rec([1, null], [INT4, INT4]), rec([1, 5], [INT4, INT4])) > 0);
  assert.ok(cmp(rec([1, 'b'], [INT4, TEXT]), rec([2, 'a'], [INT4, TEXT])) < 0);
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (err) {
      return err instanceof SqlError ? err.code : 'other';
    }
    return undefined;
  };
  assert.equal(
    code(() => cmp(rec([1], [INT4]), rec(['1'], [sqlType('numeric')]))),
    '42804',
  );
  assert.equal(
    code(() => cmp(rec([1], [INT4]), rec([1, 2], [INT4, INT4]))),
    '42804',
  );
  // A difference before the mismatch decides without looking further, as record_cmp does.
  assert.ok(cmp(rec([1, 2], [INT4, INT4]), rec([2], [INT4])) < 0);
});

test('row IS NULL: every field NULL; IS NOT NULL: no field NULL', () => {
  assert.equal(rowIsNull(null), true);
  assert.equal(rowIsNull(rec([null, null], [INT4, INT4])), true);
  assert.equal(rowIsNull(rec([1, null], [INT4, INT4])), false);
  assert.equal(rowIsNotNull(rec([1, null], [INT4, INT4])), false);
  assert.equal(rowIsNotNull(rec([1, 2], [INT4, INT4])), true);
  assert.equal(rowIsNotNull(null), false);
});

test('record_send: field count, then each field as type OID, length (-1 for NULL) and bytes', () => {
  const b = Buffer.from(formatBinary(RECORD, rec([7, null], [INT4, TEXT])));
  assert.equal(b.readInt32BE(0), 2);
  assert.deepEqual([b.readUInt32BE(4), b.readInt32BE(8), b.readInt32BE(12)], [23, 4, 7]);
  assert.deepEqual([b.readUInt32BE(16), b.readInt32BE(20)], [25, -1]);
  assert.equal(b.length, 24);
});

/** model orders two records of (int4, text) fields as record_cmp is documented to. */
function model(a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === null || y === null) {
      if (x === null && y === null) continue;
      return x === null ? 1 : -1;
    }
    const c = typeof x === 'number' ? x - (y as number) : compareText(x as string, y as string);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

const field = fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 3 }));
const textField = fc.oneof(fc.constant(null), fc.constantFrom('', 'a', 'a,b', '"', '\\', ' ', 'b'));
const pair = fc.tuple(field, textField, field);
const TYPES = [INT4, TEXT, INT4];

test('record order and GROUP BY keys agree with the model', () => {
  const cmp = compareFor('record');
  fc.assert(
    fc.property(pair, pair, (a, b) => {
      const ra = rec(a, TYPES);
      const rb = rec(b, TYPES);
      const want = model(a, b);
      assert.equal(Math.sign(cmp(ra, rb)), want);
      assert.equal(Math.sign(cmp(rb, ra)), want === 0 ? 0 : -want);
      // Equal keys exactly when the records are equal, also when nested in another record.
      assert.equal(groupKey([RECORD], [ra]) === groupKey([RECORD], [rb]), want === 0);
      const nest = (r: RecordValue): RecordValue => rec([r, 'x'], [RECORD, TEXT]);
      assert.equal(groupKey([RECORD], [nest(ra)]) === groupKey([RECORD], [nest(rb)]), want === 0);
      // Text output tells different records apart (it is what clients see).
      if (want !== 0) assert.notEqual(out(ra), out(rb));
    }),
    { seed: SEED, numRuns: 500 },
  );
});
