/**
 * Window frames against a model: random rows and random windows (PARTITION BY or not; ORDER BY one nullable
 * column either way round; ROWS, RANGE or GROUPS between any valid pair of bounds; every EXCLUDE), run
 * through the server, compared with frames the model decides row by row from values alone (no sorting,
 * no positions but the ROWS order), as the SQL standard defines them. window_functions.slt pins the same
 * functions against PostgreSQL; this covers the combinations a corpus cannot list.
 * Randomized: fast-check prints the seed of a failing run; SEED=<n> replays it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { ORACLE_SKIP, withPostgres, withShale } from '../support/sql-clients.js';

const SEED = Number(process.env.SEED ?? 16_2031);

interface Row {
  readonly id: number;
  readonly g: number;
  readonly x: number | null;
}

type Bound =
  | { kind: 'unboundedPreceding' | 'unboundedFollowing' | 'currentRow' }
  | { kind: 'preceding' | 'following'; k: number };

interface Win {
  readonly partition: boolean;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  /** tieBreak: ORDER BY x, id (a total order, so ROWS frames are deterministic) instead of ORDER BY x. */
  readonly tieBreak: boolean;
  readonly mode: 'rows' | 'range' | 'groups';
  readonly start: Bound;
  readonly end: Bound;
  readonly exclude: 'none' | 'current' | 'group' | 'ties';
}

// Bound kinds in frame order: a frame may not start after it ends in this order (the grammar's rule).
const RANK = { unboundedPreceding: 0, preceding: 1, currentRow: 2, following: 3, unboundedFollowing: 4 };

const bound = fc.oneof(
  fc.constantFrom<Bound>(
    { kind: 'unboundedPreceding' },
    { kind: 'currentRow' },
    { kind: 'unboundedFollowing' },
  ),
  fc.record({
    kind: fc.constantFrom('preceding' as const, 'following' as const),
    k: fc.integer({ min: 0, max: 3 }),
  }),
);

const win: fc.Arbitrary<Win> = fc
  .record({
    partition: fc.boolean(),
    desc: fc.boolean(),
    nullsFirst: fc.boolean(),
    tieBreak: fc.boolean(),
    mode: fc.constantFrom('rows' as const, 'range' as const, 'groups' as const),
    start: bound,
    end: bound,
    exclude: fc.constantFrom('none' as const, 'current' as const, 'group' as const, 'ties' as const),
  })
  .filter(
    (w) =>
      w.start.kind !== 'unboundedFollowing' &&
      w.end.kind !== 'unboundedPreceding' &&
      RANK[w.start.kind] <= RANK[w.end.kind] &&
      // ROWS needs a total order to be deterministic; RANGE with an offset needs exactly one ORDER BY column.
      (w.mode !== 'rows' || w.tieBreak) &&
      !(w.mode === 'range' && w.tieBreak && (hasOffset(w.start) || hasOffset(w.end))),
  );

function hasOffset(b: Bound): boolean {
  return b.kind === 'preceding' || b.kind === 'following';
}

const rows: fc.Arbitrary<Row[]> = fc
  .array(fc.record({ g: fc.integer({ min: 0, max: 1 }), x: fc.option(fc.integer({ min: 0, max: 6 })) }), {
    maxLength: 12,
  })
  .map((rs) => rs.map((r, i) => ({ id: i + 1, g: r.g, x: r.x })));

function boundSql(b: Bound): string {
  switch (b.kind) {
    case 'unboundedPreceding':
      return 'UNBOUNDED PRECEDING';
    case 'unboundedFollowing':
      return 'UNBOUNDED FOLLOWING';
    case 'currentRow':
      return 'CURRENT ROW';
    default:
      return `${b.k} ${b.kind.toUpperCase()}`;
  }
}

function windowSql(w: Win): string {
  const dir = `${w.desc ? 'DESC' : 'ASC'} NULLS ${w.nullsFirst ? 'FIRST' : 'LAST'}`;
  const exclude = { none: 'NO OTHERS', current: 'CURRENT ROW', group: 'GROUP', ties: 'TIES' }[w.exclude];
  return (
    `${w.partition ? 'PARTITION BY g ' : ''}ORDER BY x ${dir}${w.tieBreak ? ', id' : ''} ` +
    `${w.mode.toUpperCase()} BETWEEN ${boundSql(w.start)} AND ${boundSql(w.end)} EXCLUDE ${exclude}`
  );
}

/** order compares two rows in window order (ORDER BY x [, id]). */
function order(w: Win, a: Row, b: Row): number {
  if (a.x !== b.x) {
    if (a.x === null) return w.nullsFirst ? -1 : 1;
    if (b.x === null) return w.nullsFirst ? 1 : -1;
    return w.desc ? b.x - a.x : a.x - b.x;
  }
  return w.tieBreak ? a.id - b.id : 0;
}

/** inFrame: row j is in row i's frame, decided from the definitions (peers, groups, values). */
function inFrame(w: Win, part: readonly Row[], i: Row, j: Row): boolean {
  const peers = (a: Row, b: Row): boolean => order(w, a, b) === 0;
  // groupOf: how many distinct peer groups come before a row.
  const groupOf = (r: Row): number =>
    new Set(part.filter((o) => order(w, o, r) < 0).map((o) => JSON.stringify([o.x, w.tieBreak ? o.id : 0])))
      .size;
  const posOf = (r: Row): number => part.filter((o) => order(w, o, r) < 0).length;
  const side = (b: Bound, start: boolean): boolean => {
    if (b.kind === 'unboundedPreceding' || b.kind === 'unboundedFollowing') return true;
    const sign = b.kind === 'preceding' ? -1 : b.kind === 'following' ? 1 : 0;
    const k = 'k' in b ? b.k : 0;
    const cmp = (d: number): boolean => (start ? d >= 0 : d <= 0);
    switch (w.mode) {
      case 'rows':
        return cmp(posOf(j) - (posOf(i) + sign * k));
      case 'groups':
        return cmp(groupOf(j) - (groupOf(i) + sign * k));
      case 'range': {
        if (b.kind === 'currentRow' || i.x === null) return cmp(order(w, j, i));
        if (j.x === null) return start ? !w.nullsFirst : w.nullsFirst;
        const target = i.x + (w.desc ? -sign : sign) * k;
        return cmp(w.desc ? target - j.x : j.x - target);
      }
    }
  };
  if (!side(w.start, true) || !side(w.end, false)) return false;
  switch (w.exclude) {
    case 'none':
      return true;
    case 'current':
      return j !== i;
    case 'group':
      return !peers(i, j);
    case 'ties':
      return j === i || !peers(i, j);
  }
}

/** model: per row (by id): sum(id), count(*), first_value(id), last_value(id) over its frame. */
function model(w: Win, table: readonly Row[]): string[] {
  return table.map((i) => {
    const part = table.filter((r) => !w.partition || r.g === i.g);
    const frame = part.filter((j) => inFrame(w, part, i, j)).sort((a, b) => order(w, a, b) || a.id - b.id);
    const sum = frame.reduce((s, r) => s + r.id, 0);
    const fv = frame[0]?.id ?? null;
    const lv = frame[frame.length - 1]?.id ?? null;
    // first/last_value are only determined when the order within the frame is (a total order).
    return [
      i.id,
      frame.length === 0 ? null : sum,
      frame.length,
      w.tieBreak ? fv : '-',
      w.tieBreak ? lv : '-',
    ].join(' ');
  });
}

/** checkFrames runs the property against a database reached through `client`. */
async function checkFrames(client: pg.Client): Promise<void> {
  await client.query('CREATE TABLE wf (id int PRIMARY KEY, g int, x int)');
  await fc.assert(
    fc.asyncProperty(rows, win, async (table, w) => {
      await client.query('DELETE FROM wf');
      for (const r of table) await client.query('INSERT INTO wf VALUES ($1, $2, $3)', [r.id, r.g, r.x]);
      const spec = windowSql(w);
      const first = w.tieBreak ? `first_value(id) OVER w, last_value(id) OVER w` : `'-', '-'`;
      const res = await client.query({
        text: `SELECT id, sum(id) OVER w, count(*) OVER w, ${first} FROM wf WINDOW w AS (${spec}) ORDER BY id`,
        rowMode: 'array',
      });
      const got = (res.rows as unknown[][]).map((r) => r.map((v) => (v === null ? '' : String(v))).join(' '));
      assert.deepEqual(got, model(w, table), spec);
    }),
    { seed: SEED, numRuns: 150 },
  );
}

test(`window frames match the model (seed ${SEED})`, () => withShale(checkFrames));

// The model itself against PostgreSQL 15 (npm run slt:check), so that shale and the model cannot share a mistake.
test('the window frame model matches PostgreSQL 15', { skip: ORACLE_SKIP }, () => withPostgres(checkFrames));
