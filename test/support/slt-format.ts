/**
 * sqllogictest (.slt) files: the record types, the parser and the writer, and how result values are
 * rendered; slt.ts runs them. The format, as used in test/sql/slt/ (see test/sql/README.md):
 *
 *   # comment                     kept by completion
 *   statement ok                  the SQL must succeed
 *   statement count 3             ... and report 3 rows (INSERT/UPDATE/DELETE/SELECT row count)
 *   statement error 23505         the SQL must fail with this SQLSTATE (optionally followed by a regex
 *                                 that the message must match); `statement error` alone: any error
 *   query ITL rowsort             one type letter per column (TYPE_LETTERS), then nosort|rowsort|valuesort
 *   SELECT ...
 *   ----
 *   1 abc 10                      one row per line, values separated by one space
 *   params: [1, "x", null]        (after the SQL) values for $1, $2, ...: see ParamValue
 *   protocol simple               (before a record's header) send it through the simple protocol in both
 *                                 modes: for multi-statement strings, which the extended protocol refuses
 *   connection b                  (before a record's header) run it on connection `b`; records without
 *                                 one run on `default`. Connections open on first use.
 *   restart                       close every connection and restart the server on the same data
 *   halt                          stop reading the file here
 *
 * Records are separated by blank lines; each holds exactly one SQL statement. Values are PostgreSQL's text
 * output, unparsed: NULL prints as `NULL`, the empty string as `(empty)`, and a value that could be
 * mistaken (leading or trailing white space, control characters, a leading `"`, or the words NULL and
 * (empty)) as a JSON string literal.
 */
/** ProtocolMode: `simple` sends each record as one Query message; `extended` as Parse/Bind/Describe/Execute/Sync. */
export type ProtocolMode = 'simple' | 'extended';
export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

/** Expectation of a statement record. */
export type StatementExpect =
  | { readonly kind: 'ok' }
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'error'; readonly sqlstate?: string; readonly pattern?: string };

export interface StatementRecord {
  readonly kind: 'statement';
  /** line is the 1-based line of the record header in its file. */
  readonly line: number;
  readonly comments: readonly string[];
  readonly expect: StatementExpect;
  /** connection names the session the record runs on (a `connection <name>` line); default `default`. */
  readonly connection?: string;
  /**
   * forceSimple: the record always goes through the simple protocol, in both modes (a `protocol simple`
   * line): multi-statement strings, which the extended protocol refuses.
   */
  readonly forceSimple?: boolean;
  readonly sql: string;
  /** params: values for $1, $2, ... (a `params:` line); the record then always uses the extended protocol. */
  readonly params?: readonly ParamValue[];
}

export interface QueryRecord {
  readonly kind: 'query';
  readonly line: number;
  readonly comments: readonly string[];
  readonly types: string;
  readonly sort: SortMode;
  readonly connection?: string;
  readonly forceSimple?: boolean;
  readonly sql: string;
  readonly params?: readonly ParamValue[];
  /** expected holds the result lines after `----`; undefined when the record has no `----` yet. */
  readonly expected: readonly string[] | undefined;
}

/**
 * A parameter value as written on a `params:` line (a JSON array): a string is sent as text, a number or
 * boolean as its text (as pg does), null as NULL, and `{"bytes": "<hex>"}` as a Buffer, which pg sends in
 * binary format. No parameter types are sent: the server must infer them from context.
 */
export type ParamValue = string | number | boolean | null | { readonly bytes: string };

/**
 * A block that is not a record: only comments; `halt` (with the unparsed rest of the file, kept as is);
 * or `restart`, which closes every connection and, where the target supports it, restarts the server on
 * the same data (RunOptions.restart) before the next record.
 */
export interface OtherBlock {
  readonly kind: 'comment' | 'halt' | 'restart';
  readonly line: number;
  readonly comments: readonly string[];
  /** rest: for `halt`, the text after it, which is neither run nor rewritten. */
  readonly rest?: string;
}

export type SltBlock = StatementRecord | QueryRecord | OtherBlock;

export interface SltFile {
  readonly name: string;
  readonly blocks: readonly SltBlock[];
}

/**
 * TYPE_LETTERS maps result column type OIDs to the letters of a query header. They are checked: a column
 * of another type fails the record, because clients decode results by type OID (pg returns int4 as a
 * number and int8 as a string). Any OID not listed is `?`.
 */
export const TYPE_LETTERS: Readonly<Record<number, string>> = {
  16: 'B', // bool
  17: 'X', // bytea
  18: 'H', // "char", the one-byte catalog type (pg_class.relkind)
  19: 'M', // name, the catalog identifier type
  20: 'L', // int8 ("long")
  21: 'S', // int2 ("short")
  23: 'I', // int4
  25: 'T', // text
  26: 'O', // oid
  114: 'J', // json
  700: 'F', // float4
  701: 'R', // float8 ("real")
  705: 'U', // unknown
  1042: 'C', // bpchar, char(n)
  1043: 'V', // varchar
  1082: 'D', // date
  1114: 'P', // timestamp ("point in time")
  1184: 'Z', // timestamptz
  1186: 'Q', // interval
  1700: 'N', // numeric
  3802: 'K', // jsonb
};

/** typeLetter returns the header letter for a column type OID. */
export function typeLetter(oid: number): string {
  return TYPE_LETTERS[oid] ?? '?';
}

const SORT_MODES = new Set<string>(['nosort', 'rowsort', 'valuesort']);
/** SQLSTATE_RE matches a five-character SQLSTATE code. */
export const SQLSTATE_RE = /^[0-9A-Z]{5}$/;

/** parseSlt parses the text of an .slt file; throws on a malformed record, naming file and line. */
export function parseSlt(name: string, text: string): SltFile {
  const lines = text.split('\n');
  const blocks: SltBlock[] = [];
  let i = 0;
  const fail = (line: number, msg: string): never => {
    throw new Error(`${name}:${line}: ${msg}`);
  };
  while (i < lines.length) {
    if (lines[i]!.trim() === '') {
      i++;
      continue;
    }
    const start = i;
    const block: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') block.push(lines[i++]!.replace(/\r$/, ''));
    let k = 0;
    const comments: string[] = [];
    while (k < block.length && block[k]!.startsWith('#')) comments.push(block[k++]!);
    let connection: string | undefined;
    let forceSimple = false;
    for (;;) {
      const line = block[k]?.trim() ?? '';
      const conn = /^connection\s+(\S+)$/.exec(line);
      if (conn) connection = conn[1]!;
      else if (line === 'protocol simple') forceSimple = true;
      else break;
      k++;
    }
    const lineNo = start + k + 1;
    if (k === block.length) {
      if (connection !== undefined || forceSimple) fail(lineNo - 1, 'a directive without a record');
      blocks.push({ kind: 'comment', line: start + 1, comments });
      continue;
    }
    const header = block[k]!.trim().split(/\s+/);
    const body = block.slice(k + 1);
    if (header[0] === 'halt' && block.length === k + 1) {
      const rest = lines.slice(i).join('\n').replace(/^\n+/, '').replace(/\n+$/, '');
      blocks.push({ kind: 'halt', line: lineNo, comments, ...(rest !== '' && { rest }) });
      break;
    }
    if (header[0] === 'restart' && block.length === k + 1) {
      blocks.push({ kind: 'restart', line: lineNo, comments });
      continue;
    }
    const sqlEnd = header[0] === 'query' && body.includes('----') ? body.indexOf('----') : body.length;
    const paramLine = body.slice(0, sqlEnd).findIndex((l) => l.startsWith('params: '));
    let params: ParamValue[] | undefined;
    if (paramLine >= 0) {
      try {
        params = JSON.parse(body[paramLine]!.slice('params: '.length)) as ParamValue[];
      } catch (e) {
        fail(lineNo + 1 + paramLine, `bad params line: ${(e as Error).message}`);
      }
      if (!Array.isArray(params)) fail(lineNo + 1 + paramLine, 'params must be a JSON array');
      body.splice(paramLine, 1);
    }
    if (header[0] === 'statement') {
      const sql = body.join('\n').trim();
      if (sql === '') fail(lineNo, 'statement without SQL');
      let expect: StatementExpect;
      if (header[1] === 'ok' && header.length === 2) expect = { kind: 'ok' };
      else if (header[1] === 'count' && header.length === 3 && /^\d+$/.test(header[2]!))
        expect = { kind: 'count', count: Number(header[2]) };
      else if (header[1] === 'error') {
        const rest = block[k]!.trim().replace(/^statement\s+error\s*/, '');
        const m = /^(\S+)\s*(.*)$/.exec(rest);
        if (m && SQLSTATE_RE.test(m[1]!))
          expect = { kind: 'error', sqlstate: m[1]!, pattern: m[2] || undefined };
        else expect = { kind: 'error', pattern: rest || undefined };
      } else return fail(lineNo, `bad statement header: ${block[k]}`);
      blocks.push({
        kind: 'statement',
        line: lineNo,
        comments,
        expect,
        sql,
        ...(connection !== undefined && { connection }),
        ...(forceSimple && { forceSimple }),
        ...(params && { params }),
      });
      continue;
    }
    if (header[0] === 'query') {
      const types = header[1] ?? fail(lineNo, 'query without type letters');
      const sort = (header[2] ?? 'nosort') as SortMode;
      if (!SORT_MODES.has(sort)) fail(lineNo, `unknown sort mode ${sort}`);
      if (header.length > 3) fail(lineNo, `unexpected words after the sort mode: ${block[k]}`);
      const sep = body.indexOf('----');
      const sql = (sep < 0 ? body : body.slice(0, sep)).join('\n').trim();
      if (sql === '') fail(lineNo, 'query without SQL');
      const expected = sep < 0 ? undefined : body.slice(sep + 1);
      blocks.push({
        kind: 'query',
        line: lineNo,
        comments,
        types,
        sort,
        sql,
        expected,
        ...(connection !== undefined && { connection }),
        ...(forceSimple && { forceSimple }),
        ...(params && { params }),
      });
      continue;
    }
    fail(lineNo, `unknown record type: ${block[k]}`);
  }
  return { name, blocks };
}

/** formatBlock writes a block back as text, without the separating blank line. */
export function formatBlock(b: SltBlock): string {
  const out = [...b.comments];
  if ((b.kind === 'statement' || b.kind === 'query') && b.forceSimple) out.push('protocol simple');
  if ((b.kind === 'statement' || b.kind === 'query') && b.connection !== undefined)
    out.push(`connection ${b.connection}`);
  if (b.kind === 'halt') out.push('halt', ...(b.rest !== undefined ? ['', b.rest] : []));
  else if (b.kind === 'restart') out.push('restart');
  else if (b.kind === 'statement') {
    const e = b.expect;
    if (e.kind === 'ok') out.push('statement ok');
    else if (e.kind === 'count') out.push(`statement count ${e.count}`);
    else out.push(['statement error', e.sqlstate, e.pattern].filter((x) => x !== undefined).join(' '));
    out.push(b.sql);
    if (b.params) out.push(`params: [${b.params.map((v) => JSON.stringify(v)).join(', ')}]`);
  } else if (b.kind === 'query') {
    out.push(`query ${b.types} ${b.sort}`, b.sql);
    if (b.params) out.push(`params: [${b.params.map((v) => JSON.stringify(v)).join(', ')}]`);
    if (b.expected !== undefined) out.push('----', ...b.expected);
  }
  return out.join('\n');
}

/** formatSlt writes a whole file. */
export function formatSlt(file: SltFile): string {
  return file.blocks.map(formatBlock).join('\n\n') + '\n';
}

/** renderValue turns one text-format value (or NULL) into its token in a result line. */
export function renderValue(v: string | null): string {
  if (v === null) return 'NULL';
  if (v === '') return '(empty)';
  // eslint-disable-next-line no-control-regex
  if (v === 'NULL' || v === '(empty)' || v.startsWith('"') || /^\s|\s$|[\u0000-\u001f\u007f-\u009f]/.test(v))
    return JSON.stringify(v).replace(
      /[\u007f-\u009f]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return v;
}

/** renderRows formats result rows as the lines of a record, sorted as `sort` asks. */
export function renderRows(rows: readonly (readonly (string | null)[])[], sort: SortMode): string[] {
  if (sort === 'valuesort') return rows.flatMap((r) => r.map(renderValue)).sort(compareStrings);
  const lines = rows.map((r) => r.map(renderValue).join(' '));
  return sort === 'rowsort' ? lines.sort(compareStrings) : lines;
}

/** compareStrings orders strings by UTF-16 code units, the same on every machine (no locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
