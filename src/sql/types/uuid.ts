/**
 * uuid values are held as PostgreSQL prints them: 36 characters, lower-case hex, hyphenated 8-4-4-4-12.
 * Comparing two such strings orders them as PostgreSQL compares uuids (memcmp of the 16 bytes), so they
 * compare, hash and group as strings; rows and keys store the 16 bytes.
 */
import { randomUUID } from 'node:crypto';
import { SqlError, SqlState } from '../errors.js';

const HEX = '0123456789abcdef';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20; // A-F as a-f
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * parseUuid reads uuid input as PostgreSQL's uuid_in does: 32 hex digits in either case, a hyphen allowed
 * after any group of four (not after the last), the whole optionally in braces, nothing else (no spaces).
 * Returns the canonical form; 22P02 otherwise.
 */
export function parseUuid(text: string): string {
  const bad = (): SqlError =>
    new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type uuid: "${text}"`);
  let p = 0;
  const braces = text.charCodeAt(0) === 0x7b; // {
  if (braces) p++;
  let out = '';
  for (let i = 0; i < 16; i++) {
    const hi = hexValue(text.charCodeAt(p));
    const lo = hexValue(text.charCodeAt(p + 1));
    if (hi < 0 || lo < 0) throw bad();
    out += HEX[hi]! + HEX[lo]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
    p += 2;
    if (text.charCodeAt(p) === 0x2d && i % 2 === 1 && i < 15) p++; // -
  }
  if (braces) {
    if (text.charCodeAt(p) !== 0x7d) throw bad(); // }
    p++;
  }
  if (p !== text.length) throw bad();
  return out;
}

/** uuidToBytes writes a canonical uuid's 16 bytes into `dst` at `at`. */
export function uuidToBytes(uuid: string, dst: Uint8Array, at: number): void {
  let p = 0;
  for (let i = 0; i < 16; i++) {
    if (uuid.charCodeAt(p) === 0x2d) p++;
    dst[at + i] = (hexValue(uuid.charCodeAt(p)) << 4) | hexValue(uuid.charCodeAt(p + 1));
    p += 2;
  }
}

/** uuidFromBytes returns the canonical form of the 16 bytes at `b[start, start + 16)`. */
export function uuidFromBytes(b: Uint8Array, start = 0): string {
  let out = '';
  for (let i = 0; i < 16; i++) {
    const x = b[start + i]!;
    out += HEX[x >> 4]! + HEX[x & 15]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) out += '-';
  }
  return out;
}

/** randomUuid: a version 4 (random) uuid, as gen_random_uuid() returns. */
export function randomUuid(): string {
  return randomUUID();
}
