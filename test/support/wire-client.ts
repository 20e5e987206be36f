/**
 * A raw PostgreSQL protocol v3 client for wire-level tests: it encodes frontend messages from plain JSON
 * descriptions (the pgtest files' `send` lines), and decodes backend messages into plain JSON (the lines
 * they expect), in the spirit of pgproto3's JSON forms. Nothing is interpreted: what the server sends is
 * what the test sees.
 */
import { connect, type Socket } from 'node:net';

/** WireMessage is a decoded backend message: `Type` plus its fields. */
export type WireMessage = { readonly Type: string } & Record<string, unknown>;

// Frontend encoding ----------------------------------------------------------------------------------------

class Encoder {
  private parts: Buffer[] = [];

  int8(n: number): this {
    this.parts.push(Buffer.from([n & 0xff]));
    return this;
  }
  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n | 0);
    this.parts.push(b);
    return this;
  }
  cstring(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  /** message frames the body written so far behind a type byte (none for '') and a length. */
  message(type: string): Buffer {
    const body = Buffer.concat(this.parts);
    const head = Buffer.alloc(type === '' ? 4 : 5);
    if (type !== '') head[0] = type.charCodeAt(0);
    head.writeInt32BE(body.length + 4, type === '' ? 0 : 1);
    return Buffer.concat([head, body]);
  }
}

/** ParamValue is a Bind parameter in JSON: {"text": "..."}, {"binary": "hex"}, or null. */
type ParamValue = { text?: string; binary?: string } | null;

function paramBytes(p: ParamValue): Buffer | null {
  if (p === null) return null;
  if (p.text !== undefined) return Buffer.from(p.text, 'utf8');
  if (p.binary !== undefined) return Buffer.from(p.binary, 'hex');
  throw new Error(`bad parameter ${JSON.stringify(p)}`);
}

/** encodeFrontend encodes one message given by name and JSON fields (pgproto3's field names). */
export function encodeFrontend(name: string, f: Record<string, unknown> = {}): Buffer {
  const e = new Encoder();
  const str = (k: string): string => (f[k] as string | undefined) ?? '';
  const nums = (k: string): number[] => (f[k] as number[] | undefined) ?? [];
  switch (name) {
    case 'Query':
      return e.cstring(str('String')).message('Q');
    case 'Parse': {
      e.cstring(str('Name')).cstring(str('Query'));
      const oids = nums('ParameterOIDs');
      e.int16(oids.length);
      for (const o of oids) e.int32(o);
      return e.message('P');
    }
    case 'Bind': {
      e.cstring(str('DestinationPortal')).cstring(str('PreparedStatement'));
      const pf = nums('ParameterFormatCodes');
      e.int16(pf.length);
      for (const x of pf) e.int16(x);
      const params = (f.Parameters as ParamValue[] | undefined) ?? [];
      e.int16(params.length);
      for (const p of params) {
        const b = paramBytes(p);
        if (b === null) e.int32(-1);
        else e.int32(b.length).bytes(b);
      }
      const rf = nums('ResultFormatCodes');
      e.int16(rf.length);
      for (const x of rf) e.int16(x);
      return e.message('B');
    }
    case 'Describe':
      return e.int8(str('ObjectType').charCodeAt(0)).cstring(str('Name')).message('D');
    case 'Close':
      return e.int8(str('ObjectType').charCodeAt(0)).cstring(str('Name')).message('C');
    case 'Execute':
      return e
        .cstring(str('Portal'))
        .int32((f.MaxRows as number | undefined) ?? 0)
        .message('E');
    case 'Sync':
      return e.message('S');
    case 'Flush':
      return e.message('H');
    case 'Terminate':
      return e.message('X');
    case 'CopyData':
      return e.bytes(Buffer.from(str('Data'), 'utf8')).message('d');
    case 'CopyDone':
      return e.message('c');
    case 'CopyFail':
      return e.cstring(str('Message')).message('f');
    case 'Raw':
      // Raw bytes, given in hex: for malformed messages.
      return Buffer.from(str('Hex'), 'hex');
    default:
      throw new Error(`unknown frontend message ${name}`);
  }
}

/** cancelRequest: the 16-byte packet that asks the server to cancel a connection's running statement. */
export async function sendCancelRequest(
  host: string,
  port: number,
  pid: number,
  secret: number,
): Promise<void> {
  const b = Buffer.alloc(16);
  b.writeInt32BE(16, 0);
  b.writeInt32BE(80877102, 4);
  b.writeInt32BE(pid, 8);
  b.writeInt32BE(secret, 12);
  await new Promise<void>((resolve, reject) => {
    const s = connect(port, host, () => s.end(b));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

/** startupMessage: protocol 3.0 and the given parameters. */
export function startupMessage(params: Record<string, string>): Buffer {
  const e = new Encoder().int32(196608);
  for (const [k, v] of Object.entries(params)) e.cstring(k).cstring(v);
  return e.int8(0).message('');
}

// Backend decoding -----------------------------------------------------------------------------------------

class Cursor {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  int8(): number {
    return this.b[this.pos++]!;
  }
  int16(): number {
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  get rest(): Buffer {
    return this.b.subarray(this.pos);
  }
}

/** printable: shown as text when the bytes are UTF-8 without control characters (else hex). */
function valueJson(b: Buffer): { text: string } | { binary: string } {
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (Buffer.from(s, 'utf8').equals(b) && !/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(s))
    return { text: s };
  return { binary: b.toString('hex') };
}

const ERROR_FIELDS: Record<string, string> = {
  V: 'Severity',
  C: 'Code',
  M: 'Message',
  D: 'Detail',
  H: 'Hint',
  P: 'Position',
};

/** decodeBackend decodes one backend message (type and body). */
export function decodeBackend(type: string, body: Buffer): WireMessage {
  const c = new Cursor(body);
  switch (type) {
    case 'R': {
      const code = c.int32();
      const names: Record<number, string> = {
        0: 'AuthenticationOk',
        3: 'AuthenticationCleartextPassword',
        5: 'AuthenticationMD5Password',
        10: 'AuthenticationSASL',
        11: 'AuthenticationSASLContinue',
        12: 'AuthenticationSASLFinal',
      };
      return { Type: names[code] ?? `Authentication${code}` };
    }
    case 'S':
      return { Type: 'ParameterStatus', Name: c.cstring(), Value: c.cstring() };
    case 'K':
      return { Type: 'BackendKeyData', ProcessID: c.int32(), SecretKey: c.int32() };
    case 'Z':
      return { Type: 'ReadyForQuery', TxStatus: String.fromCharCode(c.int8()) };
    case 'T': {
      const n = c.int16();
      const fields = [];
      for (let i = 0; i < n; i++) {
        const name = c.cstring();
        c.int32(); // table OID: differs between servers
        fields.push({
          Name: name,
          TableAttributeNumber: c.int16(),
          DataTypeOID: c.int32(),
          DataTypeSize: c.int16(),
          TypeModifier: c.int32(),
          Format: c.int16(),
        });
      }
      return { Type: 'RowDescription', Fields: fields };
    }
    case 'D': {
      const n = c.int16();
      const values = [];
      for (let i = 0; i < n; i++) {
        const len = c.int32();
        values.push(len === -1 ? null : valueJson(c.bytes(len)));
      }
      return { Type: 'DataRow', Values: values };
    }
    case 'C':
      return { Type: 'CommandComplete', CommandTag: c.cstring() };
    case 'I':
      return { Type: 'EmptyQueryResponse' };
    case 'E':
    case 'N': {
      const m: Record<string, unknown> = { Type: type === 'E' ? 'ErrorResponse' : 'NoticeResponse' };
      for (let f = c.int8(); f !== 0 && f !== undefined; f = c.int8()) {
        const v = c.cstring();
        const k = ERROR_FIELDS[String.fromCharCode(f)];
        if (k !== undefined) m[k] = k === 'Position' ? Number(v) : v;
      }
      return m as WireMessage;
    }
    case '1':
      return { Type: 'ParseComplete' };
    case '2':
      return { Type: 'BindComplete' };
    case '3':
      return { Type: 'CloseComplete' };
    case 'n':
      return { Type: 'NoData' };
    case 's':
      return { Type: 'PortalSuspended' };
    case 't': {
      const n = c.int16();
      const oids = [];
      for (let i = 0; i < n; i++) oids.push(c.int32());
      return { Type: 'ParameterDescription', ParameterOIDs: oids };
    }
    case 'G':
    case 'H': {
      const overall = c.int8();
      const n = c.int16();
      const formats = [];
      for (let i = 0; i < n; i++) formats.push(c.int16());
      return {
        Type: type === 'G' ? 'CopyInResponse' : 'CopyOutResponse',
        OverallFormat: overall,
        ColumnFormatCodes: formats,
      };
    }
    case 'd':
      return { Type: 'CopyData', Data: c.rest.toString('utf8') };
    case 'c':
      return { Type: 'CopyDone' };
    case 'v':
      return {
        Type: 'NegotiateProtocolVersion',
        NewestProtocol: c.int32(),
        Unrecognized: Array.from({ length: c.int32() }, () => c.cstring()),
      };
    default:
      return { Type: `Unknown(${type})`, Hex: body.toString('hex') };
  }
}

/** WireClient is a connected socket that sends raw messages and hands back decoded backend messages. */
export class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: WireMessage[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      while (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length < len + 1) break;
        const type = String.fromCharCode(this.buf[0]!);
        this.queue.push(decodeBackend(type, this.buf.subarray(5, len + 1)));
        this.buf = this.buf.subarray(len + 1);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** connect opens a socket and completes the startup (trust authentication) up to ReadyForQuery. */
  static async connect(host: string, port: number, params: Record<string, string>): Promise<WireClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, host, () => resolve(s));
      s.once('error', reject);
    });
    socket.setNoDelay(true);
    const c = new WireClient(socket);
    c.write(startupMessage(params));
    for (;;) {
      const m = await c.receive(10_000);
      if (m.Type === 'ErrorResponse') throw new Error(`startup failed: ${JSON.stringify(m)}`);
      if (m.Type === 'BackendKeyData') c.key = { pid: m.ProcessID as number, secret: m.SecretKey as number };
      if (m.Type === 'ReadyForQuery') return c;
    }
  }

  /** key: the BackendKeyData of this connection (for CancelRequest). */
  key = { pid: 0, secret: 0 };

  write(b: Buffer): void {
    this.socket.write(b);
  }

  send(name: string, fields?: Record<string, unknown>): void {
    this.write(encodeFrontend(name, fields));
  }

  /** receive returns the next message; it fails after timeoutMs, or when the connection closed first. */
  async receive(timeoutMs: number): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.queue.shift()!;
  }

  /** pending: messages already received and not yet taken. */
  get pending(): number {
    return this.queue.length;
  }

  /** closedWithin resolves true when the server closes the socket within timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  end(): void {
    if (!this.closed) this.socket.end(encodeFrontend('Terminate'));
  }
}
