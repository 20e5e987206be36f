/**
 * The SQL parser: PostgreSQL's own grammar (libpg-query, compiled to WASM) turned into shale's syntax tree.
 * Only this folder imports libpg-query. loadParser() must have resolved before parse() is called.
 */
import { loadModule, parseSync } from 'libpg-query';
import { SqlError, SqlState } from '../errors.js';
import type { Statement } from '../ast.js';
import { convertStatement } from './from-pg-tree.js';
import { findCompacts, MAYBE_COMPACT, type FoundCompact } from './compact-statement.js';

let loaded: Promise<void> | null = null;
let ready = false;

/** loadParser loads the WASM parser once per process. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

/** ParsedStatement is one statement of a query string, with its own text. */
export interface ParsedStatement {
  readonly statement: Statement;
  /** text: the statement's own text (for error positions and pg_stat-like reports). */
  readonly text: string;
  /** offset: where the statement starts in the whole string (0-based characters). */
  readonly offset: number;
}

const cache = new Map<string, readonly ParsedStatement[]>();
const CACHE_LIMIT = 2000;

/**
 * parse splits a query string into statements and converts each. Syntax errors are 42601 with the position
 * PostgreSQL reports; valid PostgreSQL that shale does not support is 0A000 naming the construct.
 */
export function parse(sql: string): readonly ParsedStatement[] {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  if (!ready)
    throw new SqlError(SqlState.INTERNAL_ERROR, 'the SQL parser is not loaded (await loadParser())');
  const compacts = MAYBE_COMPACT.test(sql) ? findCompacts(sql) : [];
  const utf8 = Buffer.from(sql, 'utf8');
  let tree: { stmts?: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(compacts.length === 0 ? sql : blankOut(utf8, compacts)) as typeof tree;
  } catch (err) {
    const e = err as { message?: string; sqlDetails?: { cursorPosition?: number } };
    // An empty string (or only comments): no statements, as PostgreSQL (EmptyQueryResponse).
    if (e.message === 'Query cannot be empty') tree = {};
    else {
      const pos = e.sqlDetails?.cursorPosition;
      const message = e.message ?? 'syntax error';
      throw new SqlError(grammarErrorCode(message), message, {
        // Positions are byte offsets until the wire server converts them to characters of the query text.
        ...(pos === undefined ? {} : { position: pos + 1 }),
      });
    }
  }
  // libpg-query reports byte offsets into the UTF-8 text; positions sent to clients count characters.
  const out: ParsedStatement[] = [];
  const piece = (start: number, end: number): { text: string; offset: number } => ({
    text: utf8.subarray(start, end).toString('utf8'),
    offset: utf8.subarray(0, start).toString('utf8').length,
  });
  let next = 0;
  for (const s of tree.stmts ?? []) {
    const start = s.stmt_location ?? 0;
    for (; next < compacts.length && compacts[next]!.start < start; next++) {
      const c = compacts[next]!;
      out.push({ statement: c.statement, ...piece(c.start, c.end) });
    }
    const len = s.stmt_len ?? utf8.length - start;
    const { text, offset } = piece(start, start + (len === 0 ? utf8.length - start : len));
    out.push({ statement: convertStatement(s.stmt, text), text, offset });
  }
  for (const c of compacts.slice(next)) out.push({ statement: c.statement, ...piece(c.start, c.end) });
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(sql, out);
  return out;
}

/** blankOut: the query string with each COMPACT statement's bytes turned into spaces (positions kept). */
function blankOut(utf8: Buffer, compacts: readonly FoundCompact[]): string {
  const copy = Buffer.from(utf8);
  for (const c of compacts) copy.fill(0x20, c.start, c.end);
  return copy.toString('utf8');
}

/**
 * grammarErrorCode: the grammar raises a few errors that are not syntax errors in PostgreSQL's codes: frame
 * clauses the grammar rejects (gram.y's ERRCODE_WINDOWING_ERROR).
 */
function grammarErrorCode(message: string): string {
  return message.startsWith('frame ') ? SqlState.WINDOWING_ERROR : SqlState.SYNTAX_ERROR;
}

/** charPosition converts a 1-based byte position in the UTF-8 form of s to a 1-based character position. */
export function charPosition(s: string, bytePosition: number): number {
  return (
    Buffer.from(s, 'utf8')
      .subarray(0, bytePosition - 1)
      .toString('utf8').length + 1
  );
}
