/**
 * FrontendReader splits the bytes a client sends into messages: first one untyped startup packet (Int32
 * length, then the body), then typed messages (a type byte, an Int32 length, the body). A length that is
 * negative, too small or above the limit is a protocol violation: the connection is closed with 08P01.
 */
import { SqlError, SqlState } from '../../sql/errors.js';
import { readAscii } from '../../util/bytes.js';

export interface FrontendMessage {
  /** type: the type character, or '' for the startup packet. */
  readonly type: string;
  readonly body: Buffer;
}

const EMPTY_BODY = Buffer.alloc(0);
/** SHORT_STRING: strings up to this many ASCII bytes are decoded in JavaScript. */
const SHORT_STRING = 32;

export class FrontendReader {
  private chunks: Buffer[] = [];
  /** off: where the unread bytes of chunks[0] begin (the head is not re-sliced per message). */
  private off = 0;
  private buffered = 0;
  private startup = true;

  constructor(private readonly maxMessageSize: number) {}

  /** expectStartup makes the next message an untyped startup packet again (after SSLRequest). */
  expectStartup(): void {
    this.startup = true;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** head returns chunks[0] with at least n unread bytes from `off` (joining chunks when needed). */
  private head(n: number): Buffer {
    const h = this.chunks[0]!;
    if (h.length - this.off >= n) return h;
    const all = Buffer.concat([h.subarray(this.off), ...this.chunks.slice(1)]);
    this.chunks = [all];
    this.off = 0;
    return all;
  }

  /** consume returns the next n bytes (a view) and moves past them. */
  private consume(n: number): Buffer {
    if (n === 0) return EMPTY_BODY;
    const h = this.head(n);
    const out = h.subarray(this.off, this.off + n);
    this.skip(h, n);
    return out;
  }

  /** skip moves n bytes past `off` in h, the head chunk (which holds them). */
  private skip(h: Buffer, n: number): void {
    this.off += n;
    if (this.off === h.length) {
      this.chunks.shift();
      this.off = 0;
    }
    this.buffered -= n;
  }

  /** next returns the next complete message, or undefined when more bytes are needed. */
  next(): FrontendMessage | undefined {
    if (this.startup) {
      if (this.buffered < 4) return undefined;
      const len = this.head(4).readInt32BE(this.off);
      if (len < 8 || len > 10000)
        throw new SqlError(SqlState.PROTOCOL_VIOLATION, 'invalid length of startup packet', {
          severity: 'FATAL',
        });
      if (this.buffered < len) return undefined;
      const msg = this.consume(len);
      this.startup = false;
      return { type: '', body: Buffer.from(msg.subarray(4)) };
    }
    if (this.buffered < 5) return undefined;
    const h = this.head(5);
    const type = String.fromCharCode(h[this.off]!);
    const len = h.readInt32BE(this.off + 1);
    if (len < 4)
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, `invalid message length ${len}`, { severity: 'FATAL' });
    if (len > this.maxMessageSize)
      throw new SqlError(
        SqlState.PROGRAM_LIMIT_EXCEEDED,
        `message of ${len} bytes exceeds the limit of ${this.maxMessageSize} bytes`,
        { severity: 'FATAL' },
      );
    if (this.buffered < len + 1) return undefined;
    // The body is a view of the socket's chunk (Node hands each read a buffer of its own), not a copy.
    this.skip(h, 5);
    return { type, body: this.consume(len - 4) };
  }
}

/** BodyReader reads the fields of one message body; running past its end is a protocol violation. */
export class BodyReader {
  private pos = 0;
  constructor(private readonly b: Buffer) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.b.length)
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, 'invalid message format', { severity: 'FATAL' });
  }

  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  byte(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }

  cstring(): string {
    const b = this.b;
    const pos = this.pos;
    // Names and short texts (portal and statement names are often "" or a few ASCII letters) are read by
    // a loop: Buffer's indexOf and toString are calls into C++ that cost more than the bytes they read.
    const limit = Math.min(b.length, pos + SHORT_STRING);
    for (let i = pos; i < limit; i++) {
      if (b[i] !== 0) continue;
      const s = readAscii(b, pos, i);
      if (s === undefined) break;
      this.pos = i + 1;
      return s;
    }
    const end = b.indexOf(0, pos);
    if (end < 0)
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, 'invalid string in message', { severity: 'FATAL' });
    const text = b.toString('utf8', pos, end);
    this.pos = end + 1;
    return text;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  get remaining(): number {
    return this.b.length - this.pos;
  }

  /** done checks that the whole body was read. */
  done(): void {
    if (this.pos !== this.b.length)
      throw new SqlError(SqlState.PROTOCOL_VIOLATION, 'invalid message format', { severity: 'FATAL' });
  }
}
