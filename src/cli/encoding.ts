/**
 * Key and value encodings on the command line: utf8 (as typed), hex, base64. Bad input is an error
 * naming the encoding, never a silently wrong key.
 */
import { Buffer } from 'node:buffer';
import { InvalidArgumentError } from '../util/errors.js';

export const ENCODINGS = ['utf8', 'hex', 'base64'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** decodeArg turns a command-line argument into bytes. */
export function decodeArg(s: string, enc: Encoding): Uint8Array {
  if (enc === 'utf8') return new TextEncoder().encode(s);
  if (enc === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(s))
      throw new InvalidArgumentError(`'${s}' is not hex (pairs of 0-9a-f)`);
    return new Uint8Array(Buffer.from(s, 'hex'));
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    throw new InvalidArgumentError(`'${s}' is not base64`);
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** encodeOut renders bytes for printing. */
export function encodeOut(b: Uint8Array, enc: Encoding): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return enc === 'utf8' ? buf.toString('utf8') : buf.toString(enc);
}
