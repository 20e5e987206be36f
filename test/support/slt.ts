/**
 * The sqllogictest runner: drives a `pg.Client` through the simple or the extended protocol over the
 * records of a parsed .slt file (slt-format.ts), checking each answer, or, in completion mode, rewriting
 * the expectations from a reference server (PostgreSQL 15).
 */
import pg from 'pg';
import {
  compareStrings,
  SQLSTATE_RE,
  renderRows,
  typeLetter,
  type ParamValue,
  type ProtocolMode,
  type QueryRecord,
  type SltBlock,
  type SltFile,
  type StatementRecord,
} from './slt-format.js';

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
  /** unsupported: the server answered 0A000 feature_not_supported (honest, unlike a wrong answer). */
  readonly unsupported?: boolean;
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
    try {
      await c.connect();
    } catch (e) {
      c.end().catch(() => undefined);
      throw e;
    }
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
      const answer = client.query(config);
      answer.catch(() => undefined); // after a timeout nobody awaits it; its rejection must not go unhandled
      const res = (await Promise.race([answer, timeout])) as pg.QueryArrayResult | pg.QueryArrayResult[];
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
      else
        failures.push({
          line: rec.line,
          sql: rec.sql,
          message: problem,
          ...(!outcome.ok && outcome.sqlstate === '0A000' && { unsupported: true }),
        });
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
