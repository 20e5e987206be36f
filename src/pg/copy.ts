/**
 * COPY ... FROM STDIN and COPY ... TO STDOUT (also COPY (SELECT ...) TO STDOUT), in PostgreSQL's text format
 * (one row per line, a delimiter (tab) between columns, \N for NULL, backslash escapes) and CSV format
 * (comma, "quoted" fields with "" inside, an unquoted empty field for NULL, optional HEADER).
 */
import { notSupported, SqlError, SqlState } from '../sql/errors.js';
import type { Statement } from '../sql/ast.js';
import type { Session } from '../sql/session.js';
import { columnIndex, type TableDef } from '../sql/catalog/table-def.js';
import { RowWriter } from '../sql/exec/row-writer.js';
import { TableScan } from '../sql/plan/table-scan.js';
import { parseValue, formatValue } from '../sql/types/text-io.js';
import type { SqlType, Value } from '../sql/types/sql-type.js';
import type { ExecContext, Compiled } from '../sql/expr/context.js';
import { Planner } from '../sql/plan/planner.js';
import { compileDefault } from '../sql/exec/defaults.js';
import { compileWriteHooks } from '../sql/exec/checks.js';

type Copy = Extract<Statement, { kind: 'copy' }>;

interface CopyFormat {
  readonly csv: boolean;
  readonly delimiter: string;
  readonly nullText: string;
  readonly header: boolean;
  readonly quote: string;
}

function copyFormat(s: Copy): CopyFormat {
  const o = s.options;
  const fmt = (o.format ?? 'text').toLowerCase();
  if (fmt !== 'text' && fmt !== 'csv') throw notSupported(`COPY FORMAT ${fmt.toUpperCase()}`);
  for (const k of Object.keys(o))
    if (!['format', 'delimiter', 'null', 'freeze', 'encoding', 'header', 'quote'].includes(k))
      throw notSupported(`COPY option ${k}`);
  if (o.encoding !== undefined && !/^utf-?8$/i.test(o.encoding))
    throw notSupported(`COPY ENCODING ${o.encoding}`);
  const csv = fmt === 'csv';
  const header = o.header !== undefined && !['false', 'off', '0'].includes(o.header.toLowerCase());
  if (header && !csv)
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY HEADER available only in CSV mode');
  if (o.header?.toLowerCase() === 'match') throw notSupported('COPY HEADER MATCH');
  const delimiter = o.delimiter ?? (csv ? ',' : '\t');
  if ([...delimiter].length !== 1)
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY delimiter must be a single one-byte character');
  const quote = o.quote ?? '"';
  if (!csv && o.quote !== undefined)
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY quote available only in CSV mode');
  return { csv, delimiter, nullText: o.null ?? (csv ? '' : '\\N'), header, quote };
}

function targets(table: TableDef, s: Copy): number[] {
  if (s.columns.length === 0) return table.columns.map((_, i) => i);
  return s.columns.map((n) => {
    const ci = columnIndex(table, n);
    if (ci < 0)
      throw new SqlError(
        SqlState.UNDEFINED_COLUMN,
        `column "${n}" of relation "${table.name}" does not exist`,
      );
    return ci;
  });
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeText(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\' || i + 1 >= field.length) {
      out += c;
      continue;
    }
    const n = field[++i]!;
    if (ESCAPES[n] !== undefined) out += ESCAPES[n];
    else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(field.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8));
      i += m.length - 1;
    } else if (n === 'x' && /^[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
      const m = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(m, 16));
      i += m.length;
    } else out += n;
  }
  return out;
}

function escapeText(s: string, delimiter: string): string {
  let out = '';
  for (const c of s) {
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === delimiter) out += '\\' + c;
    else out += c;
  }
  return out;
}

function quoteCsv(s: string, f: CopyFormat): string {
  const needs =
    s === f.nullText ||
    s.includes(f.delimiter) ||
    s.includes(f.quote) ||
    s.includes('\n') ||
    s.includes('\r') ||
    s === '\\.';
  return needs ? f.quote + s.split(f.quote).join(f.quote + f.quote) + f.quote : s;
}

/** formatLine writes one row (null for NULL) in the format. */
function formatLine(values: readonly (string | null)[], f: CopyFormat): string {
  return (
    values
      .map((v) =>
        v === null ? (f.csv ? f.nullText : f.nullText) : f.csv ? quoteCsv(v, f) : escapeText(v, f.delimiter),
      )
      .join(f.delimiter) + '\n'
  );
}

/** CopyIn receives COPY FROM STDIN data and inserts its rows in the session's transaction. */
export class CopyIn {
  readonly columnCount: number;
  count = 0;
  failed: unknown = undefined;
  private partial = '';
  private done = false;
  private readonly format: CopyFormat;
  private readonly table: TableDef;
  private readonly cols: number[];
  private readonly writer: RowWriter;
  private readonly ex: ExecContext;
  private readonly defaults: (Compiled | undefined)[];
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private line = 0;
  private headerPending: boolean;

  constructor(
    session: Session,
    s: Copy,
    readonly extended: boolean,
  ) {
    if (s.query !== undefined) throw new SqlError(SqlState.SYNTAX_ERROR, 'COPY (query) FROM is not valid');
    this.format = copyFormat(s);
    this.headerPending = this.format.header;
    this.table = session.catalog.table(s.table.name);
    this.cols = targets(this.table, s);
    this.columnCount = this.cols.length;
    this.ex = session.execContext();
    const t = this.table;
    const planner = new Planner(session.catalog, [], session.engine.system, session.io);
    const hooks = compileWriteHooks(planner, t);
    const ex = this.ex;
    session.catalog.written.add(t.name);
    this.writer = new RowWriter(
      this.ex.txn,
      t,
      () => (t.rowIdSequence === undefined ? 0n : session.nextSequenceValue(t.rowIdSequence)),
      hooks(ex),
    );
    this.defaults = t.columns.map((c, i) =>
      this.cols.includes(i) ? undefined : compileDefault(planner, t, c),
    );
  }

  data(chunk: Buffer): void {
    if (this.failed !== undefined || this.done) return;
    this.partial += this.decoder.decode(chunk, { stream: true });
    for (;;) {
      const end = this.recordEnd();
      if (end < 0) return;
      const line = this.partial.slice(0, end).replace(/\r$/, '');
      this.partial = this.partial.slice(end + 1);
      this.row(line);
      if (this.done) return;
    }
  }

  /** recordEnd finds the newline that ends the next record (in CSV, not one inside quotes), or -1. */
  private recordEnd(): number {
    if (!this.format.csv) return this.partial.indexOf('\n');
    let quoted = false;
    const q = this.format.quote;
    for (let i = 0; i < this.partial.length; i++) {
      const c = this.partial[i]!;
      if (c === q) quoted = !quoted;
      else if (c === '\n' && !quoted) return i;
    }
    return -1;
  }

  finish(): void {
    if (this.partial.length > 0 && !this.done) this.row(this.partial);
    this.partial = '';
  }

  /** fields splits a record into its fields (null: NULL). */
  private fields(line: string): (string | null)[] {
    const f = this.format;
    if (!f.csv) return line.split(f.delimiter).map((x) => (x === f.nullText ? null : unescapeText(x)));
    const out: (string | null)[] = [];
    let cur = '';
    let quoted = false;
    let wasQuoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === f.quote) {
          if (line[i + 1] === f.quote) {
            cur += c;
            i++;
          } else quoted = false;
        } else cur += c;
      } else if (c === f.quote) {
        quoted = true;
        wasQuoted = true;
      } else if (c === f.delimiter) {
        out.push(!wasQuoted && cur === f.nullText ? null : cur);
        cur = '';
        wasQuoted = false;
      } else cur += c;
    }
    if (quoted)
      throw new SqlError('22P04', 'unterminated CSV quoted field', {
        detail: `COPY ${this.table.name}, line ${this.line}`,
      });
    out.push(!wasQuoted && cur === f.nullText ? null : cur);
    return out;
  }

  private row(line: string): void {
    this.line++;
    if (line === '\\.') {
      this.done = true;
      return;
    }
    if (this.headerPending) {
      this.headerPending = false;
      return;
    }
    const raw = this.fields(line);
    if (raw.length !== this.cols.length)
      throw new SqlError(
        '22P04',
        raw.length < this.cols.length
          ? `missing data for column "${this.table.columns[this.cols[raw.length]!]!.name}"`
          : 'extra data after last expected column',
        { detail: `COPY ${this.table.name}, line ${this.line}` },
      );
    const row: Value[] = this.table.columns.map((_, i) =>
      this.defaults[i] === undefined ? null : this.defaults[i]!.eval([], this.ex),
    );
    raw.forEach((f, i) => {
      const ci = this.cols[i]!;
      row[ci] = f === null ? null : parseValue(this.table.columns[ci]!.type, f, this.ex.runtime.io);
    });
    this.writer.insert(row);
    this.count++;
  }
}

/** copyOut produces the lines of COPY ... TO STDOUT. */
export function copyOut(session: Session, s: Copy): { rows: string[]; columns: number; count: number } {
  const format = copyFormat(s);
  const ex = session.execContext();
  const out: string[] = [];
  let names: string[];
  let types: SqlType[];
  let rows: Iterable<readonly Value[]>;
  if (s.query !== undefined) {
    const plan = new Planner(session.catalog, [], session.engine.system, session.io).planQuery(
      s.query,
      undefined,
    );
    names = plan.columns.map((c) => c.name);
    types = plan.columns.map((c) => (c.type.id === 'unknown' ? { id: 'text', typmod: -1 } : c.type));
    rows = plan.rows(ex);
  } else {
    const table = session.catalog.table(s.table.name);
    const cols = targets(table, s);
    names = cols.map((ci) => table.columns[ci]!.name);
    types = cols.map((ci) => table.columns[ci]!.type);
    rows = (function* () {
      for (const e of new TableScan(table, table.name, undefined).entries(ex))
        yield cols.map((ci) => e.row[ci]!);
    })();
  }
  if (format.header) out.push(formatLine(names, format));
  for (const r of rows)
    out.push(
      formatLine(
        r.map((v, i) => (v === null ? null : formatValue(types[i]!, v, session.io))),
        format,
      ),
    );
  return { rows: out, columns: names.length, count: out.length - (format.header ? 1 : 0) };
}
