/**
 * Connection serves one client socket: the startup handshake, then the simple and extended query protocols
 * and COPY, one message at a time. Errors in what a client sends close only that connection (08P01); errors
 * of statements are ErrorResponses, after which the extended protocol skips to the next Sync.
 */
import type { Socket } from 'node:net';
import { SqlError, SqlState } from '../sql/errors.js';
import { charPosition } from '../sql/parse/parse.js';
import type { Session, Prepared } from '../sql/session.js';
import type { Cursor } from '../sql/exec/executable.js';
import type { SqlEngine } from '../sql/engine.js';
import { TYPE_INFO, typeByOid, sqlType, type SqlType, type Value } from '../sql/types/sql-type.js';
import { parseBinary, parseValue } from '../sql/types/text-io.js';
import { BackendWriter } from './protocol/backend-writer.js';
import { BodyReader, FrontendReader, type FrontendMessage } from './protocol/frontend-reader.js';
import * as msg from './protocol/messages.js';
import { CopyIn, copyOut } from './copy.js';
import type { Authenticator } from './auth.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 3;

/** ConnectionHost is what a connection needs from its server. */
export interface ConnectionHost {
  readonly engine: SqlEngine;
  readonly maxMessageSize: number;
  readonly statementTimeout: number;
  /** authenticator: makes a per-connection password exchange (undefined: trust). */
  readonly authenticator: (() => Authenticator) | undefined;
  /** register assigns a backend pid and secret (for CancelRequest); false when the server is full. */
  register(c: Connection): { pid: number; secret: number } | undefined;
  unregister(c: Connection): void;
  cancel(pid: number, secret: number): void;
  log(message: string): void;
}

interface Portal {
  readonly prepared: Prepared;
  readonly params: Value[];
  readonly formats: number[];
  cursor: Cursor | undefined;
}

type Phase = 'startup' | 'auth' | 'ready' | 'closed';

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
  pid = 0;
  secret = 0;
  /** cancelled: a CancelRequest arrived for the statement running now. */
  cancelled = false;
  /** busy: a statement is running (shutdown waits for it). */
  busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.reader = new FrontendReader(host.maxMessageSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
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
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.working) return;
    this.working = true;
    let release!: () => void;
    this.busy = new Promise((r) => (release = r));
    try {
      while (this.queue.length > 0 && this.phase !== 'closed') {
        const m = this.queue.shift()!;
        try {
          await this.handle(m);
        } catch (err) {
          if (err instanceof SqlError && err.severity === 'FATAL') {
            this.fatal(err);
            return;
          }
          this.fatal(
            new SqlError(
              SqlState.INTERNAL_ERROR,
              `internal error: ${(err as Error)?.message ?? String(err)}`,
              { severity: 'FATAL' },
            ),
          );
          this.host.log(`connection ${this.pid}: ${(err as Error)?.stack ?? String(err)}`);
          return;
        }
      }
      this.flush();
    } finally {
      this.working = false;
      release();
    }
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
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private async handle(m: FrontendMessage): Promise<void> {
    if (this.phase === 'startup') return this.startup(m);
    if (this.phase === 'auth') return this.authMessage(m);
    if (this.copyIn !== undefined) return this.copyMessage(m);
    if (this.ignoreUntilSync && m.type !== 'S' && m.type !== 'X') return;
    switch (m.type) {
      case 'Q':
        return this.simpleQuery(new BodyReader(m.body));
      case 'P':
        return this.guard(() => this.parseMessage(new BodyReader(m.body)));
      case 'B':
        return this.guard(() => this.bind(new BodyReader(m.body)));
      case 'D':
        return this.guard(() => this.describe(new BodyReader(m.body)));
      case 'E':
        return this.guard(() => this.execute(new BodyReader(m.body)));
      case 'C':
        return this.guard(() => this.closeMessage(new BodyReader(m.body)));
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
    if (minor > 0 || unrecognized.length > 0) msg.negotiateProtocolVersion(this.out, 0, unrecognized);
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
    for (const p of this.session!.settings.reported()) msg.parameterStatus(this.out, p.name, p.value);
    msg.backendKeyData(this.out, this.pid, this.secret);
    msg.readyForQuery(this.out, 'I');
    this.phase = 'ready';
    this.flush();
  }

  // Errors ----------------------------------------------------------------------------------------------

  private sendError(err: unknown, queryText: string | undefined): void {
    const e = toSqlError(err);
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

  private sendNotices(): void {
    const s = this.session!;
    for (const n of s.notices)
      msg.errorOrNotice(this.out, 'N', { severity: n.severity, code: n.code, message: n.message });
    s.notices = [];
    for (const p of s.changedParameters) msg.parameterStatus(this.out, p.name, p.value);
    s.changedParameters = [];
  }

  /** guard runs an extended-protocol step; an error is reported and the rest up to Sync is skipped. */
  private async guard(step: () => Promise<void> | void): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof SqlError && err.severity === 'FATAL') throw err;
      this.sendError(err, this.errorText);
      this.errorText = undefined;
      this.ignoreUntilSync = true;
      this.session!.fail();
    }
  }

  private errorText: string | undefined;

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
        const cursor = await this.run(s.fromParsed(ps), []);
        if (cursor.columns !== undefined) msg.rowDescription(this.out, cursor.columns, []);
        await this.sendRows(cursor, 0, []);
        msg.commandComplete(this.out, cursor.tag());
        this.sendNotices();
      }
      await s.finishImplicit();
    } catch (err) {
      this.sendNotices();
      this.sendError(err, text);
      s.fail();
      await s.finishImplicit().catch(() => undefined);
    }
    msg.readyForQuery(this.out, s.status);
    this.flush();
  }

  /** run executes a statement under the statement timeout. */
  private async run(p: Prepared, params: readonly Value[]): Promise<Cursor> {
    this.cancelled = false;
    return this.session!.execute(p, params);
  }

  /** sendRows sends up to max rows (0: all) as DataRows; returns whether the cursor is exhausted. */
  private async sendRows(cursor: Cursor, max: number, formats: readonly number[]): Promise<boolean> {
    const cols = cursor.columns ?? [];
    const started = Date.now();
    const timeout = this.host.statementTimeout;
    let left = max;
    for (;;) {
      const batch = cursor.next(max === 0 ? 256 : Math.min(left, 256));
      for (const row of batch.rows) msg.dataRow(this.out, cols, row, formats);
      if (max !== 0) left -= batch.rows.length;
      if (batch.done) return true;
      if (max !== 0 && left <= 0) return false;
      if (this.out.size > 256 * 1024) {
        const chunk = this.out.take();
        if (!this.socket.write(chunk)) await new Promise<void>((res) => this.socket.once('drain', res));
      }
      if (this.cancelled)
        throw new SqlError(SqlState.QUERY_CANCELED, 'canceling statement due to user request');
      if (timeout > 0 && Date.now() - started > timeout)
        throw new SqlError(SqlState.QUERY_CANCELED, 'canceling statement due to statement timeout');
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
    this.statements.set(name, p);
    msg.parseComplete(this.out);
  }

  private bind(r: BodyReader): void {
    const portalName = r.cstring();
    const stmtName = r.cstring();
    const nf = r.int16();
    const paramFormats: number[] = [];
    for (let i = 0; i < nf; i++) paramFormats.push(r.int16());
    const np = r.int16();
    const raw: (Buffer | null)[] = [];
    for (let i = 0; i < np; i++) {
      const len = r.int32();
      raw.push(len === -1 ? null : r.bytes(len));
    }
    const nr = r.int16();
    const formats: number[] = [];
    for (let i = 0; i < nr; i++) formats.push(r.int16());
    r.done();
    const p = this.statements.get(stmtName);
    if (p === undefined)
      throw new SqlError(
        SqlState.INVALID_SQL_STATEMENT_NAME,
        `prepared statement "${stmtName}" does not exist`,
      );
    if (portalName !== '' && this.portals.has(portalName))
      throw new SqlError(SqlState.DUPLICATE_CURSOR, `cursor "${portalName}" already exists`);
    if (np !== p.paramTypes.length)
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message supplies ${np} parameters, but prepared statement "${stmtName}" requires ${p.paramTypes.length}`,
      );
    if (nf > 1 && nf !== np)
      throw new SqlError(
        SqlState.PROTOCOL_VIOLATION,
        `bind message has ${nf} parameter formats but ${np} parameters`,
      );
    for (const f of [...paramFormats, ...formats])
      if (f !== 0 && f !== 1)
        throw new SqlError(SqlState.PROTOCOL_VIOLATION, `unsupported format code: ${f}`);
    const params = raw.map((b, i) => {
      if (b === null) return null;
      const t = p.paramTypes[i]!.id === 'unknown' ? sqlType('text') : p.paramTypes[i]!;
      const format = nf === 0 ? 0 : nf === 1 ? paramFormats[0]! : paramFormats[i]!;
      if (format === 1) return parseBinary(t, b);
      const text = b.toString('utf8');
      if (text.includes('\u0000'))
        throw new SqlError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
      return parseValue(t, text);
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
      if (cols !== undefined) msg.rowDescription(this.out, cols, portal.formats);
      else msg.noData(this.out);
      return;
    }
    throw new SqlError(SqlState.PROTOCOL_VIOLATION, `invalid DESCRIBE message subtype ${kind.charCodeAt(0)}`);
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
    if (portal.prepared.statement.kind === 'copy') {
      this.errorText = portal.prepared.text;
      await this.startCopy(portal.prepared, portal.prepared.text, true);
      return;
    }
    if (portal.cursor === undefined) {
      this.errorText = portal.prepared.text;
      portal.cursor = await this.run(portal.prepared, portal.params);
      this.errorText = undefined;
    }
    const done = await this.sendRows(portal.cursor, maxRows > 0 ? maxRows : 0, portal.formats);
    if (done) {
      msg.commandComplete(this.out, portal.cursor.tag());
      this.sendNotices();
      portal.cursor.close();
      // A finished portal cannot be executed again; an unnamed one is simply replaced by the next Bind.
      portal.cursor = finishedCursor;
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

  private async sync(): Promise<void> {
    this.ignoreUntilSync = false;
    const s = this.session!;
    try {
      await s.finishImplicit();
    } catch (err) {
      this.sendError(err, undefined);
    }
    if (s.status === 'I') {
      for (const p of this.portals.values()) p.cursor?.close();
      this.portals.clear();
    }
    msg.readyForQuery(this.out, s.status);
    this.flush();
  }

  // COPY ------------------------------------------------------------------------------------------------

  private async startCopy(p: Prepared, text: string, extended: boolean): Promise<void> {
    const s = p.statement!;
    if (s.kind !== 'copy') return;
    const session = this.session!;
    if (s.direction === 'to') {
      const { rows, columns, count } = copyOut(session, s);
      msg.copyResponse(this.out, 'H', columns);
      for (const line of rows) msg.copyData(this.out, line);
      msg.copyDone(this.out);
      msg.commandComplete(this.out, `COPY ${count}`);
      return;
    }
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
        msg.commandComplete(this.out, `COPY ${c.count}`);
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
        if (fromSimple) await s.finishImplicit().catch(() => undefined);
      }
      if (fromSimple) msg.readyForQuery(this.out, s.status);
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
        throw new SqlError(
          SqlState.PROTOCOL_VIOLATION,
          `unexpected message type 0x${m.type.charCodeAt(0).toString(16)} during COPY from stdin`,
          { severity: 'FATAL' },
        );
    }
  }
}

const finishedCursor: Cursor = {
  columns: undefined,
  next: () => ({ rows: [], done: true }),
  tag: () => '',
  close: () => undefined,
};

function toSqlError(err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  return new SqlError(SqlState.INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`);
}
