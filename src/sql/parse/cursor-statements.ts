/**
 * Converts DECLARE ... CURSOR and FETCH / MOVE (PostgreSQL's DeclareCursorStmt and FetchStmt) into shale's
 * statements. Cursor options come as parsenodes.h's CURSOR_OPT_* bits.
 */
import { notSupported } from '../errors.js';
import type { Select, Statement } from '../ast.js';

// CURSOR_OPT_* bits of PostgreSQL's parsenodes.h.
const BINARY = 0x1;
const SCROLL = 0x2;
const NO_SCROLL = 0x4;
const HOLD = 0x20;

/** FETCH_ALL: how libpg-query reports ALL (the largest count; PostgreSQL's is LONG_MAX). */
const FETCH_ALL = 2147483647;

/** declareCursor converts DECLARE name [options] CURSOR [WITH HOLD] FOR query. */
export function declareCursor(name: string, options: number, query: () => Select): Statement {
  // A BINARY cursor's rows go out in binary over the simple protocol too; shale sends text only there.
  if (options & BINARY) throw notSupported('BINARY cursors');
  return {
    kind: 'declareCursor',
    name,
    query: query(),
    hold: (options & HOLD) !== 0,
    scroll: options & SCROLL ? true : options & NO_SCROLL ? false : undefined,
  };
}

/** fetchStatement converts FETCH / MOVE [direction] [FROM | IN] name. */
export function fetchStatement(f: Record<string, unknown>): Statement {
  const howMany = (f.howMany as number | undefined) ?? 0;
  const d = f.direction as string | undefined;
  return {
    kind: 'fetch',
    name: f.portalname as string,
    direction:
      d === 'FETCH_BACKWARD'
        ? 'backward'
        : d === 'FETCH_ABSOLUTE'
          ? 'absolute'
          : d === 'FETCH_RELATIVE'
            ? 'relative'
            : 'forward',
    count:
      howMany >= FETCH_ALL && (d === undefined || d === 'FETCH_FORWARD' || d === 'FETCH_BACKWARD')
        ? Infinity
        : howMany,
    move: f.ismove === true,
  };
}
