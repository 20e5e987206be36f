/**
 * BackendWriter builds the messages a server sends (PostgreSQL protocol v3, backend side): each message is
 * a type byte, an Int32 length that counts itself, and the body. Messages are appended to one growing
 * buffer and handed to the socket on flush.
 */

import { writeAscii } from '../../util/bytes.js';

/** SHORT_ASCII: strings up to this long are tried as ASCII, copied by a loop. */
const SHORT_ASCII = 32;

export class BackendWriter {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private len = 0;
  private start = -1;

  get size(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** begin starts a message of the given type (a character). */
  begin(type: string): this {
    this.room(5);
    this.buf[this.len] = type.charCodeAt(0);
    this.start = this.len + 1;
    this.len += 5;
    return this;
  }

  /** end writes the length of the message begun last. */
  end(): this {
    this.buf.writeInt32BE(this.len - this.start, this.start);
    this.start = -1;
    return this;
  }

  int8(n: number): this {
    this.room(1);
    this.buf[this.len++] = n & 0xff;
    return this;
  }

  int16(n: number): this {
    this.room(2);
    this.buf.writeInt16BE(n, this.len);
    this.len += 2;
    return this;
  }

  int32(n: number): this {
    this.room(4);
    this.buf.writeInt32BE(n | 0, this.len);
    this.len += 4;
    return this;
  }

  /** cstring writes a NUL-terminated UTF-8 string. */
  cstring(s: string): this {
    const len = s.length;
    if (len <= SHORT_ASCII) {
      // Tags and names are mostly short ASCII: a loop costs less than the two calls into C++ below.
      this.room(len + 1);
      if (writeAscii(this.buf, this.len, s)) {
        this.len += len;
        this.buf[this.len++] = 0;
        return this;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.room(n + 1);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
    this.buf[this.len++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** string writes UTF-8 without a terminator, preceded by its Int32 byte length. */
  lengthPrefixedString(s: string): this {
    const len = s.length;
    if (len <= SHORT_ASCII) {
      // Most values are short ASCII (numbers, names).
      this.room(len + 4);
      if (writeAscii(this.buf, this.len + 4, s)) {
        this.buf.writeInt32BE(len, this.len);
        this.len += 4 + len;
        return this;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.room(n + 4);
    this.buf.writeInt32BE(n, this.len);
    this.len += 4;
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
    return this;
  }

  /** copyFrom returns a copy of the bytes written since `start` (a size() taken earlier). */
  copyFrom(start: number): Buffer {
    return Buffer.from(this.buf.subarray(start, this.len));
  }

  /** take returns the bytes written so far and starts over. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.len));
    this.len = 0;
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
    return out;
  }
}
