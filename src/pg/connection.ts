/**
 * Connection serves one client socket: the startup handshake, then the simple and extended query protocols
 * and COPY, one message at a time. Errors in what a client sends close only that connection (08P01); errors
 * of statements are ErrorResponses, after which the extended protocol skips to the next Sync.
 */
import type { Socket } from 'node:net';
import { SqlError, SqlState } from '../sql/errors.js';
import { readAscii } from '../util/bytes.js';
import { charPosition } from '../sql/parse/parse.js';
import { engineError, type Session, type Prepared } from '../sql/session.js';
import type { Cursor } from '../sql/exec/executable.js';
import type { ColumnInfo, Row } from '../sql/plan/scope.js';
import type { SqlEngine } from '../sql/engine.js';
import { TYPE_INFO, typeByOid, sqlType, type SqlType, type Value } from '../sql/types/sql-type.js';
import { parseBinary, parseValue } from '../sql/types/text-io.js';
import { BackendWriter } from './protocol/backend-writer.js';
import { BodyReader, FrontendReader, type FrontendMessage } from './protocol/frontend-reader.js';
import * as msg from './protocol/messages.js';
import { CopyIn, copyOut } from './copy.js';
import { TableLockMode } from '../sql/plan/table-locks.js';
import type { Authenticator } from './auth.js';
import type { ServerMetrics } from './server-metrics.js';

/** YIELD_INTERVAL_MS: how long a statement sends rows before it lets the event loop run. */
const YIELD_INTERVAL_MS = 10;
/** END_GRACE_MS: how long a socket the server ended may take to drain before it is destroyed. */
const END_GRACE_MS = 5000;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 3;

/** ConnectionHost is what a connection needs from its server. */
export interface ConnectionHost {
  readonly engine: SqlEngine;
  readonly maxMessageSize: number;
  readonly statementTimeout: number;
  /** authenticationTimeout: ms a client has to complete the startup and authentication (0: no limit). */
  readonly authenticationTimeout: number;
  /** authenticator: makes a per-connection password exchange (undefined: trust). */
  readonly authenticator: (() => Authenticator) | undefined;
  /** metrics: counts statements and errors (undefined: not counted). */
  readonly metrics?: ServerMetrics;
  /** register assigns a backend pid and secret (for CancelRequest); false when the server is full. */
  register(c: Connection): { pid: number; secret: number } | undefined;
  unregister(c: Connection): void;
  cancel(pid: number, secret: number): void;
  log(message: string): void;
}

interface Portal {
  readonly prepared: Prepared;
  readonly params: Value[];
  readonly formats: readonly number[];
  cursor: Cursor | undefined;
  /** done: the portal ran to completion. */
  done?: boolean;
}

type Phase = 'startup' | 'auth' | 'ready' | 'closed';

/** NO_FORMATS: the formats of a Bind that lists none, or one text format for all (shared). */
const NO_FORMATS: readonly number[] = [];

/** paramText decodes a text-format parameter; short ASCII ones (numbers, keys) by a loop, not a call into C++. */
function paramText(b: Buffer): string {
  return (b.length <= 32 ? readAscii(b, 0, b.length) : undefined) ?? b.toString('utf8');
}

/** ALL_BINARY: the formats of a Bind that lists one format, binary (shared). */
const ALL_BINARY: readonly number[] = [1];

/** readFormats reads a Bind's n format codes; one text or binary code for all is a shared array. */
function readFormats(r: BodyReader, n: number): readonly number[] {
  if (n === 1) {
    const f = r.int16();
    return f === 0 ? NO_FORMATS : f === 1 ? ALL_BINARY : [f];
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.int16());
  return out;
}

/** RowsSent: whether a portal's rows ran out, and how many DataRows an Execute sent. */
interface RowsSent {
  readonly done: boolean;
  readonly sent: number;
}

export class Connection {
  private readonly reader: FrontendReader;
  private readonly out = new BackendWriter();
  private phase: Phase = 'startup';
  private session: Session | undefined;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  private ignoreUntilSync = false;
  private copyIn: CopyIn | undefined;
  private queue: FrontendMessage[] = [];
  private working = false;
  private user = '';
  private database = '';
  /** reportedParams: the values of reported parameters as the client last heard them. */
  private readonly reportedParams = new Map<string, string>();
  /** changedParams: values set since the last ReadyForQuery (reported just before it, as PostgreSQL). */
  private readonly changedParams = new Map<string, string>();
  pid = 0;
  secret = 0;
  /** running: a statement is executing or sending its rows (a CancelRequest applies to it). */
  private running = false;
  /** idle: resolves the promise `busy` handed out, when the messages being handled are done. */
  private idle: (() => void) | undefined;
  private idlePromise: Promise<void> | undefined;

  /** busy: resolves once the statement running now (if any) is done (shutdown waits for it). */
  get busy(): Promise<void> {
    if (!this.working) return Promise.resolve();
    // Made only when asked (at shutdown), not once per batch of messages.
    this.idlePromise ??= new Promise((r) => (this.idle = r));
    return this.idlePromise;
  }

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.reader = new FrontendReader(host.maxMessageSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (host.authenticationTimeout > 0) {
      // A client that never finishes logging in does not hold its socket forever (PostgreSQL's
      // authentication_timeout; like PostgreSQL, it is closed without a message).
      setTimeout(() => {
        if (this.phase === 'startup' || this.phase === 'auth') this.close();
      }, host.authenticationTimeout).unref();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    try {
      this.reader.push(chunk);
      for (let m = this.reader.next(); m !== undefined; m = this.reader.next()) this.queue.push(m);
    } catch (err) {
      this.fatal(err);
      return;
    }
    this.drain();
  }

  /**
   * drain handles the queued messages in order, synchronously until one returns a promise (a statement
   * that waits: for a lock, a commit's fsync, a COPY); the rest is handled after it settles.
   */
  private drain(): void {
    if (this.working) return;
    this.working = true;
    let waiting = false;
    try {
      while (this.queue.length > 0 && this.phase !== 'closed') {
        const m = this.queue.shift()!;
        let pending: Promise<void> | void;
        try {
          pending = this.handle(m);
        } catch (err) {
          this.messageFailed(err);
          return;
        }
        if (pending !== undefined) {
          waiting = true;
          pending.then(this.resumeDrain, (err: unknown) => {
            this.messageFailed(err);
            this.stopWorking();
          });
          return;
        }
      }
      this.flush();
    } finally {
      if (!waiting) this.stopWorking();
    }
  }

  /** resumeDrain goes on with the queue after a message that waited. */
  private readonly resumeDrain = (): void => {
    this.working = false;
    // Still busy for shutdown: drain() ends the work (and resolves `busy`) when the queue is done.
    this.drain();
  };

  private stopWorking(): void {
    this.working = false;
    const idle = this.idle;
    this.idle = this.idlePromise = undefined;
    idle?.();
  }

  /** messageFailed: a message's handling threw; the connection ends with a FATAL error. */
  private messageFailed(err: unknown): void {
    if (err instanceof SqlError && err.severity === 'FATAL') {
      this.fatal(err);
      return;
    }
    this.fatal(
      new SqlError(SqlState.INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`, {
        severity: 'FATAL',
      }),
    );
    this.host.log(`connection ${this.pid}: ${(err as Error)?.stack ?? String(err)}`);
  }

  private flush(): void {
    if (this.out.size === 0 || this.phase === 'closed') return;
    this.socket.write(this.out.take());
  }

  /** fatal sends a FATAL error and closes the connection. */
  private fatal(err: unknown): void {
    if (this.phase === 'closed') return;
    const e =
      err instanceof SqlError
        ? err
        : new SqlError(SqlState.PROTOCOL_VIOLATION, String(err), { severity: 'FATAL' });
    msg.errorOrNotice(this.out, 'E', { severity: 'FATAL', code: e.code, message: e.message });
    this.flush();
    this.socket.end();
    this.close();
  }

  /** terminate ends the connection from the server side (shutdown): 57P01, then close. */
  terminate(): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'ready')
      msg.errorOrNotice(this.out, 'E', {
        severity: 'FATAL',
        code: SqlState.ADMIN_SHUTDOWN,
        message: 'terminating connection due to administrator command',
      });
    this.flush();
    this.socket.end();
    this.close();
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    for (const p of this.portals.values()) p.cursor?.close();
    this.portals.clear();
    this.session?.close();
    this.host.unregister(this);
    if (this.socket.writableEnded) {
      // Ended by the server (FATAL, shutdown, Terminate): let what was written reach the client, but do not
      // wait forever on a client that does not read.
      setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
    } else if (!this.socket.destroyed) this.socket.destroy();
  }

  /** messageStart: when the message being handled began (statement latency). */
  private messageStart = 0;

  private handle(m: FrontendMessage): Promise<void> | void {
    this.messageStart = performance.now();
    if (this.phase === 'startup') return this.startup(m);
    if (this.phase === 'auth') return this.authMessage(m);
    if (this.copyIn !== undefined) return this.copyMessage(m);
    if (this.ignoreUntilSync && m.type !== 'S' && m.type !== 'X') return;
    switch (m.type) {
      case 'Q':
        return this.simpleQuery(new BodyReader(m.body));
      case 'P':
      case 'B':
      case 'D':
      case 'E':
      case 'C':
        return this.extendedStep(m.type, new BodyReader(m.body));
      case 'S':
        return this.sync();
      case 'H':
        this.flush();
        return;
      case 'X':
        this.socket.end();
        this.close();
        return;
      case 'd':
      case 'c':
      case 'f':
        // COPY messages outside COPY are ignored, as PostgreSQL does.
        return;
      default:
        throw new SqlError(
          SqlState.PROTOCOL_VIOLATION,
          `invalid frontend message type ${m.type.charCodeAt(0)}`,
          { severity: 'FATAL' },
        );
    }
  }

  // Startup ---------------------------------------------------------------------------------------------

  private startup(m: FrontendMessage): void {
    const r = new BodyReader(m.body);
    const code = r.int32();
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write('N');
      this.reader.expectStartup();
      return;
    }
    if (code === CANCEL_REQUEST) {
      const pid = r.int32();
      const secret = r.int32();
      this.host.cancel(pid, secret);
      this.socket.end();
      this.close();
      return;
    }
    const major = code >>> 16;
    const minor = code & 0xffff;
    if (major !== PROTOCOL_3)
      throw new SqlError(
        SqlState.FEATURE_NOT_SUPPORTED,
        `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`,
        { severity: 'FATAL' },
      );
    const params = new Map<string, string>();
    while (r.remaining > 1) {
      const k = r.cstring();
      params.set(k, r.cstring());
    }
    this.user = params.get('user') ?? '';
    if (this.user === '')
      throw new SqlError(
        SqlState.INVALID_AUTHORIZATION,
        'no PostgreSQL user name specified in startup packet',
        { severity: 'FATAL' },
      );
    this.database = params.get('database') ?? this.user;
    const unrecognized = [...params.keys()].filter((k) => k.startsWith('_pq_.'));
    // The newest version the server supports for the requested major version (3.0), as PostgreSQL sends it.
    if (minor > 0 || unrecognized.length > 0)
      msg.negotiateProtocolVersion(this.out, (PROTOCOL_3 << 16) | 0, unrecognized);
    const reg = this.host.register(this);
    if (reg === undefined)
      throw new SqlError(SqlState.TOO_MANY_CONNECTIONS, 'sorry, too many clients already', {
        severity: 'FATAL',
      });
    this.pid = reg.pid;
    this.secret = reg.secret;
    this.session = this.host.engine.session({ user: this.user, database: this.database, pid: this.pid });
    for (const [k, v] of params) {
      if (k === 'user' || k === 'database' || k === 'replication' || k.startsWith('_pq_.')) continue;
      if (k === 'options') continue;
      try {
        this.session.settings.set(k, v);
      } catch (err) {
        throw new SqlError(
          err instanceof SqlError ? err.code : SqlState.PROTOCOL_VIOLATION,
          (err as Error).message,
          { severity: 'FATAL' },
        );
      }
    }
    if (this.host.authenticator !== undefined) {
      this.phase = 'auth';
      this.auth = this.host.authenticator();
      this.auth.start(this.out, this.user);
      this.flush();
      return;
    }
    this.ready();
  }

  private authMessage(m: FrontendMessage): void {
    if (m.type !== 'p')
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `expected password response, got message type ${m.type.charCodeAt(0)}`,
        { severity: 'FATAL' },
      );
    const done = this.auth!.step(this.out, m.body);
    if (done) this.ready();
    else this.flush();
  }

  private ready(): void {
    msg.authenticationOk(this.out);
    for (const p of this.session!.settings.reported()) {
      msg.parameterStatus(this.out, p.name, p.value);
      this.reportedParams.set(p.name, p.value);
    }
    msg.backendKeyData(this.out, this.pid, this.secret);
    msg.readyForQuery(this.out, 'I');
    this.phase = 'ready';
    this.flush();
  }

  // Errors ----------------------------------------------------------------------------------------------

  /** completed sends CommandComplete and counts the statement (its latency from its message's arrival). */
  private completed(tag: string): void {
    msg.commandComplete(this.out, tag);
    this.host.metrics?.statement(tag, (performance.now() - this.messageStart) * 1000);
  }

  private sendError(err: unknown, queryText: string | undefined): void {
    const e = toSqlError(err);
    this.host.metrics?.error(e.code);
    if (!(err instanceof SqlError))
      this.host.log(`connection ${this.pid}: ${(err as Error)?.stack ?? String(err)}`);
    const position =
      e.position !== undefined && queryText !== undefined ? charPosition(queryText, e.position) : undefined;
    msg.errorOrNotice(this.out, 'E', {
      severity: 'ERROR',
      code: e.code,
      message: e.message,
      detail: e.detail,
      hint: e.hint,
      position,
    });
  }

  /** sendNotices sends the notices of the statement that just ran (before its CommandComplete). */
  private sendNotices(): void {
    const s = this.session!;
    // Most statements have neither: no new arrays for them.
    if (s.notices.length > 0) {
      for (const n of s.notices)
        msg.errorOrNotice(this.out, 'N', { severity: n.severity, code: n.code, message: n.message });
      s.notices = [];
    }
    this.takeChangedParameters(s);
  }

  private takeChangedParameters(s: Session): void {
    if (s.changedParameters.length === 0) return;
    for (const p of s.changedParameters) this.changedParams.set(p.name, p.value);
    s.changedParameters = [];
  }

  /** readyForQuery reports the parameters whose values changed, then sends ReadyForQuery. */
  private readyForQuery(): void {
    const s = this.session!;
    this.takeChangedParameters(s);
    if (this.changedParams.size > 0) {
      for (const [name, value] of this.changedParams) {
        if (this.reportedParams.get(name) === value) continue;
        msg.parameterStatus(this.out, name, value);
        this.reportedParams.set(name, value);
      }
      this.changedParams.clear();
    }
    msg.readyForQuery(this.out, s.status);
  }

  /**
   * extendedStep runs an extended-protocol message (Parse, Bind, Describe, Execute, Close); an error is
   * reported and the rest up to Sync is skipped.
   */
  private extendedStep(type: string, r: BodyReader): Promise<void> | void {
    try {
      const pending =
        type === 'B'
          ? this.bind(r)
          : type === 'E'
            ? this.execute(r)
            : type === 'D'
              ? this.describe(r)
              : type === 'P'
                ? this.parseMessage(r)
                : this.closeMessage(r);
      if (pending !== undefined) return pending.catch(this.stepFailed);
    } catch (err) {
      this.stepFailed(err);
    }
  }

  private readonly stepFailed = (err: unknown): void => {
    if (err instanceof SqlError && err.severity === 'FATAL') throw err;
    this.sendError(err, this.errorText);
    this.errorText = undefined;
    this.ignoreUntilSync = true;
    this.session!.fail();
  };

  private errorText: string | undefined;

  /** refuseIfAborted: 25P02 in an aborted transaction (Parse and Bind refuse other statements early). */
  private refuseIfAborted(): void {
    if (this.session!.status === 'E')
      throw new SqlError(
        SqlState.IN_FAILED_SQL_TRANSACTION,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
  }

  // Simple query ----------------------------------------------------------------------------------------

  private async simpleQuery(r: BodyReader): Promise<void> {
    const text = r.cstring();
    const s = this.session!;
    try {
      const statements = s.parseSimple(text);
      if (statements.length === 0) msg.emptyQueryResponse(this.out);
      for (const ps of statements) {
        if (ps.statement.kind === 'copy') {
          await this.startCopy(s.fromParsed(ps), text, false);
          if (this.copyIn !== undefined) return; // ReadyForQuery comes after CopyDone.
          continue;
        }
        await this.statement(async () => {
          const cursor = await this.run(s.fromParsed(ps), []);
          this.sendNotices();
          if (cursor.columns !== undefined) msg.rowDescription(this.out, cursor.columns, []);
          try {
            await this.sendRows(cursor, 0, []);
          } finally {
            cursor.close();
          }
          this.completed(cursor.tag());
        });
      }
      await s.finishImplicit();
    } catch (err) {
      this.sendNotices();
      this.sendError(err, text);
      s.fail();
      await s.finishImplicit()?.catch(() => undefined);
    }
    this.readyForQuery();
    this.flush();
  }

  /** cancel is a CancelRequest for this connection: the running statement, if any, fails with 57014. */
  cancel(): void {
    if (this.running && this.session !== undefined) this.session.interrupt();
  }

  /**
   * statement runs one statement (or one Execute) under the statement timeout and cancellation: the session's
   * row loops check the deadline and the cancel flag (Session.tick), and sendRows yields to the event loop
   * between batches so that a CancelRequest on another socket can arrive. A statement that computes for long
   * without producing rows (a big aggregate) only yields when it ends, so a CancelRequest reaches it only
   * then; the statement timeout still stops it.
   */
  private async statement<T>(body: () => Promise<T>): Promise<T> {
    const s = this.startStatement();
    try {
      return await body();
    } finally {
      this.endStatement(s);
    }
  }

  /** startStatement arms the statement timeout and clears a stale cancel (see statement()). */
  private startStatement(): Session {
    const s = this.session!;
    const timeout = s.statementTimeout() || this.host.statementTimeout;
    s.deadline = timeout > 0 ? Date.now() + timeout : 0;
    s.cancelRequested = false;
    // Row loops check the deadline as they go; a statement waiting for a lock is woken by this timer.
    if (timeout > 0) this.timeoutTimer = setTimeout(() => s.interrupt(true), timeout);
    this.running = true;
    return s;
  }

  private endStatement(s: Session): void {
    this.running = false;
    s.deadline = 0;
    s.cancelRequested = false;
    if (this.timeoutTimer !== undefined) {
      clearTimeout(this.timeoutTimer);
      this.timeoutTimer = undefined;
    }
  }

  /** timeoutTimer: the running statement's statement_timeout timer (set only when there is a timeout). */
  private timeoutTimer: ReturnType<typeof setTimeout> | undefined;

  private run(p: Prepared, params: readonly Value[]): Cursor | Promise<Cursor> {
    return this.session!.execute(p, params);
  }

  /**
   * sendRows sends up to max rows (0: all) as DataRows; returns whether the cursor is exhausted and how many
   * rows were sent.
   */
  private sendRows(cursor: Cursor, max: number, formats: readonly number[]): RowsSent | Promise<RowsSent> {
    // The first batch without a promise: most results fit in it.
    const cols = cursor.columns ?? [];
    const batch = cursor.next(max === 0 ? 256 : Math.min(max, 256));
    const io = this.session!.io;
    for (const row of batch.rows) msg.dataRow(this.out, cols, row, formats, io);
    const sent = batch.rows.length;
    if (batch.done) return { done: true, sent };
    if (max !== 0 && max - sent <= 0) return { done: false, sent };
    return this.sendMoreRows(cursor, max === 0 ? 0 : max - sent, formats, sent);
  }

  /** sendMoreRows goes on where sendRows' first batch ended (`sent` rows so far, `max` more at most, 0: all). */
  private async sendMoreRows(
    cursor: Cursor,
    max: number,
    formats: readonly number[],
    sentBefore: number,
  ): Promise<RowsSent> {
    const cols = cursor.columns ?? [];
    const session = this.session!;
    let yielded = Date.now();
    let left = max;
    let sent = sentBefore;
    for (;;) {
      if (this.out.size > 256 * 1024) {
        const chunk = this.out.take();
        if (!this.socket.write(chunk)) await new Promise<void>((res) => this.socket.once('drain', res));
      }
      if (Date.now() - yielded >= YIELD_INTERVAL_MS) {
        // Let other connections (and CancelRequests) in.
        await new Promise<void>((res) => setImmediate(res));
        yielded = Date.now();
        if (this.phase === 'closed') throw new SqlError(SqlState.QUERY_CANCELED, 'connection closed');
      }
      session.checkInterrupts();
      const batch = cursor.next(max === 0 ? 256 : Math.min(left, 256));
      for (const row of batch.rows) msg.dataRow(this.out, cols, row, formats, session.io);
      sent += batch.rows.length;
      if (max !== 0) left -= batch.rows.length;
      if (batch.done) return { done: true, sent };
      if (max !== 0 && left <= 0) return { done: false, sent };
    }
  }

  // Extended query --------------------------------------------------------------------------------------

  private parseMessage(r: BodyReader): void {
    const name = r.cstring();
    const text = r.cstring();
    const n = r.int16();
    const types: (SqlType | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      const oid = r.int32();
      if (oid === 0) types.push(undefined);
      else {
        const id = typeByOid(oid);
        if (id === undefined)
          throw new SqlError(SqlState.UNDEFINED_OBJECT, `type with OID ${oid} does not exist`);
        types.push(id === 'unknown' ? undefined : sqlType(id));
      }
    }
    r.done();
    if (name !== '' && this.statements.has(name))
      throw new SqlError(
        SqlState.DUPLICATE_PREPARED_STATEMENT,
        `prepared statement "${name}" already exists`,
      );
    this.errorText = text;
    const p = this.session!.prepare(text, types);
    this.errorText = undefined;
    if (p.statement !== undefined && !isTransactionExit(p)) this.refuseIfAborted();
    this.statements.set(name, p);
    msg.parseComplete(this.out);
  }

  private bind(r: BodyReader): void {
    const portalName = r.cstring();
    const stmtName = r.cstring();
    const nf = r.int16();
    const paramFormats = readFormats(r, nf);
    const np = r.int16();
    const raw: (Buffer | null)[] = [];
    for (let i = 0; i < np; i++) {
      const len = r.int32();
      raw.push(len === -1 ? null : r.bytes(len));
    }
    const nr = r.int16();
    const formats = readFormats(r, nr);
    r.done();
    const p = this.statements.get(stmtName);
    if (p === undefined)
      throw new SqlError(
        SqlState.INVALID_SQL_STATEMENT_NAME,
        `prepared statement "${stmtName}" does not exist`,
      );
    if (nf > 1 && nf !== np)
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message has ${nf} parameter formats but ${np} parameters`,
      );
    if (np !== p.paramTypes.length)
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${np} parameters, but prepared statement "${stmtName}" requires ${p.paramTypes.length}`,
      );
    if (!isTransactionExit(p) || np !== 0) this.refuseIfAborted();
    if (portalName !== '' && this.portals.has(portalName))
      throw new SqlError(SqlState.DUPLICATE_CURSOR, `cursor "${portalName}" already exists`);
    if (nr > 1 && p.columns !== undefined && nr !== p.columns.length)
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message has ${nr} result formats but query has ${p.columns.length} columns`,
      );
    const params = raw.map((b, i) => {
      const format = msg.formatOf(paramFormats, i);
      if (format !== 0 && format !== 1)
        throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unsupported format code: ${format}`);
      if (b === null) return null;
      const t = p.paramTypes[i]!.id === 'unknown' ? sqlType('text') : p.paramTypes[i]!;
      if (format === 1) {
        try {
          return parseBinary(t, b);
        } catch (err) {
          if (err instanceof SqlError && err.code === SqlState.INVALID_BINARY_REPRESENTATION)
            throw new SqlError(err.code, `incorrect binary data format in bind parameter ${i + 1}`);
          throw err;
        }
      }
      const text = paramText(b);
      if (text.includes('\u0000'))
        throw new SqlError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
      return parseValue(t, text, this.session!.io);
    });
    const old = this.portals.get(portalName);
    old?.cursor?.close();
    this.portals.set(portalName, { prepared: p, params, formats, cursor: undefined });
    msg.bindComplete(this.out);
  }

  private describe(r: BodyReader): void {
    const kind = String.fromCharCode(r.byte());
    const name = r.cstring();
    r.done();
    if (kind === 'S') {
      const p = this.statements.get(name);
      if (p === undefined)
        throw new SqlError(
          SqlState.INVALID_SQL_STATEMENT_NAME,
          `prepared statement "${name}" does not exist`,
        );
      if (p.columns !== undefined) this.refuseIfAborted();
      msg.parameterDescription(
        this.out,
        p.paramTypes.map((t) => TYPE_INFO[t.id === 'unknown' ? 'text' : t.id].oid),
      );
      if (p.columns !== undefined) msg.rowDescription(this.out, p.columns, []);
      else msg.noData(this.out);
      return;
    }
    if (kind === 'P') {
      const portal = this.portals.get(name);
      if (portal === undefined)
        throw new SqlError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
      const cols = portal.prepared.columns;
      if (cols !== undefined) this.refuseIfAborted();
      if (cols !== undefined) this.rowDescription(cols, portal.formats);
      else msg.noData(this.out);
      return;
    }
    throw new SqlError(SqlState.PROTOCOL_VIOLATION, `invalid DESCRIBE message subtype ${kind.charCodeAt(0)}`);
  }

  /**
   * rowDescriptions: the RowDescription last sent for a statement's columns (a statement replanned gets new
   * ones), with its result formats; clients describe their prepared statement's portal on every execution.
   */
  private readonly rowDescriptions = new WeakMap<readonly ColumnInfo[], { formats: string; bytes: Buffer }>();

  private rowDescription(cols: readonly ColumnInfo[], formats: readonly number[]): void {
    const key = formats.length === 0 ? '' : formats.length === 1 ? String(formats[0]) : formats.join(',');
    const hit = this.rowDescriptions.get(cols);
    if (hit !== undefined && hit.formats === key) {
      this.out.bytes(hit.bytes);
      return;
    }
    const start = this.out.size;
    msg.rowDescription(this.out, cols, formats);
    this.rowDescriptions.set(cols, { formats: key, bytes: this.out.copyFrom(start) });
  }

  private async execute(r: BodyReader): Promise<void> {
    const name = r.cstring();
    const maxRows = r.int32();
    r.done();
    const portal = this.portals.get(name);
    if (portal === undefined)
      throw new SqlError(SqlState.INVALID_CURSOR_NAME, `portal "${name}" does not exist`);
    if (portal.prepared.statement === undefined) {
      msg.emptyQueryResponse(this.out);
      return;
    }
    if (portal.done === true && portal.cursor?.columns === undefined)
      throw new SqlError('55000', `portal "${name}" cannot be run`);
    if (portal.prepared.columns !== undefined)
      for (const f of portal.formats)
        if (f !== 0 && f !== 1)
          throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unsupported format code: ${f}`);
    if (portal.prepared.statement.kind === 'copy') {
      this.errorText = portal.prepared.text;
      await this.startCopy(portal.prepared, portal.prepared.text, true);
      return;
    }
    // statement(), inlined: one closure and two promises less per Execute.
    const s = this.startStatement();
    let done: boolean;
    let sent: number;
    try {
      if (portal.cursor === undefined) {
        this.errorText = portal.prepared.text;
        const started = this.run(portal.prepared, portal.params);
        portal.cursor = started instanceof Promise ? await started : started;
        this.errorText = undefined;
      }
      this.sendNotices();
      const result = this.sendRows(portal.cursor, maxRows > 0 ? maxRows : 0, portal.formats);
      ({ done, sent } = result instanceof Promise ? await result : result);
    } finally {
      this.endStatement(s);
    }
    if (portal.cursor === undefined) return;
    if (done) {
      // A SELECT's tag counts the rows of this Execute, as PostgreSQL's (a resumed portal's last batch).
      const full = portal.cursor.tag();
      const tag = portal.cursor.columns !== undefined && full.startsWith('SELECT ') ? `SELECT ${sent}` : full;
      this.completed(tag);
      portal.cursor.close();
      // Executing a finished portal again returns no more rows (and is refused when it returns none).
      portal.cursor = new FinishedCursor(portal.cursor.columns, full);
      portal.done = true;
    } else msg.portalSuspended(this.out);
  }

  private closeMessage(r: BodyReader): void {
    const kind = String.fromCharCode(r.byte());
    const name = r.cstring();
    r.done();
    if (kind === 'S') this.statements.delete(name);
    else if (kind === 'P') {
      this.portals.get(name)?.cursor?.close();
      this.portals.delete(name);
    } else
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, `invalid CLOSE message subtype ${kind.charCodeAt(0)}`);
    msg.closeComplete(this.out);
  }

  private sync(): Promise<void> | void {
    this.ignoreUntilSync = false;
    let pending: Promise<void> | undefined;
    try {
      pending = this.session!.finishImplicit();
    } catch (err) {
      this.sendError(err, undefined);
    }
    if (pending === undefined) return this.synced();
    return pending.then(this.synced, (err: unknown) => {
      this.sendError(err, undefined);
      this.synced();
    });
  }

  /** synced ends a Sync: portals end with their transaction, then ReadyForQuery goes out. */
  private readonly synced = (): void => {
    const s = this.session!;
    if (s.status === 'I' && this.portals.size > 0) {
      for (const p of this.portals.values()) p.cursor?.close();
      this.portals.clear();
    }
    this.readyForQuery();
    this.flush();
  };

  // COPY ------------------------------------------------------------------------------------------------

  private async startCopy(p: Prepared, text: string, extended: boolean): Promise<void> {
    const s = p.statement!;
    if (s.kind !== 'copy') return;
    const session = this.session!;
    if (s.direction === 'to') {
      this.refuseIfAborted();
      if (s.query === undefined) await session.lockTableNamed(s.table.name, TableLockMode.ACCESS_SHARE);
      const { rows, columns, count } = copyOut(session, s);
      msg.copyResponse(this.out, 'H', columns);
      for (const line of rows) msg.copyData(this.out, line);
      msg.copyDone(this.out);
      this.completed(`COPY ${count}`);
      return;
    }
    this.refuseIfAborted();
    // A table this transaction created or truncated is held exclusively: its rows are copied without row locks.
    await session.lockTableNamed(s.table.name, TableLockMode.ROW_EXCLUSIVE);
    this.copyIn = new CopyIn(session, s, extended);
    this.copyText = text;
    msg.copyResponse(this.out, 'G', this.copyIn.columnCount);
    this.flush();
  }

  private copyText = '';
  private auth: Authenticator | undefined;

  private async copyMessage(m: FrontendMessage): Promise<void> {
    const c = this.copyIn!;
    const s = this.session!;
    const endCopy = async (err: unknown): Promise<void> => {
      this.copyIn = undefined;
      const fromSimple = !this.ignoreUntilSync && !c.extended;
      if (err === undefined) {
        this.completed(`COPY ${c.count}`);
        if (fromSimple) {
          try {
            await s.finishImplicit();
          } catch (e) {
            this.sendError(e, this.copyText);
          }
        }
      } else {
        this.sendError(err, this.copyText);
        s.fail();
        if (fromSimple) await s.finishImplicit()?.catch(() => undefined);
      }
      if (fromSimple) this.readyForQuery();
      this.flush();
    };
    switch (m.type) {
      case 'd':
        try {
          c.data(m.body);
        } catch (err) {
          c.failed = err;
        }
        return;
      case 'c':
        if (c.failed === undefined) {
          try {
            c.finish();
          } catch (err) {
            c.failed = err;
          }
        }
        return endCopy(c.failed);
      case 'f':
        return endCopy(new SqlError('57014', `COPY from stdin failed: ${new BodyReader(m.body).cstring()}`));
      case 'H':
      case 'S':
        return;
      default:
        // As PostgreSQL: the COPY fails, and since the client is not following the protocol, so does the
        // connection.
        msg.errorOrNotice(this.out, 'E', {
          severity: 'ERROR',
          code: SqlState.PROTOCOL_VIOLATION,
          message: `unexpected message type 0x${m.type.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')} during COPY from stdin`,
        });
        throw new SqlError(
          SqlState.PROTOCOL_VIOLATION,
          'terminating connection because protocol synchronization was lost',
          { severity: 'FATAL' },
        );
    }
  }
}

/** FinishedCursor stands for a portal that ran to completion: no more rows, its tag kept. */
class FinishedCursor implements Cursor {
  constructor(
    readonly columns: Cursor['columns'],
    private readonly fullTag: string,
  ) {}
  next(): { rows: Row[]; done: boolean } {
    return { rows: [], done: true };
  }
  tag(): string {
    return this.fullTag;
  }
  close(): void {}
}

/** isTransactionExit: COMMIT, ROLLBACK and ROLLBACK TO, which an aborted transaction still accepts. */
function isTransactionExit(p: Prepared): boolean {
  const k = p.statement?.kind;
  return k === 'commit' || k === 'rollback' || k === 'rollbackTo';
}

function toSqlError(err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  // Engine errors with a SQLSTATE of their own (a transaction over its size limit in COPY, ...).
  const mapped = engineError(err);
  if (mapped instanceof SqlError) return mapped;
  return new SqlError(SqlState.INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`);
}
