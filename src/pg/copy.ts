/**
 * COPY ... FROM STDIN and COPY ... TO STDOUT in PostgreSQL's text format: one row per line, columns split
 * by the delimiter (a tab by default), \N for NULL, backslash escapes (\t \n \r \b \f \v \\ \ooo \xhh),
 * and an optional end-of-data line "\.".
 */
import { notSupported, SqlError, SqlState } from '../sql/errors.js';
import type { Statement } from '../sql/ast.js';
import type { Session } from '../sql/session.js';
import { columnIndex, type TableDef } from '../sql/catalog/table-def.js';
import { RowWriter } from '../sql/exec/row-writer.js';
import { TableScan } from '../sql/plan/table-scan.js';
import { parseValue, formatValue } from '../sql/types/text-io.js';
import type { Value } from '../sql/types/sql-type.js';
import type { ExecContext } from '../sql/expr/context.js';
import { Planner } from '../sql/plan/planner.js';
import { compileDefault } from '../sql/exec/defaults.js';
import { compileWriteHooks } from '../sql/exec/checks.js';
import type { Compiled } from '../sql/expr/context.js';

type Copy = Extract<Statement, { kind: 'copy' }>;

interface CopyFormat {
  readonly delimiter: string;
  readonly nullText: string;
}

function copyFormat(s: Copy): CopyFormat {
  const o = s.options;
  const fmt = (o.format ?? 'text').toLowerCase();
  if (fmt !== 'text') throw notSupported(`COPY FORMAT ${fmt.toUpperCase()}`);
  for (const k of Object.keys(o))
    if (!['format', 'delimiter', 'null', 'freeze', 'encoding'].includes(k))
      throw notSupported(`COPY option ${k}`);
  if (o.encoding !== undefined && !/^utf-?8$/i.test(o.encoding))
    throw notSupported(`COPY ENCODING ${o.encoding}`);
  const delimiter = o.delimiter ?? '\t';
  if ([...delimiter].length !== 1)
    throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY delimiter must be a single one-byte character');
  return { delimiter, nullText: o.null ?? '\\N' };
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

function unescape(field: string): string {
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

function escape(s: string, delimiter: string): string {
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

  constructor(
    session: Session,
    s: Copy,
    readonly extended: boolean,
  ) {
    this.format = copyFormat(s);
    this.table = session.catalog.table(s.table.name);
    this.cols = targets(this.table, s);
    this.columnCount = this.cols.length;
    this.ex = session.execContext();
    const t = this.table;
    const planner = new Planner(session.catalog, [], session.engine.system);
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
    let nl = this.partial.indexOf('\n');
    while (nl >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r$/, '');
      this.partial = this.partial.slice(nl + 1);
      this.row(line);
      if (this.done) return;
      nl = this.partial.indexOf('\n');
    }
  }

  finish(): void {
    if (this.partial.length > 0 && !this.done) this.row(this.partial);
    this.partial = '';
  }

  private row(line: string): void {
    this.line++;
    if (line === '\\.') {
      this.done = true;
      return;
    }
    const raw = line.split(this.format.delimiter);
    if (raw.length !== this.cols.length)
      throw new SqlError(
        raw.length < this.cols.length ? '22P04' : '22P04',
        raw.length < this.cols.length
          ? `missing data for column "${this.table.columns[this.cols[raw.length]!]!.name}"`
          : 'extra data after last expected column',
        {
          detail: `COPY ${this.table.name}, line ${this.line}`,
        },
      );
    const row: Value[] = this.table.columns.map((_, i) =>
      this.defaults[i] === undefined ? null : this.defaults[i]!.eval([], this.ex),
    );
    raw.forEach((f, i) => {
      const ci = this.cols[i]!;
      row[ci] = f === this.format.nullText ? null : parseValue(this.table.columns[ci]!.type, unescape(f));
    });
    this.writer.insert(row);
    this.count++;
  }
}

/** copyOut produces the lines of COPY table TO STDOUT. */
export function copyOut(session: Session, s: Copy): { rows: string[]; columns: number } {
  const format = copyFormat(s);
  const table = session.catalog.table(s.table.name);
  const cols = targets(table, s);
  const ex = session.execContext();
  const out: string[] = [];
  for (const e of new TableScan(table, table.name, undefined).entries(ex)) {
    out.push(
      cols
        .map((ci) => {
          const v = e.row[ci]!;
          return v === null
            ? format.nullText
            : escape(formatValue(table.columns[ci]!.type, v), format.delimiter);
        })
        .join(format.delimiter) + '\n',
    );
  }
  return { rows: out, columns: cols.length };
}
