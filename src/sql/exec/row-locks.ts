/**
 * SELECT ... FOR UPDATE / FOR SHARE: the rows of every table in FROM (or of those its OF lists) that take part
 * in a result row are locked before the query runs, as PostgreSQL locks them. Under READ COMMITTED each lock
 * waits for its holder and rechecks the row as committed (EvalPlanQual), then the query reads a fresh
 * snapshot, which shows the locked rows as last committed; rows that only match in that snapshot are locked
 * too, until a snapshot holds no unlocked match. Under REPEATABLE READ a row changed after the snapshot is
 * 40001. FOR SHARE takes shared locks (other FOR SHARE readers go on; writers wait), FOR UPDATE exclusive
 * ones.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import type { Expr, FromItem, Select, TableRef } from '../ast.js';
import { columnIndex, type TableDef } from '../catalog/table-def.js';
import type { ExecContext } from '../expr/context.js';
import type { Planner } from '../plan/planner.js';
import { ErrorCode, ShaleError } from '../../util/errors.js';
import { collect, matching, relock, type Target } from './update-delete.js';

type SimpleSelect = Extract<Select, { kind: 'select' }>;

/** Locked is one table whose rows the query locks, as the rest of FROM and the WHERE clause select them. */
interface Locked {
  readonly table: TableDef;
  readonly target: Target;
  readonly nowait: boolean;
  /** share: FOR SHARE alone covers it (a shared lock); any FOR UPDATE makes it exclusive. */
  readonly share: boolean;
}

/**
 * planRowLocks plans the locking of a SELECT's FOR UPDATE / FOR SHARE clauses; the result runs before the
 * query. Inner and cross joins (ON, USING, or commas with the join in WHERE) are taken apart into their
 * tables, each locked where it joins the others; outer joins, NATURAL, GROUP BY and DISTINCT are 0A000.
 */
export function planRowLocks(
  planner: Planner,
  q: SimpleSelect,
  resolve: (t: TableRef) => TableDef,
): (ex: ExecContext) => Promise<void> {
  if (q.groupBy.length > 0 || q.distinct !== false)
    throw notSupported('FOR UPDATE or FOR SHARE with GROUP BY or DISTINCT');
  const items: FromItem[] = [];
  const on: Expr[] = [];
  flatten(q.from, items, on, resolve);
  const named = (f: FromItem): string | undefined =>
    f.kind === 'table' ? (f.alias ?? f.name) : f.kind === 'join' ? undefined : f.alias;
  const clauses = q.locking ?? [];
  for (const c of clauses)
    for (const o of c.of)
      if (!items.some((f) => named(f) === o.name))
        throw new SqlError(
          SqlState.UNDEFINED_TABLE,
          `relation "${o.name}" in FOR ${c.strength.toUpperCase()} clause not found in FROM clause`,
          { position: o.loc + 1 },
        );
  const where = [q.where, ...on].filter((e): e is Expr => e !== undefined);
  const all: Expr | undefined =
    where.length === 0 ? undefined : where.length === 1 ? where[0] : { kind: 'and', args: where, loc: -1 };
  const locked: Locked[] = [];
  items.forEach((f, i) => {
    const covering = clauses.filter((c) => c.of.length === 0 || c.of.some((o) => o.name === named(f)));
    if (covering.length === 0) return;
    if (f.kind !== 'table')
      throw notSupported(`FOR ${covering[0]!.strength.toUpperCase()} of a subquery or function in FROM`);
    const table = resolve(f);
    const others = items.filter((_, j) => j !== i);
    locked.push({
      table,
      target: matching(planner, table, f.alias ?? table.name, all, others),
      nowait: covering.some((c) => c.nowait),
      share: covering.every((c) => c.strength === 'share'),
    });
  });
  return async (ex) => {
    if (ex.lockRows !== true) {
      for (const l of locked)
        for (const m of collect(l.target, ex))
          await nowaitError(l, () =>
            l.share
              ? ex.txn.getForShare(m.entry.key, { nowait: l.nowait })
              : ex.txn.getForUpdate(m.entry.key, { nowait: l.nowait }),
          );
      return;
    }
    // Lock what matches, then look again in a fresh snapshot, until it shows no unlocked match.
    const held = locked.map(() => new Set<string>());
    for (let fresh = true; fresh;) {
      fresh = false;
      for (const [i, l] of locked.entries())
        for (const m of collect(l.target, ex)) {
          const id = Buffer.from(m.entry.key).toString('latin1');
          if (held[i]!.has(id)) continue;
          held[i]!.add(id);
          fresh = true;
          await nowaitError(l, () => relock(ex, l.table, l.target, m, { nowait: l.nowait, share: l.share }));
        }
      ex.txn.refreshReadSnapshot();
    }
  };
}

/** nowaitError reports a row NOWAIT found locked as PostgreSQL does (55P03, naming the relation). */
async function nowaitError(l: Locked, lock: () => Promise<unknown>): Promise<void> {
  try {
    await lock();
  } catch (err) {
    if (l.nowait && err instanceof ShaleError && err.code === ErrorCode.LOCK_TIMEOUT)
      throw new SqlError(
        SqlState.LOCK_NOT_AVAILABLE,
        `could not obtain lock on row in relation "${l.table.name}"`,
        {
          cause: err,
        },
      );
    throw err;
  }
}

/**
 * flatten lists the items of a FROM clause with inner and cross joins taken apart, their ON conditions (and
 * USING columns, as equalities) added to `on`.
 */
function flatten(
  from: readonly FromItem[],
  items: FromItem[],
  on: Expr[],
  resolve: (t: TableRef) => TableDef,
): void {
  for (const f of from) {
    if (f.kind !== 'join') {
      items.push(f);
      continue;
    }
    if (f.type !== 'inner' && f.type !== 'cross')
      throw notSupported('FOR UPDATE or FOR SHARE with an outer join');
    if (f.natural) throw notSupported('FOR UPDATE or FOR SHARE with NATURAL JOIN');
    const left: FromItem[] = [];
    const right: FromItem[] = [];
    flatten([f.left], left, on, resolve);
    flatten([f.right], right, on, resolve);
    for (const name of f.using)
      on.push({
        kind: 'op',
        op: '=',
        left: usingColumn(left, name, resolve),
        right: usingColumn(right, name, resolve),
        loc: f.loc,
      });
    if (f.on !== undefined) on.push(f.on);
    items.push(...left, ...right);
  }
}

/** usingColumn names the one table of a join side that has the USING column (0A000 when not exactly one). */
function usingColumn(side: readonly FromItem[], name: string, resolve: (t: TableRef) => TableDef): Expr {
  const has = side.filter((f) => f.kind === 'table' && columnIndex(resolve(f), name) >= 0);
  if (has.length !== 1 || side.some((f) => f.kind !== 'table'))
    throw notSupported('FOR UPDATE or FOR SHARE with this JOIN USING');
  const t = has[0] as TableRef;
  return { kind: 'column', table: t.alias ?? t.name, name, loc: -1 };
}
