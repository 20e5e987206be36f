/**
 * Set-returning functions in expressions: which names return sets, and the errors for the places they may
 * not appear. A select list runs them (plan/project-set.ts); FROM runs them as function scans.
 */
import { SqlError, SqlState, notSupported } from '../errors.js';
import type { Analyzer, Compiled, SrfCollectorHook } from './context.js';

/** SET_RETURNING: the set-returning functions shale runs, in FROM and in a select list. */
export const SET_RETURNING: ReadonlySet<string> = new Set([
  'generate_series',
  'unnest',
  'jsonb_each',
  'jsonb_each_text',
  'json_each',
  'json_each_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_object_keys',
  'json_object_keys',
  'regexp_matches',
  'regexp_split_to_table',
]);

const HINT = 'You might be able to move the set-returning function into a LATERAL FROM item.';

/** PG_CLAUSES: shale's clause names as PostgreSQL's "not allowed in" messages spell them. */
const PG_CLAUSES: Readonly<Record<string, string>> = {
  WHERE: 'WHERE',
  HAVING: 'HAVING',
  LIMIT: 'LIMIT',
  OFFSET: 'OFFSET',
  VALUES: 'VALUES',
  'JOIN/ON': 'JOIN conditions',
  RETURNING: 'RETURNING',
  UPDATE: 'UPDATE',
  DEFAULT: 'DEFAULT expressions',
  CHECK: 'check constraints',
  USING: 'transform expressions',
  'window frame': 'window definitions',
};

/** misplaced: the error for a set-returning call where no select list takes it (the analyzer's clause). */
export function misplaced(an: Analyzer, name: string, loc: number): SqlError {
  const clause = PG_CLAUSES[an.clause];
  if (clause !== undefined)
    return new SqlError(
      SqlState.FEATURE_NOT_SUPPORTED,
      `set-returning functions are not allowed in ${clause}`,
      {
        position: loc + 1,
      },
    );
  if (an.clause === 'FROM')
    return new SqlError(
      SqlState.FEATURE_NOT_SUPPORTED,
      'set-returning functions must appear at top level of FROM',
      {
        position: loc + 1,
      },
    );
  return notSupported(`${name}() in ${an.clause} (set-returning functions there)`, loc + 1);
}

/** refusingSrf: a hook for places inside a select list where PostgreSQL rejects set-returning calls. */
export function refusingSrf(message: string, hint = true): SrfCollectorHook {
  return {
    add: (e) => {
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, message, {
        position: e.loc + 1,
        ...(hint ? { hint: HINT } : {}),
      });
    },
  };
}

/** withSrfs compiles with `hook` taking set-returning calls, restoring the analyzer's hook after. */
export function withSrfs(an: Analyzer, hook: SrfCollectorHook | undefined, fn: () => Compiled): Compiled {
  const saved = an.srfs;
  an.srfs = hook;
  try {
    return fn();
  } finally {
    an.srfs = saved;
  }
}
