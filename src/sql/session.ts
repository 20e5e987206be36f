/**
 * Session is one client's SQL state: its transaction (implicit or explicit, and the aborted state after an
 * error), its settings, and statement execution. Every statement runs in an engine transaction: REPEATABLE
 * READ (and, until READ COMMITTED lands, READ COMMITTED) maps to snapshot isolation, SERIALIZABLE to the
 * serializable mode; a conflict surfaces as 40001.
 */
import type { Savepoint, Transaction } from '../txn/transaction.js';
import { ShaleError, ErrorCode } from '../util/errors.js';
import { notSupported, SqlError, SqlState } from './errors.js';
import type { Statement } from './ast.js';
import { CatalogView } from './catalog/catalog.js';
import { RunContext, type ExecContext } from './expr/context.js';
import { parse, type ParsedStatement } from './parse/parse.js';
import { indexPrefix, rowPrefix } from './storage/keyspace.js';
import { Planner } from './plan/planner.js';
import type { ColumnInfo } from './plan/scope.js';
import { sqlType, type SqlType, type Value } from './types/sql-type.js';
import type { Runtime, SessionInfo } from './runtime.js';
import type { IoSettings } from './types/io-settings.js';
import { DISPLAY_NAMES, Settings, type SettingsSnapshot } from './settings.js';
import type { SqlEngine } from './engine.js';
import { doneCursor, rowsCursor, type Cursor, type Executable } from './exec/executable.js';
import { planStatement } from './exec/plan-statement.js';
import { prefixEnd } from './storage/key-codec.js';
import { Cursors, type CursorOptions } from './cursors.js';
import { PreparedStatements } from './prepared-statements.js';
import { longIdentifierNotices } from './parse/long-identifiers.js';
import { takePause } from './expr/pause.js';
import {
  takeTableLocks,
  tryTakeTableLocks,
  tryTakeTableLocksNoWait,
  TableLockMode,
  type TableLockRequest,
} from './plan/table-locks.js';

/** Prepared is a parsed (and, for data statements, planned) statement. */
export interface Prepared {
  readonly text: string;
  /** statement: undefined for an empty query string. */
  readonly statement: Statement | undefined;
  paramTypes: SqlType[];
  columns: readonly ColumnInfo[] | undefined;
  executable: Executable | undefined;
  catalogVersion: number;
  /** sleeps: the statement calls pg_sleep. */
  sleeps?: boolean;
  /** parseNotices: NOTICEs the parser owes (identifiers truncated), sent with the first execution. */
  parseNotices?: string[] | undefined;
  /** tableLocks: the table locks a data statement takes before it runs (plan/table-locks.ts). */
  tableLocks?: readonly TableLockRequest[];
}

export interface Notice {
  readonly severity: 'WARNING' | 'NOTICE';
  readonly code: string;
  readonly message: string;
}

/** INTERRUPT_INTERVAL: rows read between two checks for cancellation and the statement deadline. */
const INTERRUPT_INTERVAL = 256;

const TXN_CONTROL = new Set([
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'release',
  'rollbackTo',
  'set',
  'show',
  'discard',
  'admin',
  'copy',
  'explain',
  'fetch',
  'closeCursor',
  'prepare',
  'execute',
  'deallocate',
  'listen',
]);

const INT8_MAX = 2n ** 63n - 1n;

export class Session implements Runtime {
  readonly settings: Settings;
  readonly versionString: string;
  private txn: Transaction | undefined;
  private txnStart = 0n;
  /** txnClock: the catalog's commit clock when the transaction began (Catalog.beginCommit). */
  private txnClock = 0;
  private view: CatalogView;
  /** explicit: inside BEGIN ... COMMIT. */
  private explicit = false;
  /** failed: an error happened inside the explicit transaction (25P02 until it ends). */
  private failed = false;
  private isolation: string | undefined;
  private readOnly: boolean | undefined;
  private readonly currvals = new Map<string, bigint>();
  /** readCommitted: the open transaction runs READ COMMITTED (row locks, a snapshot per statement). */
  private readCommitted = false;
  /** lockedAt: under READ COMMITTED, the catalog's commit clock when the transaction first locked each table. */
  private readonly lockedAt = new Map<string, number>();
  private lastValue: bigint | undefined;
  /** savepoints: open savepoints, innermost last, with the transaction's mark and catalog changes at each. */
  private savepoints: {
    name: string;
    mark: Savepoint;
    changes: Map<string, import('./catalog/table-def.js').CatalogEntry | null>;
  }[] = [];
  /** settingsBefore: the settings before the first SET of this transaction (restored by a rollback). */
  private settingsBefore: SettingsSnapshot | undefined;
  /** localNames: parameters SET LOCAL in this transaction, restored from settingsBefore when it ends. */
  private readonly localNames = new Set<string>();
  notices: Notice[] = [];
  /** changedParameters: ParameterStatus to send after the current statement. */
  changedParameters: { name: string; value: string }[] = [];
  /** cursors: the SQL-level cursors (DECLARE ... CURSOR). */
  readonly cursors = new Cursors();
  /** prepared: the SQL-level prepared statements (PREPARE ... AS). */
  private readonly prepared = new PreparedStatements<Prepared>();
  /** implicitBlock: running a simple query of several statements (one implicit transaction block). */
  private implicitBlock = false;

  constructor(
    readonly engine: SqlEngine,
    readonly session: SessionInfo,
  ) {
    this.versionString = `PostgreSQL ${engine.serverVersion} on shale, an embedded database in TypeScript`;
    this.settings = new Settings(engine.serverVersion, session.user);
    this.view = new CatalogView(engine.catalog, () => this.transaction());
  }

  get catalog(): CatalogView {
    return this.view;
  }

  get io(): IoSettings {
    return this.settings.io;
  }

  /** status is ReadyForQuery's transaction status: I idle, T in a transaction block, E failed. */
  get status(): 'I' | 'T' | 'E' {
    if (this.failed) return 'E';
    return this.explicit ? 'T' : 'I';
  }

  // Runtime ------------------------------------------------------------------------------------------

  nextSequenceValue(id: number): bigint {
    return this.engine.sequences.nextValue(id);
  }

  dropSequence(id: number): void {
    this.engine.sequences.drop(id);
  }

  restartSequence(id: number, next: bigint, increment: bigint): void {
    this.engine.sequences.set(id, next, increment);
  }

  nextval(name: string): bigint {
    const seq = this.findSequence(name);
    name = name.replace(/^public\./, '');
    const v = this.engine.sequences.nextValue(seq.id, seq.start, seq.increment);
    if (v > INT8_MAX)
      throw new SqlError(
        '2200H',
        `nextval: reached maximum value of sequence "${name}" (9223372036854775807)`,
      );
    this.currvals.set(name, v);
    this.lastValue = v;
    return v;
  }

  nextSerialValue(table: string, column: string, id: number): bigint {
    const v = this.engine.sequences.nextValue(id);
    this.currvals.set(`${table}_${column}_seq`, v);
    this.lastValue = v;
    return v;
  }

  setval(name: string, value: bigint, called: boolean): bigint {
    const seq = this.findSequence(name);
    if (value < 1n)
      throw new SqlError(
        '22003',
        `setval: value ${value} is out of bounds for sequence "${name}" (1..9223372036854775807)`,
      );
    this.engine.sequences.set(seq.id, called ? value + seq.increment : value, seq.increment);
    if (called) this.currvals.set(name.replace(/^public\./, ''), value);
    return value;
  }

  lastval(): bigint {
    if (this.lastValue === undefined)
      throw new SqlError('55000', 'lastval is not yet defined in this session');
    return this.lastValue;
  }

  serialSequence(table: string, column: string): string | null {
    const t = this.view.table(table.replace(/^public\./, ''));
    const c = t.columns.find((x) => x.name === column);
    if (c === undefined)
      throw new SqlError(
        SqlState.UNDEFINED_COLUMN,
        `column "${column}" of relation "${t.name}" does not exist`,
      );
    return c.sequence === undefined ? null : `public.${t.name}_${column}_seq`;
  }

  setting(name: string): string {
    return this.showValue(name.toLowerCase()) ?? '';
  }

  setSetting(name: string, value: string, local: boolean): string {
    this.applySetting(name, value, local);
    return this.setting(name);
  }

  /** applySetting is SET [LOCAL]: undone by a rollback; a LOCAL one also when its transaction commits. */
  private applySetting(name: string, value: string | undefined, local: boolean): void {
    this.settingsBefore ??= this.settings.snapshot();
    if (local) this.localNames.add(name);
    else this.localNames.delete(name);
    const changed = this.settings.set(name, value);
    if (changed !== undefined) this.changedParameters.push(changed);
  }

  currval(name: string): bigint {
    this.findSequence(name);
    name = name.replace(/^public\./, '');
    const v = this.currvals.get(name);
    if (v === undefined)
      throw new SqlError('55000', `currval of sequence "${name}" is not yet defined in this session`);
    return v;
  }

  /** findSequence finds a sequence by name: a stand-alone one, or a serial or identity column's. */
  private findSequence(name: string): { id: number; start: bigint; increment: bigint } {
    name = name.replace(/^public\./, '');
    const s = this.view.sequence(name);
    if (s !== undefined) return { id: s.id, start: BigInt(s.start), increment: BigInt(s.increment) };
    for (const t of this.view.all())
      for (const c of t.columns)
        if (c.sequence !== undefined && `${t.name}_${c.name}_seq` === name)
          return { id: c.sequence, start: 1n, increment: 1n };
    throw new SqlError(SqlState.UNDEFINED_TABLE, `relation "${name}" does not exist`);
  }

  approximateBytes(prefix: Uint8Array): number {
    const end = prefixEnd(prefix);
    return end === undefined ? 0 : this.engine.db.approximateSizes([[prefix, end]])[0]!;
  }

  notice(severity: 'WARNING' | 'NOTICE', code: string, message: string): void {
    // client_min_messages: debug5..debug1, log and notice let NOTICEs through; warning only WARNINGs.
    const min = this.settings.get('client_min_messages').toLowerCase();
    if (min === 'error' || (severity === 'NOTICE' && min === 'warning')) return;
    this.notices.push({ severity, code, message });
  }

  declareCursor(name: string, columns: readonly ColumnInfo[], source: Cursor, options: CursorOptions): void {
    // PostgreSQL counts a multi-statement simple query as a transaction block here.
    this.cursors.declare(name, columns, source, options, this.explicit || this.implicitBlock);
  }

  // Interrupts: statement timeout and cancellation --------------------------------------------------------

  /** deadline: when the running statement times out (Date.now() milliseconds; 0: never). */
  deadline = 0;
  /** cancelRequested: a CancelRequest arrived for the running statement. */
  cancelRequested = false;
  private ticks = INTERRUPT_INTERVAL;

  tick(): void {
    if (--this.ticks > 0) return;
    this.ticks = INTERRUPT_INTERVAL;
    this.checkInterrupts();
  }

  /**
   * interrupt cancels the running statement (a CancelRequest, or its statement timeout when `timeout`):
   * a lock wait fails with 57014 at once; otherwise the row loops see the request at their next check.
   */
  interrupt(timeout = false): void {
    const message = timeout
      ? 'canceling statement due to statement timeout'
      : 'canceling statement due to user request';
    if (this.txn?.interruptWait(new SqlError(SqlState.QUERY_CANCELED, message)) === true) return;
    if (!timeout) this.cancelRequested = true;
  }

  /** checkInterrupts throws 57014 when the running statement was cancelled or passed its deadline. */
  checkInterrupts(): void {
    if (this.cancelRequested) {
      this.cancelRequested = false;
      throw new SqlError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
    }
    if (this.deadline !== 0 && Date.now() >= this.deadline)
      throw new SqlError(SqlState.QUERY_CANCELED, 'canceling statement due to statement timeout');
  }

  /** statementTimeout: the statement_timeout setting in milliseconds (0: none). */
  statementTimeout(): number {
    const v = this.settings.get('statement_timeout');
    if (v === this.timeoutText) return this.timeoutMs;
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?$/i.exec(v.trim());
    const unit =
      m === null
        ? 0
        : { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'];
    this.timeoutText = v;
    this.timeoutMs = m === null ? 0 : Math.floor(Number(m[1]) * unit);
    return this.timeoutMs;
  }

  /** timeoutText, timeoutMs: statement_timeout as last parsed (it is read once per statement). */
  private timeoutText: string | undefined;
  private timeoutMs = 0;

  // Transactions ---------------------------------------------------------------------------------------

  /** transaction returns the open engine transaction, starting one when there is none. */
  private transaction(): Transaction {
    let tx = this.txn;
    if (tx === undefined) {
      const iso = this.isolation ?? this.settings.get('default_transaction_isolation');
      // READ COMMITTED (and READ UNCOMMITTED, which PostgreSQL runs as it) locks rows it writes and reads a
      // fresh snapshot per statement; REPEATABLE READ is snapshot isolation; SERIALIZABLE is serializable.
      this.readCommitted = iso === 'read committed' || iso === 'read uncommitted';
      tx = this.readCommitted
        ? this.engine.db.transaction({
            isolation: 'readCommitted',
            pessimistic: true,
            lockTimeout: this.lockTimeout(),
            maxBytes: this.engine.maxTransactionBytes,
          })
        : this.engine.db.transaction({
            isolation: iso === 'serializable' ? 'serializable' : 'snapshot',
            // It locks no rows, but takes table locks.
            lockTimeout: this.lockTimeout(),
            maxBytes: this.engine.maxTransactionBytes,
          });
      this.txn = tx;
      this.txnStart = BigInt(Date.now()) * 1000n;
      this.txnClock = this.engine.catalog.now();
    }
    return tx;
  }

  /** lockTimeout: lock_timeout in ms; 0 (PostgreSQL's default: wait forever) waits ten minutes. */
  private lockTimeout(): number {
    const v = this.settings.get('lock_timeout');
    if (v === this.lockTimeoutText) return this.lockTimeoutMs;
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$/i.exec(v);
    const n =
      m === null
        ? 0
        : Number(m[1]) *
          ({ ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms'] ?? 1);
    this.lockTimeoutText = v;
    this.lockTimeoutMs = n > 0 ? n : 600_000;
    return this.lockTimeoutMs;
  }

  /** lockTimeoutText, lockTimeoutMs: lock_timeout as last parsed (read once per transaction). */
  private lockTimeoutText: string | undefined;
  private lockTimeoutMs = 600_000;

  private get inReadOnly(): boolean {
    return this.readOnly ?? this.settings.get('default_transaction_read_only') === 'on';
  }

  /**
   * finishImplicit ends an implicit transaction block (at Sync, or the end of a simple query). It returns
   * undefined when it is done at once (no transaction, or one that changed nothing, as most reads): the
   * Sync is then answered in the same turn, with no promise made.
   */
  finishImplicit(): Promise<void> | undefined {
    this.implicitBlock = false;
    if (this.explicit) return undefined;
    if (this.failed) {
      this.rollbackNow();
      return undefined;
    }
    if (this.cursors.size === 0 && this.commitUnchangedNow()) return undefined;
    return this.commitWithCursors();
  }

  /**
   * commitUnchangedNow commits at once an open transaction that wrote nothing and changed no catalog entry
   * (true); false when there is something to commit (or the transaction is no longer open).
   */
  private commitUnchangedNow(): boolean {
    const tx = this.txn;
    const v = this.view;
    if (v.changes.size > 0 || v.written.size > 0) return false;
    if (tx !== undefined && (tx.hasWrites || !tx.isOpen)) return false;
    this.resetTxn();
    tx?.commitUnchanged();
    return true;
  }

  /**
   * commitWithCursors commits; WITH HOLD cursors first read the rest of their rows (their iterators end
   * with the transaction), and the transaction's other cursors end with it.
   */
  private async commitWithCursors(): Promise<void> {
    if (this.cursors.size === 0) return this.commitNow();
    try {
      this.cursors.materialize(true);
    } catch (err) {
      this.rollbackNow();
      throw err;
    }
    try {
      await this.commitNow();
    } catch (err) {
      this.cursors.endTransaction(false);
      throw err;
    }
    this.cursors.endTransaction(true);
  }

  /** fail records an error: an explicit transaction enters the aborted state; an implicit one rolls back. */
  fail(): void {
    if (!this.explicit) {
      this.rollbackNow();
      return;
    }
    this.failed = true;
    // As in PostgreSQL, the failed transaction lets go of its locks now (others may be waiting for them,
    // e.g. after a deadlock); only a savepoint to return to keeps it alive until ROLLBACK TO.
    if (this.savepoints.length === 0) {
      this.txn?.abortIfOpen();
      this.txn = undefined;
    }
  }

  private async commitNow(): Promise<void> {
    const tx = this.txn;
    const changes = this.view.changes;
    const written = [...this.view.written];
    const start = this.txnClock;
    const lockedAt = this.lockedAt.size > 0 ? new Map(this.lockedAt) : undefined;
    this.resetTxn();
    if (tx === undefined) return;
    if (changes.size === 0 && written.length === 0) {
      // No table written and no DDL: nothing for the catalog to check or order.
      try {
        await tx.commit({ sync: this.settings.get('synchronous_commit') === 'on' });
      } catch (err) {
        throw engineError(err);
      }
      return;
    }
    const ddl = [...changes.keys()];
    const catalog = this.engine.catalog;
    try {
      catalog.beginCommit(start, ddl, written, lockedAt);
    } catch (err) {
      tx.abortIfOpen();
      throw err;
    }
    try {
      await tx.commit({ sync: this.settings.get('synchronous_commit') === 'on' });
    } catch (err) {
      catalog.endCommit(ddl, written, false);
      throw engineError(err);
    }
    catalog.apply(changes);
    catalog.endCommit(ddl, written, true);
  }

  private rollbackNow(): void {
    if (this.cursors.size > 0) this.cursors.endTransaction(false);
    this.txn?.abortIfOpen();
    if (this.settingsBefore !== undefined)
      this.changedParameters.push(...this.settings.restore(this.settingsBefore));
    this.resetTxn();
  }

  private resetTxn(): void {
    if (this.localNames.size > 0) {
      if (this.settingsBefore !== undefined)
        this.changedParameters.push(...this.settings.restoreOnly(this.settingsBefore, this.localNames));
      this.localNames.clear();
    }
    this.txn = undefined;
    if (this.lockedAt.size > 0) this.lockedAt.clear();
    this.settingsBefore = undefined;
    this.explicit = false;
    this.failed = false;
    this.isolation = undefined;
    this.readOnly = undefined;
    if (this.savepoints.length > 0) this.savepoints = [];
    // A view the transaction changed nothing in is as good as new.
    const v = this.view;
    if (v.changes.size > 0 || v.written.size > 0 || v.edits > 0)
      this.view = new CatalogView(this.engine.catalog, () => this.transaction());
  }

  /** close rolls back whatever is open (the connection ended). */
  close(): void {
    this.rollbackNow();
  }

  // Statements -----------------------------------------------------------------------------------------

  /** parseSimple splits a simple-protocol query string into its statements. */
  parseSimple(text: string): readonly ParsedStatement[] {
    const statements = parse(text);
    this.implicitBlock = statements.length > 1;
    return statements;
  }

  /** prepare parses one statement and plans it (extended protocol Parse). */
  prepare(text: string, paramTypes: readonly (SqlType | undefined)[]): Prepared {
    const parsed = parse(text);
    if (parsed.length > 1)
      throw new SqlError(SqlState.SYNTAX_ERROR, 'cannot insert multiple commands into a prepared statement');
    const statement = parsed[0]?.statement;
    const p: Prepared = {
      text,
      statement,
      parseNotices: parseNoticesOf(text),
      paramTypes: paramTypes.map((t) => t ?? sqlType('unknown')),
      columns: undefined,
      executable: undefined,
      catalogVersion: -1,
    };
    if (statement !== undefined) this.plan(p, paramTypes);
    return p;
  }

  /** fromParsed makes a Prepared of a statement of a simple query (planned when it runs). */
  fromParsed(ps: ParsedStatement): Prepared {
    return {
      text: ps.text,
      statement: ps.statement,
      parseNotices: parseNoticesOf(ps.text),
      paramTypes: [],
      columns: controlColumns(ps.statement),
      executable: undefined,
      catalogVersion: -1,
    };
  }

  /** plan (re)plans a data statement against the catalog as this transaction sees it. */
  private plan(p: Prepared, declared: readonly (SqlType | undefined)[]): void {
    const s = p.statement!;
    if (TXN_CONTROL.has(s.kind)) {
      p.columns =
        s.kind === 'fetch'
          ? this.cursors.columnsOf(s)
          : s.kind === 'execute'
            ? this.prepared.get(s.name)?.columns
            : controlColumns(s);
      p.catalogVersion = this.engine.catalog.version;
      return;
    }
    if (this.failed) return;
    const planner = new Planner(this.view, declared, this.engine.system, this.settings.io);
    const exe = planStatement(planner, s);
    p.executable = exe;
    p.tableLocks = planner.tableLocks.requests;
    p.sleeps = planner.sleeps;
    p.columns = exe.columns;
    p.paramTypes = [...exe.paramTypes];
    p.catalogVersion = this.view.changes.size > 0 ? -1 : this.engine.catalog.version;
  }

  /**
   * execute runs a statement with parameter values; the result is a cursor to pull rows from. A query that
   * needs no lock and no wait (most reads) gives its cursor at once, without a promise; errors may be thrown
   * or rejected.
   */
  execute(p: Prepared, params: readonly Value[]): Cursor | Promise<Cursor> {
    if (this.notices.length > 0) this.notices = [];
    if (this.changedParameters.length > 0) this.changedParameters = [];
    if (p.parseNotices !== undefined) {
      for (const m of p.parseNotices) this.notice('NOTICE', '42622', m);
      p.parseNotices = undefined;
    }
    const s = p.statement;
    if (s === undefined) return doneCursor('');
    if (this.failed && s.kind !== 'commit' && s.kind !== 'rollback' && s.kind !== 'rollbackTo')
      throw new SqlError(
        SqlState.IN_FAILED_SQL_TRANSACTION,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    if (TXN_CONTROL.has(s.kind)) return this.command(p, s, params);
    return this.runData(p, params);
  }

  /** command runs a transaction-control, session or utility statement (TXN_CONTROL). */
  private async command(p: Prepared, s: Statement, params: readonly Value[]): Promise<Cursor> {
    switch (s.kind) {
      case 'begin':
        if (this.explicit) {
          this.notice(
            'WARNING',
            SqlState.ACTIVE_SQL_TRANSACTION,
            'there is already a transaction in progress',
          );
          return doneCursor(s.start ? 'START TRANSACTION' : 'BEGIN');
        }
        this.explicit = true;
        if (s.isolation !== undefined) this.isolation = s.isolation;
        if (s.readOnly !== undefined) this.readOnly = s.readOnly;
        return doneCursor(s.start ? 'START TRANSACTION' : 'BEGIN');
      case 'commit': {
        if (!this.explicit && this.txn === undefined) {
          this.notice('WARNING', SqlState.NO_ACTIVE_SQL_TRANSACTION, 'there is no transaction in progress');
          return doneCursor('COMMIT');
        }
        if (this.failed) {
          this.rollbackNow();
          return doneCursor('ROLLBACK');
        }
        await this.commitWithCursors();
        return doneCursor('COMMIT');
      }
      case 'rollback':
        if (!this.explicit && this.txn === undefined)
          this.notice('WARNING', SqlState.NO_ACTIVE_SQL_TRANSACTION, 'there is no transaction in progress');
        this.rollbackNow();
        return doneCursor('ROLLBACK');
      case 'savepoint':
      case 'release':
      case 'rollbackTo':
        return this.runSavepoint(s);
      case 'set':
        return this.runSet(s);
      case 'show': {
        const v = s.name === 'all' ? undefined : this.showValue(s.name);
        if (v === undefined) throw notSupported('SHOW ALL');
        return doneCursor('SHOW', p.columns, [[v]]);
      }
      case 'fetch':
        return this.cursors.fetch(s);
      case 'closeCursor':
        return this.cursors.close(s.name);
      case 'prepare':
        return this.prepared.prepare(s, (declared) => {
          const inner: Prepared = {
            text: p.text,
            statement: s.statement,
            paramTypes: declared,
            columns: undefined,
            executable: undefined,
            catalogVersion: -1,
          };
          this.plan(inner, declared);
          return inner;
        });
      case 'execute': {
        const planner = new Planner(this.view, [], this.engine.system, this.settings.io);
        const { prepared, values } = this.prepared.argumentsOf(s, planner, this.execContext(params));
        return this.execute(prepared, values);
      }
      case 'deallocate':
        return this.prepared.deallocate(s.name);
      case 'listen':
        return doneCursor(s.unlisten ? 'UNLISTEN' : 'LISTEN');
      case 'discard':
        if (this.explicit)
          throw new SqlError(
            SqlState.ACTIVE_SQL_TRANSACTION,
            'DISCARD ALL cannot run inside a transaction block',
          );
        this.prepared.clear();
        this.cursors.close(undefined);
        this.settingsBefore ??= this.settings.snapshot();
        this.settings.resetAll();
        return doneCursor('DISCARD ALL');
      case 'admin':
        return await this.runAdmin(s);
      case 'copy':
        throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, 'COPY is handled by the wire protocol');
      case 'explain': {
        const planner = new Planner(this.view, p.paramTypes, this.engine.system, this.settings.io);
        const lines = planStatement(planner, s.statement).explain?.() ?? [];
        return doneCursor(
          'EXPLAIN',
          p.columns,
          lines.map((l: string) => [l]),
        );
      }
      default:
        throw new SqlError(SqlState.INTERNAL_ERROR, `not a command: ${s.kind}`);
    }
  }

  /** runData runs a query or a data-modifying statement. */
  private runData(p: Prepared, params: readonly Value[]): Cursor | Promise<Cursor> {
    const s = p.statement!;
    if (
      p.executable === undefined ||
      p.catalogVersion !== this.engine.catalog.version ||
      this.view.changes.size > 0
    ) {
      const before = p.paramTypes;
      this.plan(p, before);
    }
    const exe = p.executable!;
    // A simple-protocol statement has no parameter values to give $n.
    if (params.length < p.paramTypes.length)
      throw new SqlError(SqlState.UNDEFINED_PARAMETER, `there is no parameter $${params.length + 1}`);
    if (exe.writes && this.inReadOnly)
      throw new SqlError(
        SqlState.READ_ONLY_SQL_TRANSACTION,
        `cannot execute ${statementTag(s)} in a read-only transaction`,
      );
    // An implicit transaction block (a simple query of several statements) counts; Sync's does not.
    if (exe.blockOnly !== undefined && !this.explicit && !this.implicitBlock)
      throw new SqlError(
        SqlState.NO_ACTIVE_SQL_TRANSACTION,
        `${exe.blockOnly} can only be used in transaction blocks`,
      );
    const tx = this.transaction();
    const locks = p.tableLocks;
    if (locks !== undefined && locks.length > 0) {
      if (exe.lockNoWait === true) tryTakeTableLocksNoWait(tx, locks);
      else if (!tryTakeTableLocks(tx, locks)) return this.runAfterLocks(p, params, tx);
      this.noteLocks(locks);
    }
    return this.start(p, exe, params, tx);
  }

  /**
   * runAfterLocks waits for the statement's table locks, then runs it. The catalog may have changed while
   * it waited (the holder altered or dropped the table): it is planned again, and its locks retaken, until
   * it holds the locks of the plan it runs.
   */
  private async runAfterLocks(p: Prepared, params: readonly Value[], tx: Transaction): Promise<Cursor> {
    for (;;) {
      const version = this.engine.catalog.version;
      try {
        await takeTableLocks(tx, p.tableLocks!);
        this.noteLocks(p.tableLocks!);
      } catch (err) {
        throw engineError(err);
      }
      if (this.engine.catalog.version === version) break;
      this.plan(p, p.paramTypes);
    }
    return this.start(p, p.executable!, params, tx);
  }

  /**
   * lockTableNamed takes table `name`'s lock in `mode` for a statement the wire protocol runs (COPY),
   * waiting if it must; undefined when it took it at once or there is no such table (the statement
   * reports that).
   */
  lockTableNamed(name: string, mode: TableLockMode): Promise<void> | undefined {
    const t = this.view.get(name);
    if (t === undefined) return undefined;
    const tx = this.transaction();
    const locks = [{ id: t.id, name: t.name, modes: 1 << mode }];
    if (tryTakeTableLocks(tx, locks)) {
      this.noteLocks(locks);
      return undefined;
    }
    return takeTableLocks(tx, locks).then(
      () => this.noteLocks(locks),
      (err: unknown) => {
        throw engineError(err);
      },
    );
  }

  /**
   * noteLocks records when the transaction first locked each table (the catalog's commit clock): a READ
   * COMMITTED transaction reads a snapshot taken after its locks, so DDL committed before it locked a table
   * is no clash for it (Catalog.beginCommit).
   */
  private noteLocks(locks: readonly TableLockRequest[]): void {
    if (!this.readCommitted) return;
    const now = this.engine.catalog.now();
    // Nothing committed since the transaction began: the check from its start is the same.
    if (now === this.txnClock) return;
    for (const l of locks) if (!this.lockedAt.has(l.name)) this.lockedAt.set(l.name, now);
  }

  /** start runs a planned statement whose table locks are held. */
  private start(
    p: Prepared,
    exe: Executable,
    params: readonly Value[],
    tx: Transaction,
  ): Cursor | Promise<Cursor> {
    // Open cursors keep the rows of their snapshot: read them before a write or a newer snapshot.
    if (this.cursors.size > 0 && (exe.writes || this.readCommitted)) this.cursors.materialize();
    if (this.readCommitted) tx.refreshReadSnapshot();
    const ex = new RunContext(tx, params, this.txnStart, this, this.readCommitted);
    let started: Cursor | Promise<Cursor>;
    try {
      started = exe.run(ex);
    } catch (err) {
      throw engineError(err);
    }
    if (started instanceof Promise || p.sleeps === true) return this.runToCursor(started, p, ex);
    return started;
  }

  /** runToCursor waits for a statement that started with a promise (locks, writes) or sleeps (pg_sleep). */
  private async runToCursor(
    started: Cursor | Promise<Cursor>,
    p: Prepared,
    ex: ExecContext,
  ): Promise<Cursor> {
    try {
      const cursor = await started;
      return p.sleeps === true ? await this.sleepThrough(cursor, ex) : cursor;
    } catch (err) {
      throw engineError(err);
    }
  }

  /**
   * sleepThrough runs a statement that calls pg_sleep to the end, then waits out the time its rows asked
   * for, in slices that let other connections run and check the statement timeout and cancellation.
   */
  private async sleepThrough(cursor: Cursor, ex: ExecContext): Promise<Cursor> {
    let rows;
    try {
      rows = cursor.next(0).rows;
    } finally {
      cursor.close();
    }
    const end = Date.now() + takePause(ex);
    for (let left = end - Date.now(); left > 0; left = end - Date.now()) {
      this.checkInterrupts();
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 20)));
    }
    this.checkInterrupts();
    return doneCursor(cursor.tag(), cursor.columns, rows);
  }

  private runSavepoint(s: Extract<Statement, { kind: 'savepoint' | 'release' | 'rollbackTo' }>): Cursor {
    const what =
      s.kind === 'savepoint'
        ? 'SAVEPOINT'
        : s.kind === 'release'
          ? 'RELEASE SAVEPOINT'
          : 'ROLLBACK TO SAVEPOINT';
    if (!this.explicit)
      throw new SqlError(
        SqlState.NO_ACTIVE_SQL_TRANSACTION,
        `${what} can only be used in transaction blocks`,
      );
    if (s.kind === 'savepoint') {
      const mark = this.transaction().savepoint();
      this.savepoints.push({ name: s.name, mark, changes: new Map(this.view.changes) });
      return doneCursor('SAVEPOINT');
    }
    let i = this.savepoints.length - 1;
    while (i >= 0 && this.savepoints[i]!.name !== s.name) i--;
    if (i < 0) throw new SqlError(SqlState.SAVEPOINT_EXCEPTION, `savepoint "${s.name}" does not exist`);
    const sp = this.savepoints[i]!;
    if (s.kind === 'release') {
      this.savepoints.length = i;
      if (this.savepoints.length === 0) this.txn?.releaseSavepoints();
      return doneCursor('RELEASE');
    }
    // ROLLBACK TO keeps the savepoint itself, undoes what came after it, and ends the aborted state.
    this.savepoints.length = i + 1;
    this.txn?.rollbackToSavepoint(sp.mark);
    this.view.changes.clear();
    for (const [k, v] of sp.changes) this.view.changes.set(k, v);
    this.failed = false;
    return doneCursor('ROLLBACK');
  }

  private showValue(name: string): string | undefined {
    if (name === 'transaction_isolation' || name === 'transaction isolation level')
      return this.isolation ?? this.settings.get('default_transaction_isolation');
    if (name === 'transaction_read_only') return this.inReadOnly ? 'on' : 'off';
    return this.settings.get(name);
  }

  private runSet(s: Extract<Statement, { kind: 'set' }>): Cursor {
    if (s.name === 'all') {
      this.settingsBefore ??= this.settings.snapshot();
      this.settings.resetAll();
      return doneCursor('RESET');
    }
    if (s.name === 'transaction_isolation' || s.name === 'transaction_read_only') {
      if (!this.explicit) {
        this.notice(
          'WARNING',
          SqlState.NO_ACTIVE_SQL_TRANSACTION,
          'SET TRANSACTION can only be used in transaction blocks',
        );
        return doneCursor('SET');
      }
      if (this.txn !== undefined)
        throw new SqlError(
          SqlState.ACTIVE_SQL_TRANSACTION,
          'SET TRANSACTION ISOLATION LEVEL must be called before any query',
        );
      if (s.name === 'transaction_isolation') this.isolation = s.value;
      else this.readOnly = s.value === 'on';
      return doneCursor('SET');
    }
    if (s.local && !this.explicit) {
      this.notice(
        'WARNING',
        SqlState.NO_ACTIVE_SQL_TRANSACTION,
        'SET LOCAL can only be used in transaction blocks',
      );
      return doneCursor('SET');
    }
    this.applySetting(s.name, s.value, s.local);
    return doneCursor(s.value === undefined ? 'RESET' : 'SET');
  }

  /**
   * runAdmin: COMPACT compacts the tables' key ranges (rows and index entries), or everything, and returns
   * when done; VACUUM does the same (dropping obsolete versions and deletions the engine no longer needs)
   * and then collects value-log garbage; ANALYZE is accepted (the planner keeps no statistics); CHECKPOINT
   * flushes the memtable.
   */
  private async runAdmin(s: Extract<Statement, { kind: 'admin' }>): Promise<Cursor> {
    if ((s.command === 'vacuum' || s.command === 'compact') && this.explicit)
      throw new SqlError(
        SqlState.ACTIVE_SQL_TRANSACTION,
        `${s.command.toUpperCase()} cannot run inside a transaction block`,
      );
    const tables = s.tables.map((t) => this.view.table(t.name));
    const db = this.engine.db;
    try {
      if (s.command === 'vacuum' || s.command === 'compact') {
        if (tables.length === 0) await db.compactRange();
        for (const t of tables) {
          await db.compactRange(rowPrefix(t.id), prefixEnd(rowPrefix(t.id)));
          for (const ix of t.indexes)
            await db.compactRange(indexPrefix(ix.id), prefixEnd(indexPrefix(ix.id)));
        }
        if (s.command === 'vacuum') await db.collectGarbage();
      } else if (s.command === 'checkpoint') await db.flush();
    } catch (err) {
      throw engineError(err);
    }
    return doneCursor(s.command.toUpperCase());
  }

  /** runInTransaction gives a COPY (or other protocol-driven work) the session's transaction. */
  execContext(params: readonly Value[] = []): ExecContext {
    return new RunContext(this.transaction(), params, this.txnStart, this);
  }
}

/** parseNoticesOf: the parser's notices for a statement (undefined when there are none, the usual case). */
function parseNoticesOf(text: string): string[] | undefined {
  const notices = longIdentifierNotices(text);
  return notices.length === 0 ? undefined : notices;
}

/** controlColumns: the result columns of SHOW and EXPLAIN (other session statements return no rows). */
function controlColumns(s: Statement): ColumnInfo[] | undefined {
  const text = (name: string): ColumnInfo[] => [
    { name, type: sqlType('text'), table: undefined, tableOid: 0, attnum: 0 },
  ];
  if (s.kind === 'show') return text(DISPLAY_NAMES[s.name] ?? s.name);
  if (s.kind === 'explain') return text('QUERY PLAN');
  return undefined;
}

/** statementTag names a statement as CommandComplete and error messages do. */
export function statementTag(s: Statement): string {
  switch (s.kind) {
    case 'query':
      return 'SELECT';
    case 'createTable':
      return 'CREATE TABLE';
    case 'createTableAs':
      return 'CREATE TABLE AS';
    case 'createSequence':
      return 'CREATE SEQUENCE';
    case 'createView':
      return 'CREATE VIEW';
    case 'dropView':
      return 'DROP VIEW';
    case 'alterSequence':
      return 'ALTER SEQUENCE';
    case 'dropSequence':
      return 'DROP SEQUENCE';
    case 'renameIndex':
      return 'ALTER INDEX';
    case 'dropTable':
      return 'DROP TABLE';
    case 'createIndex':
      return 'CREATE INDEX';
    case 'dropIndex':
      return 'DROP INDEX';
    case 'alterTable':
      return 'ALTER TABLE';
    case 'lock':
      return 'LOCK TABLE';
    default:
      return s.kind.toUpperCase();
  }
}

/** engineError maps an engine error to the SQLSTATE a client expects. */
export function engineError(err: unknown): unknown {
  if (err instanceof SqlError || !(err instanceof ShaleError)) return err;
  switch (err.code) {
    case ErrorCode.TXN_CONFLICT:
      return new SqlError(
        SqlState.SERIALIZATION_FAILURE,
        'could not serialize access due to concurrent update',
        { cause: err },
      );
    case ErrorCode.DEADLOCK:
      return new SqlError(SqlState.DEADLOCK_DETECTED, 'deadlock detected', { cause: err });
    case ErrorCode.LOCK_TIMEOUT:
      return new SqlError(SqlState.LOCK_NOT_AVAILABLE, 'canceling statement due to lock timeout', {
        cause: err,
      });
    case ErrorCode.TXN_TOO_LARGE:
      return new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, 'transaction is too large', { cause: err });
    default:
      return new SqlError(SqlState.INTERNAL_ERROR, err.message, { cause: err });
  }
}

export { rowsCursor };
