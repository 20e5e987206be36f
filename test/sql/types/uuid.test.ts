/**
 * uuid text input against a model of PostgreSQL's uuid_in (32 hex digits in either case, an optional
 * hyphen after each group of four but the last, optional matching braces, nothing else), and the 16-byte
 * form against the text form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseUuid, uuidFromBytes, uuidToBytes } from '../../../src/sql/types/uuid.js';
import { SqlError } from '../../../src/sql/errors.js';

const MODEL = /^(\{)?[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}(\})?$/;

/** modelParse: the canonical form PostgreSQL would print, or undefined when it rejects the input. */
function modelParse(text: string): string | undefined {
  const m = MODEL.exec(text);
  if (m === null || (m[1] === undefined) !== (m[2] === undefined)) return undefined;
  const hex = text.replace(/[{}-]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function parsed(text: string): string | undefined {
  try {
    return parseUuid(text);
  } catch (err) {
    assert.ok(err instanceof SqlError && err.code === '22P02', String(err));
    return undefined;
  }
}

test('uuid input: accepted and canonicalised exactly as the model of uuid_in says (property)', () => {
  // Near-valid inputs: 32 hex digits with hyphens and braces sprinkled in, and a few stray characters.
  const piece = fc.constantFrom(...'0123456789abcdefABCDEF', '-', '-', '{', '}', ' ', 'g');
  const nearValid = fc
    .tuple(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([bytes, hyphens, braces, upper]) => {
      let hex = Buffer.from(bytes).toString('hex');
      if (upper) hex = hex.toUpperCase();
      let s = '';
      for (let i = 0; i < 8; i++) s += hex.slice(4 * i, 4 * i + 4) + (hyphens[i] ? '-' : '');
      return braces ? `{${s}}` : s;
    });
  fc.assert(
    fc.property(
      fc.oneof(
        nearValid,
        fc.array(piece, { minLength: 30, maxLength: 40 }).map((a) => a.join('')),
      ),
      (text) => {
        assert.equal(parsed(text), modelParse(text), JSON.stringify(text));
      },
    ),
    { numRuns: 2000 },
  );
});

test('uuid bytes and text agree both ways, and text order is byte order (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      (a, b) => {
        const ta = uuidFromBytes(a);
        assert.equal(parseUuid(ta), ta);
        const back = new Uint8Array(18);
        uuidToBytes(ta, back, 1);
        assert.deepEqual(back.subarray(1, 17), a);
        const tb = uuidFromBytes(b);
        assert.equal(ta < tb, Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0);
      },
    ),
  );
});
