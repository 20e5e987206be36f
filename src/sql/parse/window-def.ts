/**
 * Converts PostgreSQL's WindowDef (an OVER clause or a WINDOW clause entry) into a WindowSpec. The frame comes
 * as a bit set (frameOptions, parsenodes.h's FRAMEOPTION_*) with the offsets beside it.
 */
import type { Expr, FrameBound, SortKey, WindowFrame, WindowSpec } from '../ast.js';

type Fields = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// FRAMEOPTION_* bits of PostgreSQL's parsenodes.h.
const NONDEFAULT = 0x1;
const RANGE = 0x2;
const ROWS = 0x4;
const START_UNBOUNDED_PRECEDING = 0x20;
const END_UNBOUNDED_PRECEDING = 0x40;
const START_UNBOUNDED_FOLLOWING = 0x80;
const END_UNBOUNDED_FOLLOWING = 0x100;
const START_CURRENT_ROW = 0x200;
const END_CURRENT_ROW = 0x400;
const START_OFFSET_PRECEDING = 0x800;
const END_OFFSET_PRECEDING = 0x1000;
const START_OFFSET_FOLLOWING = 0x2000;
const END_OFFSET_FOLLOWING = 0x4000;
const EXCLUDE_CURRENT_ROW = 0x8000;
const EXCLUDE_GROUP = 0x10000;
const EXCLUDE_TIES = 0x20000;

/** Converters are from-pg-tree.ts's expression and sort key conversions (passed in: no import cycle). */
export interface Converters {
  readonly expr: (n: Record<string, unknown>) => Expr;
  readonly sortKey: (n: Record<string, unknown>) => SortKey;
}

/** windowSpec converts a WindowDef's fields. `inClause`: an entry of a WINDOW clause (its name is its own). */
export function windowSpec(f: Fields, c: Converters, inClause: boolean): WindowSpec {
  const refName = (inClause ? f.refname : (f.refname ?? f.name)) as string | undefined;
  return {
    ref: refName === undefined ? undefined : { name: refName, copy: inClause || f.refname !== undefined },
    partitionBy: ((f.partitionClause as Record<string, unknown>[] | undefined) ?? []).map(c.expr),
    orderBy: ((f.orderClause as Record<string, unknown>[] | undefined) ?? []).map(c.sortKey),
    frame: frame(f, c),
    loc: (f.location as number | undefined) ?? -1,
  };
}

function frame(f: Fields, c: Converters): WindowFrame | undefined {
  const o = (f.frameOptions as number | undefined) ?? 0;
  if ((o & NONDEFAULT) === 0) return undefined;
  const bound = (
    unboundedPreceding: number,
    unboundedFollowing: number,
    currentRow: number,
    preceding: number,
    following: number,
    offset: unknown,
  ): FrameBound => {
    if (o & unboundedPreceding) return { kind: 'unboundedPreceding' };
    if (o & unboundedFollowing) return { kind: 'unboundedFollowing' };
    if (o & currentRow) return { kind: 'currentRow' };
    const e = c.expr(offset as Record<string, unknown>);
    if (o & preceding) return { kind: 'preceding', offset: e };
    if (o & following) return { kind: 'following', offset: e };
    return { kind: 'currentRow' };
  };
  return {
    mode: o & ROWS ? 'rows' : o & RANGE ? 'range' : 'groups',
    start: bound(
      START_UNBOUNDED_PRECEDING,
      START_UNBOUNDED_FOLLOWING,
      START_CURRENT_ROW,
      START_OFFSET_PRECEDING,
      START_OFFSET_FOLLOWING,
      f.startOffset,
    ),
    // Without BETWEEN the end is CURRENT ROW, which the bits already say.
    end: bound(
      END_UNBOUNDED_PRECEDING,
      END_UNBOUNDED_FOLLOWING,
      END_CURRENT_ROW,
      END_OFFSET_PRECEDING,
      END_OFFSET_FOLLOWING,
      f.endOffset,
    ),
    exclude:
      o & EXCLUDE_CURRENT_ROW ? 'current' : o & EXCLUDE_GROUP ? 'group' : o & EXCLUDE_TIES ? 'ties' : 'none',
  };
}
