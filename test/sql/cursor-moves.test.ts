/**
 * FETCH and MOVE against a model: random sequences of every direction (NEXT, PRIOR, FIRST, LAST, ABSOLUTE,
 * RELATIVE, counts, ALL, FORWARD, BACKWARD; negative counts too) on a SCROLL cursor over 0 to 6 rows,
 * compared with a model of the positions PostgreSQL documents (0 before the first row, 1..n on a row,
 * n + 1 after the last). Under `npm run slt:check` the model is checked against PostgreSQL 15 itself.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { ORACLE_SKIP, withPostgres, withShale } from '../support/sql-clients.js';

const SEED = Number(process.env.SEED ?? 16_2037);

type Direction =
  | { kind: 'next' | 'prior' | 'first' | 'last' | 'all' | 'forwardAll' | 'backwardAll' }
  | { kind: 'absolute' | 'relative' | 'count' | 'forward' | 'backward'; n: number };

interface Op {
  readonly move: boolean;
  readonly d: Direction;
}

const op: fc.Arbitrary<Op> = fc.record({
  move: fc.boolean(),
  d: fc.oneof(
    fc.constantFrom<Direction>(
      { kind: 'next' },
      { kind: 'prior' },
      { kind: 'first' },
      { kind: 'last' },
      { kind: 'all' },
      { kind: 'forwardAll' },
      { kind: 'backwardAll' },
    ),
    fc.record({
      kind: fc.constantFrom(
        'absolute' as const,
        'relative' as const,
        'count' as const,
        'forward' as const,
        'backward' as const,
      ),
      n: fc.integer({ min: -8, max: 8 }),
    }),
  ),
});

function sql(o: Op): string {
  const d = o.d;
  const words: Record<string, string> = {
    next: 'NEXT',
    prior: 'PRIOR',
    first: 'FIRST',
    last: 'LAST',
    all: 'ALL',
    forwardAll: 'FORWARD ALL',
    backwardAll: 'BACKWARD ALL',
  };
  const how = 'n' in d ? (d.kind === 'count' ? `${d.n}` : `${d.kind.toUpperCase()} ${d.n}`) : words[d.kind]!;
  return `${o.move ? 'MOVE' : 'FETCH'} ${how} FROM c`;
}

/** Model is a cursor over rows 1..size by position, as PostgreSQL's documentation defines FETCH. */
class Model {
  pos = 0;
  constructor(private readonly size: number) {}

  /** run returns the rows FETCH returns (MOVE counts them). */
  run(d: Direction): number[] {
    switch (d.kind) {
      case 'next':
        return this.step(1);
      case 'prior':
        return this.step(-1);
      case 'first':
        return this.goTo(1);
      case 'last':
        return this.goTo(this.size);
      case 'all':
      case 'forwardAll':
        return this.step(Infinity);
      case 'backwardAll':
        return this.step(-Infinity);
      case 'absolute':
        return this.goTo(d.n >= 0 ? d.n : this.size + 1 + d.n);
      case 'relative':
        return d.n === 0 ? this.current() : this.goTo(this.pos + d.n);
      case 'count':
      case 'forward':
        return d.n === 0 ? this.current() : this.step(d.n);
      case 'backward':
        return d.n === 0 ? this.current() : this.step(-d.n);
    }
  }

  private current(): number[] {
    return this.pos >= 1 && this.pos <= this.size ? [this.pos] : [];
  }

  /** goTo lands on row k, or before the first / after the last when k is outside them. */
  private goTo(k: number): number[] {
    this.pos = Math.max(0, Math.min(this.size + 1, k));
    return this.current();
  }

  /** step passes over |k| rows forward (k > 0) or backward, returning each. */
  private step(k: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < Math.abs(k); i++) {
      const next = this.pos + Math.sign(k);
      if (next < 1 || next > this.size) {
        this.pos = next < 1 ? 0 : this.size + 1;
        break;
      }
      this.pos = next;
      out.push(next);
    }
    return out;
  }
}

async function checkMoves(client: pg.Client): Promise<void> {
  await client.query('CREATE TABLE cm (i int PRIMARY KEY)');
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 6 }), fc.array(op, { maxLength: 12 }), async (size, ops) => {
      await client.query('DELETE FROM cm');
      if (size > 0)
        await client.query('INSERT INTO cm SELECT g FROM generate_series(1, $1::int) AS g', [size]);
      await client.query('BEGIN');
      try {
        await client.query('DECLARE c SCROLL CURSOR FOR SELECT i FROM cm ORDER BY i');
        const m = new Model(size);
        for (const o of ops) {
          const res = await client.query({ text: sql(o), rowMode: 'array' });
          const want = m.run(o.d);
          const got = o.move ? res.rowCount : (res.rows as number[][]).map((r) => r[0]);
          assert.deepEqual(got, o.move ? want.length : want, `${sql(o)} (${ops.map(sql).join('; ')})`);
        }
      } finally {
        await client.query('ROLLBACK');
      }
    }),
    { seed: SEED, numRuns: 200 },
  );
}

test(`FETCH and MOVE match the model (seed ${SEED})`, () => withShale(checkMoves));

// The model itself against PostgreSQL 15 (npm run slt:check), so that shale and the model cannot share a mistake.
test('the FETCH model matches PostgreSQL 15', { skip: ORACLE_SKIP }, () => withPostgres(checkMoves));
