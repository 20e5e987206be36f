/**
 * Scope: the columns a query level can name, and the enclosing levels for correlated subqueries.
 */
import { SqlError, SqlState } from '../errors.js';
import type { SqlType, Value } from '../types/sql-type.js';

/** Row is one row flowing through a plan: values by column position. */
export type Row = Value[];

/** ColumnInfo describes one column of a plan's output. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: SqlType;
  /** table: the name (or alias) the column can be qualified with. */
  readonly table: string | undefined;
  /** tableOid, attnum: the base table column it comes from (RowDescription), 0 when computed. */
  readonly tableOid: number;
  readonly attnum: number;
  /** hidden: not expanded by * (USING-merged duplicates, hidden row ids). */
  readonly hidden?: boolean;
  /** nullable: on the NULL-extended side of an outer join of this query level. */
  readonly nullable?: boolean;
}

/** WholeRow is a FROM item named as a value (`row_to_json(t)`): its columns, `depth` levels out. */
export interface WholeRow {
  readonly depth: number;
  readonly indexes: readonly number[];
  readonly columns: readonly ColumnInfo[];
}

/** Resolved says where a name was found: `depth` levels out (0: this level) at column `index`. */
export interface Resolved {
  readonly depth: number;
  readonly index: number;
  readonly column: ColumnInfo;
}

export class Scope {
  /** outerRefs: how often a deeper scope resolved a name here (the planner detects correlation with it). */
  outerRefs = 0;
  constructor(
    readonly columns: readonly ColumnInfo[],
    readonly parent: Scope | undefined = undefined,
  ) {}

  /** resolve finds a column by (optional) table and name, here or in an enclosing scope. */
  resolve(table: string | undefined, name: string, loc: number): Resolved {
    let depth = 0;
    for (const s of this.chain()) {
      let found = -1;
      let tableSeen = false;
      for (let i = 0; i < s.columns.length; i++) {
        const c = s.columns[i]!;
        if (table !== undefined && c.table !== table) continue;
        tableSeen ||= table !== undefined;
        if (c.name !== name) continue;
        if (found >= 0) {
          if (c.hidden === true) continue;
          if (s.columns[found]!.hidden === true) {
            found = i;
            continue;
          }
          throw new SqlError(SqlState.AMBIGUOUS_COLUMN, `column reference "${name}" is ambiguous`, {
            position: loc + 1,
          });
        }
        found = i;
      }
      if (found >= 0) {
        if (depth > 0) s.outerRefs++;
        return { depth, index: found, column: s.columns[found]! };
      }
      if (tableSeen) {
        throw new SqlError(SqlState.UNDEFINED_COLUMN, `column ${table}.${name} does not exist`, {
          position: loc + 1,
          ...this.suggestion(table, name),
        });
      }
      depth++;
    }
    // A bare name that is a FROM item's is a whole-row reference, which the expression compiler takes
    // (wholeRow) before resolving; other callers (e.g. USING lists) cannot use one.
    if (table === undefined && this.hasTable(name))
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `whole-row references ("${name}") are not supported`,
        {
          position: loc + 1,
        },
      );
    if (table !== undefined && !this.hasTable(table))
      throw new SqlError(SqlState.UNDEFINED_TABLE, `missing FROM-clause entry for table "${table}"`, {
        position: loc + 1,
      });
    throw new SqlError(
      SqlState.UNDEFINED_COLUMN,
      table === undefined ? `column "${name}" does not exist` : `column ${table}.${name} does not exist`,
      { position: loc + 1, ...this.suggestion(table, name) },
    );
  }

  /**
   * suggestion is PostgreSQL's HINT for a missing column (errorMissingColumn): the column, or two
   * equally near ones, within a Levenshtein distance of 3 and of half the name's length, a misspelt
   * table name adding its own distance.
   */
  private suggestion(table: string | undefined, name: string): { hint?: string } {
    let best = MAX_FUZZY_DISTANCE + 1;
    let matches: ColumnInfo[] = [];
    for (const s of this.chain())
      for (const c of s.columns) {
        if (c.hidden === true || c.table === undefined) continue;
        const penalty = table === undefined ? 0 : levenshtein(table, c.table);
        if (penalty > best) continue;
        const d = levenshtein(c.name, name);
        if (d > Math.floor(name.length / 2)) continue;
        const total = d + penalty;
        if (total < best) [best, matches] = [total, [c]];
        else if (total === best) matches.push(c);
      }
    if (matches.length === 0 || matches.length > 2) return {};
    const ref = (c: ColumnInfo): string => `"${c.table}.${c.name}"`;
    return {
      hint:
        matches.length === 1
          ? `Perhaps you meant to reference the column ${ref(matches[0]!)}.`
          : `Perhaps you meant to reference the column ${ref(matches[0]!)} or the column ${ref(matches[1]!)}.`,
    };
  }

  /**
   * wholeRow finds a bare name as a FROM item (a whole-row reference), or returns undefined when a column
   * of any enclosing level has that name: PostgreSQL looks for columns at every level before tables.
   */
  wholeRow(name: string): WholeRow | undefined {
    for (const s of this.chain()) if (s.columns.some((c) => c.name === name)) return undefined;
    let depth = 0;
    for (const s of this.chain()) {
      const indexes: number[] = [];
      s.columns.forEach((c, i) => {
        if (c.table === name) indexes.push(i);
      });
      if (indexes.length > 0) {
        if (depth > 0) s.outerRefs++;
        return { depth, indexes, columns: indexes.map((i) => s.columns[i]!) };
      }
      depth++;
    }
    return undefined;
  }

  hasTable(table: string): boolean {
    for (const s of this.chain()) if (s.columns.some((c) => c.table === table)) return true;
    return false;
  }

  /** chain: this scope, then each enclosing one. */
  *chain(): Generator<Scope> {
    yield this;
    for (let s = this.parent; s !== undefined; s = s.parent) yield s;
  }
}

/** MAX_FUZZY_DISTANCE: the furthest a column name may be from a suggested one (parse_relation.c). */
const MAX_FUZZY_DISTANCE = 3;

/** levenshtein: the edit distance of two strings (insertions, deletions and substitutions cost 1). */
function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return prev[b.length]!;
}
