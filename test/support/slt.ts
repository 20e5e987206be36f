/**
 * sqllogictest (.slt) files: a parser, a runner that drives a `pg.Client` through the simple or the
 * extended protocol, and a completion mode that rewrites expected results from a reference server
 * (PostgreSQL 15). The format, as used in test/sql/slt/ (see test/sql/slt/README.md):
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
import pg from 'pg';

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
const SQLSTATE_RE = /^[0-9A-Z]{5}$/;

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

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where to connect: one database that the file may fill as it likes. */
export interface ConnectParams {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password?: string;
}

export interface RunOptions {
  readonly mode: ProtocolMode;
  /**
   * restart, called at a `restart` block after every connection is closed: restarts the server on the
   * same data and returns where it now listens. Without it, `restart` only reconnects (for PostgreSQL,
   * whose data survives a restart anyway, that is the same as far as the records can tell).
   */
  readonly restart?: () => Promise<ConnectParams>;
  /** complete: rewrite expectations from what the server answers instead of checking them. */
  readonly complete?: boolean;
  /** queryTimeoutMs bounds each record; on expiry the record fails and the runner reconnects. */
  readonly queryTimeoutMs?: number;
}

export interface RecordFailure {
  readonly line: number;
  readonly sql: string;
  readonly message: string;
}

export interface RunResult {
  /** records counts statement and query records run (not comments, not those after halt). */
  readonly records: number;
  readonly passed: number;
  readonly failures: readonly RecordFailure[];
  /** surprises (completion mode): records whose outcome kind changed, e.g. `statement ok` that failed. */
  readonly surprises: readonly string[];
  /** file is the rewritten file (completion mode), or the input. */
  readonly file: SltFile;
}

/** MAX_CONSECUTIVE_FATAL: after this many records in a row without a usable connection, runSlt gives up. */
const MAX_CONSECUTIVE_FATAL = 3;

/** RAW_TYPES makes pg hand back every value as the server's text, unparsed. */
const RAW_TYPES = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

type Outcome =
  | {
      readonly ok: true;
      readonly oids: readonly number[];
      readonly rows: readonly (readonly (string | null)[])[];
      readonly rowCount: number | null;
    }
  | { readonly ok: false; readonly sqlstate?: string; readonly message: string; readonly fatal: boolean };

/** A connection that the runner replaces when it breaks (server crash, timeout). */
class Session {
  private client: pg.Client | undefined;
  constructor(
    private readonly params: ConnectParams,
    private readonly opts: RunOptions,
  ) {}

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = new pg.Client({
      host: this.params.host,
      port: this.params.port,
      user: this.params.user,
      database: this.params.database,
      password: this.params.password,
      connectionTimeoutMillis: this.opts.queryTimeoutMs ?? 10_000,
    });
    c.on('error', () => undefined); // a dead connection surfaces as the failing query's error
    await c.connect();
    this.client = c;
    return c;
  }

  async run(sql: string, params?: readonly ParamValue[], forceSimple = false): Promise<Outcome> {
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (e) {
      return { ok: false, message: `cannot connect: ${(e as Error).message}`, fatal: true };
    }
    const config: pg.QueryArrayConfig & { queryMode?: 'extended' } = {
      text: sql,
      rowMode: 'array',
      types: RAW_TYPES,
    };
    if (this.opts.mode === 'extended' && !forceSimple) config.queryMode = 'extended';
    if (params) config.values = params.map(toPgValue);
    const timeoutMs = this.opts.queryTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const res = (await Promise.race([client.query(config), timeout])) as
        pg.QueryArrayResult | pg.QueryArrayResult[];
      // A simple-protocol string with several statements yields one result per statement: use the last.
      const last = Array.isArray(res) ? res[res.length - 1]! : res;
      return {
        ok: true,
        oids: (last.fields ?? []).map((f) => f.dataTypeID),
        rows: (last.rows ?? []) as (string | null)[][],
        rowCount: last.rowCount,
      };
    } catch (e) {
      const err = e as Error & { code?: string };
      if (typeof err.code === 'string' && SQLSTATE_RE.test(err.code))
        return { ok: false, sqlstate: err.code, message: err.message, fatal: false };
      await this.reset();
      return { ok: false, message: err.message, fatal: true };
    } finally {
      clearTimeout(timer);
    }
  }

  async reset(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await Promise.race([c.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
}

function toPgValue(v: ParamValue): unknown {
  if (v !== null && typeof v === 'object') return Buffer.from(v.bytes, 'hex');
  return v;
}

function describe(o: Outcome): string {
  if (!o.ok) return o.sqlstate ? `error ${o.sqlstate}: ${o.message}` : `failure: ${o.message}`;
  return `ok (${o.rowCount ?? 0} rows)`;
}

/**
 * runSlt runs every record of `file` in order over one connection to `params`. In checking mode it
 * counts passes and collects failures (it does not stop at the first); in completion mode it returns the
 * file with every expectation replaced by the server's answer.
 */
export async function runSlt(file: SltFile, params: ConnectParams, opts: RunOptions): Promise<RunResult> {
  let current = params;
  const sessions = new Map<string, Session>();
  const sessionFor = (name = 'default'): Session => {
    let s = sessions.get(name);
    if (s === undefined) sessions.set(name, (s = new Session(current, opts)));
    return s;
  };
  const failures: RecordFailure[] = [];
  const surprises: string[] = [];
  const blocks: SltBlock[] = [];
  let records = 0;
  let passed = 0;
  let consecutiveFatal = 0;
  let givenUp: string | undefined;
  try {
    for (const b of file.blocks) {
      if (b.kind === 'restart' && givenUp === undefined) {
        await Promise.all([...sessions.values()].map((x) => x.reset()));
        sessions.clear();
        if (opts.restart) {
          try {
            current = await opts.restart();
          } catch (e) {
            givenUp = `not run: the restart at line ${b.line} failed: ${(e as Error).message}`;
          }
        }
      }
      if (b.kind !== 'statement' && b.kind !== 'query') {
        blocks.push(b);
        continue;
      }
      const rec: StatementRecord | QueryRecord = b;
      records++;
      if (givenUp !== undefined) {
        blocks.push(rec);
        failures.push({ line: rec.line, sql: rec.sql, message: givenUp });
        continue;
      }
      const outcome = await sessionFor(rec.connection).run(rec.sql, rec.params, rec.forceSimple);
      // A server that keeps dropping or not answering connections would cost a timeout per record.
      consecutiveFatal = !outcome.ok && outcome.fatal ? consecutiveFatal + 1 : 0;
      if (consecutiveFatal >= MAX_CONSECUTIVE_FATAL)
        givenUp = `not run: the last ${MAX_CONSECUTIVE_FATAL} records lost their connection or got no answer`;
      if (opts.complete) {
        blocks.push(complete(rec, outcome, `${file.name}:${rec.line}`, surprises));
        passed++;
        continue;
      }
      blocks.push(rec);
      const problem = rec.kind === 'statement' ? checkStatement(rec, outcome) : checkQuery(rec, outcome);
      if (problem === undefined) passed++;
      else failures.push({ line: rec.line, sql: rec.sql, message: problem });
    }
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.reset()));
  }
  return { records, passed, failures, surprises, file: { name: file.name, blocks } };
}

function checkStatement(b: StatementRecord, o: Outcome): string | undefined {
  const e = b.expect;
  if (e.kind === 'error') {
    if (o.ok) return `expected an error${e.sqlstate ? ` ${e.sqlstate}` : ''}, but the statement succeeded`;
    if (e.sqlstate !== undefined && o.sqlstate !== e.sqlstate)
      return `expected error ${e.sqlstate}, got ${describe(o)}`;
    if (e.pattern !== undefined && !new RegExp(e.pattern).test(o.message))
      return `error message ${JSON.stringify(o.message)} does not match /${e.pattern}/`;
    return undefined;
  }
  if (!o.ok) return `expected success, got ${describe(o)}`;
  if (e.kind === 'count' && o.rowCount !== e.count) return `expected row count ${e.count}, got ${o.rowCount}`;
  return undefined;
}

function checkQuery(b: QueryRecord, o: Outcome): string | undefined {
  if (b.expected === undefined) return 'no expected results (run `npm run slt:generate`)';
  if (!o.ok) return `expected rows, got ${describe(o)}`;
  const types = o.oids.map(typeLetter).join('');
  if (types !== b.types) return `expected column types ${b.types}, got ${types} (OIDs ${o.oids.join(',')})`;
  const actual = renderRows(o.rows, b.sort);
  const expected = b.sort === 'nosort' ? [...b.expected] : [...b.expected].sort(compareStrings);
  if (actual.length === expected.length && actual.every((l, i) => l === expected[i])) return undefined;
  const show = (lines: string[]): string => (lines.length === 0 ? '(no rows)' : lines.join('\n'));
  return `results differ\n--- expected\n${show(expected)}\n+++ actual\n${show(actual)}`;
}

function complete(
  b: StatementRecord | QueryRecord,
  o: Outcome,
  where: string,
  surprises: string[],
): SltBlock {
  if (!o.ok && o.fatal) throw new Error(`${where}: ${describe(o)}`);
  const errorRecord = (sqlstate: string, pattern: string | undefined, message: string): StatementRecord => {
    if (pattern !== undefined && !new RegExp(pattern).test(message))
      surprises.push(`${where}: message ${JSON.stringify(message)} does not match /${pattern}/`);
    return {
      kind: 'statement',
      line: b.line,
      comments: b.comments,
      expect: { kind: 'error', sqlstate, pattern },
      sql: b.sql,
      ...(b.connection !== undefined && { connection: b.connection }),
      ...(b.forceSimple && { forceSimple: b.forceSimple }),
      ...(b.params && { params: b.params }),
    };
  };
  if (b.kind === 'statement') {
    const e = b.expect;
    if (!o.ok) {
      if (e.kind !== 'error') surprises.push(`${where}: expected ${e.kind}, got ${describe(o)}`);
      else if (e.sqlstate !== undefined && e.sqlstate !== o.sqlstate)
        surprises.push(`${where}: expected error ${e.sqlstate}, got ${describe(o)}`);
      return errorRecord(o.sqlstate!, e.kind === 'error' ? e.pattern : undefined, o.message);
    }
    if (e.kind === 'error') {
      surprises.push(`${where}: expected an error, but it succeeded`);
      return { ...b, expect: { kind: 'ok' } };
    }
    if (e.kind === 'count') return { ...b, expect: { kind: 'count', count: o.rowCount ?? 0 } };
    return b;
  }
  if (!o.ok) {
    surprises.push(`${where}: query failed: ${describe(o)}`);
    return errorRecord(o.sqlstate!, undefined, o.message);
  }
  if (b.sort === 'nosort' && o.rows.length > 1 && !/\border\s+by\b/i.test(b.sql))
    surprises.push(`${where}: ${o.rows.length} rows, nosort and no ORDER BY: is the order guaranteed?`);
  return { ...b, types: o.oids.map(typeLetter).join(''), expected: renderRows(o.rows, b.sort) };
}
