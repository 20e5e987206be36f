/**
 * COMPACT [table, ...] is recognised before libpg-query parses the string: alone or among other statements,
 * names quoted or not, comments anywhere, and never inside a string or a dollar-quoted body; everything
 * else keeps the positions PostgreSQL gives it.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadParser, parse } from '../../../src/sql/parse/parse.js';
import { SqlError } from '../../../src/sql/errors.js';

before(() => loadParser());

/** A table name as the model knows it, and how it is written. */
interface Name {
  readonly name: string;
  readonly written: string;
}

type Model = { kind: 'select'; literal: string } | { kind: 'compact'; tables: Name[] };

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
const name: fc.Arbitrary<Name> = fc.oneof(
  // Unquoted: folded to lower case.
  fc.constantFrom('t', 'Accounts', 'PGBENCH_HISTORY', 'data', 'x1_y').map((w) => ({
    name: w.toLowerCase(),
    written: w,
  })),
  // Quoted: kept as written, doubled quotes undone.
  fc.constantFrom('My T', 'a"b', 'é;t', 'COMPACT', 'select').map((n) => ({ name: n, written: quote(n) })),
);
const qualified = fc
  .tuple(name, fc.boolean())
  .map(([n, q]) => (q ? { name: n.name, written: `public.${n.written}` } : n));
const gap = fc.constantFrom(' ', '  ', '\n', ' /* c; compact x */ ', ' -- compact y;\n');
const literal = fc.constantFrom('plain', 'a; compact t', "it''s; COMPACT", 'compact');
const statement: fc.Arbitrary<Model> = fc.oneof(
  literal.map((l) => ({ kind: 'select' as const, literal: l })),
  fc.array(qualified, { maxLength: 3 }).map((tables) => ({ kind: 'compact' as const, tables })),
);

function render(m: Model, g: string, word: string, dollar: boolean): string {
  if (m.kind === 'select') return dollar ? `SELECT $q$${m.literal}$q$` : `SELECT '${m.literal}'`;
  if (m.tables.length === 0) return word;
  return `${word}${g}${m.tables.map((t) => t.written).join(`${g},${g}`)}`;
}

test('COMPACT among other statements: kinds, names and texts as written (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(statement, gap, fc.constantFrom('COMPACT', 'compact', 'Compact'), fc.boolean()), {
        minLength: 1,
        maxLength: 5,
      }),
      gap,
      fc.boolean(),
      (stmts, lead, trailingSemicolon) => {
        const texts = stmts.map(([m, g, w, d]) => render(m, g, w, d));
        const sql = lead + texts.join(';' + lead) + (trailingSemicolon ? ';' : '');
        const parsed = parse(sql);
        assert.equal(parsed.length, stmts.length, sql);
        parsed.forEach((p, i) => {
          const m = stmts[i]![0];
          assert.equal(sql.slice(p.offset, p.offset + p.text.length), p.text, 'offset and text agree');
          if (m.kind === 'select') {
            assert.equal(p.statement.kind, 'query', sql);
            assert.ok(p.text.includes(m.literal), sql);
          } else {
            assert.ok(p.statement.kind === 'admin' && p.statement.command === 'compact', sql);
            assert.deepEqual(
              p.statement.tables.map((t) => t.name),
              m.tables.map((t) => t.name),
              sql,
            );
            assert.equal(p.text, texts[i], 'the text is the statement, from COMPACT to its last token');
          }
        });
      },
    ),
    { numRuns: 300 },
  );
});

function syntaxError(sql: string): { message: string; position: number | undefined } {
  try {
    parse(sql);
  } catch (err) {
    assert.ok(err instanceof SqlError);
    assert.equal(err.code, '42601');
    return { message: err.message, position: err.position };
  }
  assert.fail(`no syntax error for ${sql}`);
}

test('COMPACT syntax errors are positioned as PostgreSQL positions its own', () => {
  assert.deepEqual(syntaxError('COMPACT t u'), { message: 'syntax error at or near "u"', position: 11 });
  assert.deepEqual(syntaxError('compact t,'), { message: 'syntax error at end of input', position: 11 });
  assert.deepEqual(syntaxError('select 1; compact 1'), {
    message: 'syntax error at or near "1"',
    position: 19,
  });
  // Reserved keywords need quotes, as in PostgreSQL (VACUUM select is an error there too).
  assert.equal(syntaxError('compact select').position, 9);
  // An error in another statement keeps its position: the COMPACT before it is blanked, not removed.
  assert.deepEqual(syntaxError('compact "é"; selec 1'), {
    message: 'syntax error at or near "selec"',
    position: 15, // bytes (é is two); the wire server turns it into characters
  });
});

test('COMPACT is only a statement of its own: a column or alias named compact is SQL as before', () => {
  for (const sql of ['select 1 as compact', 'select compact from t', 'create table compact (a int)']) {
    const [p] = parse(sql);
    assert.notEqual(p!.statement.kind, 'admin', sql);
  }
  assert.deepEqual(parse('-- only a comment\n'), []);
  const [c] = parse('/* x */ COMPACT -- all of it\n');
  assert.ok(c!.statement.kind === 'admin' && c!.statement.tables.length === 0);
});
