/**
 * COMPACT [table [, ...]]: shale's own admin statement. PostgreSQL's grammar has no such statement, so it is
 * recognised here, from libpg-query's scanner tokens (which know quoting, comments and dollar strings),
 * before the parser sees the query string; the parser then gets the string with each COMPACT statement
 * blanked out, byte for byte, so that every other statement keeps its positions.
 */
import { scanSync, type ScanToken } from 'libpg-query';
import { SqlError, SqlState } from '../errors.js';
import type { Statement, TableRef } from '../ast.js';

/** MAYBE_COMPACT: a query string without this word holds no COMPACT statement (skips the scan). */
export const MAYBE_COMPACT = /compact/i;

/** FoundCompact is one COMPACT statement, with its bytes in the UTF-8 form of the query string. */
export interface FoundCompact {
  readonly statement: Statement;
  readonly start: number;
  readonly end: number;
}

/** Keyword kinds (PostgreSQL's kwlist.h) that may name a table unquoted (ColId: unreserved, col_name). */
const UNRESERVED_KEYWORD = 1;
const COL_NAME_KEYWORD = 2;

/**
 * findCompacts returns the COMPACT statements of a query string (byte offsets into its UTF-8 form), or an
 * empty list when it has none, or when it does not scan (the parser then reports the error). A statement is
 * COMPACT iff its first token is the unquoted word; anything but a list of (qualified) table names after
 * it is a syntax error, positioned as PostgreSQL positions them (1-based bytes).
 */
export function findCompacts(sql: string): FoundCompact[] {
  let tokens: ScanToken[];
  try {
    tokens = scanSync(sql).tokens.filter((t) => t.tokenName !== 'C_COMMENT' && t.tokenName !== 'SQL_COMMENT');
  } catch {
    return [];
  }
  const found: FoundCompact[] = [];
  let i = 0;
  while (i < tokens.length) {
    let j = i;
    while (j < tokens.length && tokens[j]!.text !== ';') j++;
    const first = tokens[i];
    if (first !== undefined && j > i && first.tokenName === 'IDENT' && first.text.toLowerCase() === 'compact')
      found.push({
        statement: { kind: 'admin', command: 'compact', tables: tableList(tokens.slice(i + 1, j), sql) },
        start: first.start,
        end: tokens[j - 1]!.end,
      });
    i = j + 1;
  }
  return found;
}

/** tableList reads `name[.name] [, ...]` (possibly empty) from the tokens after COMPACT. */
function tableList(tokens: readonly ScanToken[], sql: string): TableRef[] {
  const tables: TableRef[] = [];
  let i = 0;
  const name = (): string => {
    const t = tokens[i];
    if (t === undefined) throw syntaxError(undefined, sql);
    const named =
      t.tokenName === 'IDENT' || t.keywordKind === UNRESERVED_KEYWORD || t.keywordKind === COL_NAME_KEYWORD;
    if (!named) throw syntaxError(t, sql);
    i++;
    return identifier(t.text);
  };
  while (i < tokens.length) {
    if (tables.length > 0) {
      if (tokens[i]!.text !== ',') throw syntaxError(tokens[i], sql);
      i++;
    }
    const loc = tokens[i]?.start ?? 0;
    let first = name();
    let schema: string | undefined;
    if (tokens[i]?.text === '.') {
      i++;
      schema = first;
      first = name();
    }
    tables.push({ kind: 'table', schema, name: first, alias: undefined, loc });
  }
  return tables;
}

/** identifier: a quoted name without its quotes; an unquoted one folded to lower case (ASCII, as PostgreSQL). */
function identifier(text: string): string {
  if (text.startsWith('"')) return text.slice(1, -1).replaceAll('""', '"');
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function syntaxError(t: ScanToken | undefined, sql: string): SqlError {
  if (t === undefined)
    return new SqlError(SqlState.SYNTAX_ERROR, 'syntax error at end of input', {
      position: Buffer.byteLength(sql, 'utf8') + 1,
    });
  return new SqlError(SqlState.SYNTAX_ERROR, `syntax error at or near "${t.text}"`, {
    position: t.start + 1,
  });
}
