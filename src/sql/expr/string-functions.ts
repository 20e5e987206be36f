/**
 * More string functions, with PostgreSQL's semantics and errors: format() (%s %I %L %%, positions and
 * widths), quote_ident, quote_literal, quote_nullable, translate, chr, convert_from/convert_to, and
 * substring(x FROM pattern).
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { isStringType, sqlType, type SqlType, type TypeId, type Value } from '../types/sql-type.js';
import { formatValue } from '../types/text-io.js';
import type { FunctionDef } from './functions.js';
import { regexSubstring } from './regex.js';
import type { IoSettings } from '../types/io-settings.js';

const T = (id: TypeId): SqlType => sqlType(id);
const str = (v: Value): string => v as string;

/** KEYWORDS: PostgreSQL's keywords that are not unreserved, which quote_ident must quote. */
const KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable ' +
    'desc distinct do else end except false fetch for foreign from grant group having in initially intersect ' +
    'into lateral leading limit localtime localtimestamp not null offset on only or order placing primary ' +
    'references returning select session_user some symmetric table then to trailing true union unique user ' +
    'using variadic when where window with authorization binary collation concurrently cross current_schema ' +
    'freeze full ilike inner is isnull join left like natural notnull outer overlaps right similar tablesample ' +
    'verbose between bigint bit boolean char character coalesce dec decimal exists extract float greatest ' +
    'grouping inout int integer interval least national nchar none normalize nullif numeric out overlay ' +
    'position precision real row setof smallint substring time timestamp treat trim values varchar ' +
    'xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot ' +
    'xmlserialize xmltable'
  ).split(' '),
);

/** quoteIdent is quote_ident: double quotes unless the name is a plain lower-case non-keyword identifier. */
export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s) && !KEYWORDS.has(s)) return s;
  return '"' + s.replace(/"/g, '""') + '"';
}

/** quoteLiteral is quote_literal: single quotes doubled, and E'' with doubled backslashes if there are any. */
export function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

function asText(t: SqlType, v: Value, io: IoSettings): string | null {
  if (v === null) return null;
  if (t.id === 'bpchar') return str(v);
  if (isStringType(t.id)) return str(v);
  return formatValue(t, v, io);
}

function formatError(msg: string): SqlError {
  return new SqlError(SqlState.INVALID_PARAMETER_VALUE, msg);
}

/** format is PostgreSQL's format(fmt, args...). */
function format(fmt: string, types: readonly SqlType[], args: readonly Value[], io: IoSettings): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    i++;
    if (i >= fmt.length) throw formatError('unterminated format() type specifier');
    if (fmt[i] === '%') {
      out += '%';
      continue;
    }
    // %[position$][flags][width]type
    let m = /^(\d+)\$/.exec(fmt.slice(i));
    let argIndex: number | undefined;
    if (m !== null) {
      argIndex = Number(m[1]) - 1;
      if (argIndex < 0) throw formatError('format specifies argument 0, but arguments are numbered from 1');
      i += m[0].length;
    }
    let left = false;
    while (fmt[i] === '-') {
      left = true;
      i++;
    }
    let width = 0;
    if (fmt[i] === '*') {
      i++;
      const wm = /^(\d+)\$/.exec(fmt.slice(i));
      let wi: number;
      if (wm !== null) {
        wi = Number(wm[1]) - 1;
        i += wm[0].length;
      } else wi = next++;
      if (wi >= args.length) throw formatError('too few arguments for format()');
      const w = args[wi];
      width = w === null ? 0 : Number(asText(types[wi]!, w, io));
      if (width < 0) {
        left = true;
        width = -width;
      }
    } else {
      m = /^\d+/.exec(fmt.slice(i));
      if (m !== null) {
        width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (i >= fmt.length) throw formatError('unterminated format() type specifier');
    const type = fmt[i]!;
    if (type !== 's' && type !== 'I' && type !== 'L')
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `unrecognized format() type specifier "${type}"`, {
        hint: 'For a single "%" use "%%".',
      });
    const ai = argIndex ?? next;
    next = ai + 1;
    if (ai >= args.length) throw formatError('too few arguments for format()');
    const text = asText(types[ai]!, args[ai]!, io);
    let piece: string;
    if (type === 's') piece = text ?? '';
    else if (type === 'I') {
      if (text === null)
        throw new SqlError(
          SqlState.NULL_VALUE_NOT_ALLOWED,
          'null values cannot be formatted as an SQL identifier',
        );
      piece = quoteIdent(text);
    } else piece = text === null ? 'NULL' : quoteLiteral(text);
    const n = [...piece].length;
    if (width > n) piece = left ? piece + ' '.repeat(width - n) : ' '.repeat(width - n) + piece;
    out += piece;
  }
  return out;
}

function translate(s: string, from: string, to: string): string {
  const f = [...from];
  const t = [...to];
  const map = new Map<string, string | null>();
  f.forEach((c, i) => {
    if (!map.has(c)) map.set(c, i < t.length ? t[i]! : null);
  });
  let out = '';
  for (const c of s) {
    const r = map.get(c);
    if (r === undefined) out += c;
    else if (r !== null) out += r;
  }
  return out;
}

function chr(n: number): string {
  const limit = (msg: string): SqlError => new SqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, msg);
  if (n === 0) throw limit('null character not permitted');
  if (n < 0) throw limit('character number must be positive');
  if (n > 0x10ffff) throw limit(`requested character too large for encoding: ${n}`);
  if (n >= 0xd800 && n <= 0xdfff) throw limit(`requested character not valid for encoding: ${n}`);
  return String.fromCodePoint(n);
}

function encodingName(name: string, what: 'source' | 'destination'): 'UTF8' | 'LATIN1' | 'SQL_ASCII' {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === 'utf8' || n === 'unicode') return 'UTF8';
  if (n === 'latin1' || n === 'iso88591') return 'LATIN1';
  if (n === 'sqlascii') return 'SQL_ASCII';
  if (/^(latin\d+|win\d+|iso8859\d+|euc.*|sjis|big5|gbk|gb18030|uhc|koi8[ru]|johab|mule.*)$/.test(n))
    throw notSupported(`encoding "${name}"`);
  throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid ${what} encoding name "${name}"`);
}

const DECODER = new TextDecoder('utf-8', { fatal: true });

function convertFrom(b: Uint8Array, name: string): string {
  const enc = encodingName(name, 'source');
  if (enc === 'LATIN1') return Array.from(b, (x) => String.fromCharCode(x)).join('');
  for (let i = 0; i < b.length; i++)
    if (b[i] === 0)
      throw new SqlError(
        SqlState.CHARACTER_NOT_IN_REPERTOIRE,
        'invalid byte sequence for encoding "UTF8": 0x00',
      );
  try {
    return DECODER.decode(b);
  } catch {
    throw new SqlError(
      SqlState.CHARACTER_NOT_IN_REPERTOIRE,
      `invalid byte sequence for encoding "UTF8": ${badSequence(b)}`,
    );
  }
}

/** badSequence names the first invalid UTF-8 sequence as PostgreSQL's report_invalid_encoding does. */
function badSequence(b: Uint8Array): string {
  for (let i = 0; i < b.length;) {
    const x = b[i]!;
    const len =
      x < 0x80 ? 1 : x >= 0xc2 && x < 0xe0 ? 2 : x >= 0xe0 && x < 0xf0 ? 3 : x >= 0xf0 && x < 0xf5 ? 4 : 0;
    let ok = len > 0 && i + len <= b.length;
    for (let k = 1; ok && k < len; k++) if ((b[i + k]! & 0xc0) !== 0x80) ok = false;
    if (ok && len > 1) ok = DECODER_LAX(b.subarray(i, i + len));
    if (!ok) {
      const n = Math.min(Math.max(len, 1), b.length - i);
      return Array.from(b.subarray(i, i + n), (y) => '0x' + y.toString(16).padStart(2, '0')).join(' ');
    }
    i += len;
  }
  return '';
}

function DECODER_LAX(seq: Uint8Array): boolean {
  try {
    DECODER.decode(seq);
    return true;
  } catch {
    return false;
  }
}

function convertTo(s: string, name: string): Uint8Array {
  const enc = encodingName(name, 'destination');
  if (enc === 'UTF8' || enc === 'SQL_ASCII') return new Uint8Array(Buffer.from(s, 'utf8'));
  const out: number[] = [];
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (cp > 0xff)
      throw new SqlError(
        SqlState.UNTRANSLATABLE_CHARACTER,
        `character with byte sequence ${Array.from(Buffer.from(c, 'utf8'), (y) => '0x' + y.toString(16).padStart(2, '0')).join(' ')} in encoding "UTF8" has no equivalent in encoding "LATIN1"`,
      );
    out.push(cp);
  }
  return new Uint8Array(out);
}

function overlay(s: string, r: string, from: number, count: number | undefined): string {
  if (from < 1) throw new SqlError('22011', 'negative substring length not allowed');
  const chars = [...s];
  const n = count ?? [...r].length;
  return chars.slice(0, from - 1).join('') + r + chars.slice(Math.max(0, from - 1 + n)).join('');
}

const textArgs = (types: readonly SqlType[]): SqlType[] => types.map(() => T('text'));

/** STRING_FUNCTIONS: registered into functions.ts's table. */
export const STRING_FUNCTIONS: Record<string, FunctionDef> = {
  format: (types) => {
    if (types.length === 0) return undefined;
    const argTypes = types.slice(1).map((t) => (t.id === 'unknown' ? T('text') : t));
    return {
      args: [T('text'), ...argTypes],
      result: T('text'),
      strict: false,
      impl: (vs, ex) => (vs[0] === null ? null : format(str(vs[0]!), argTypes, vs.slice(1), ex.runtime.io)),
    };
  },
  quote_ident: (types) =>
    types.length === 1
      ? { args: [T('text')], result: T('text'), impl: ([s]) => quoteIdent(str(s)) }
      : undefined,
  quote_literal: (types) => {
    if (types.length !== 1) return undefined;
    const t = types[0]!.id === 'unknown' ? T('text') : types[0]!;
    return { args: [t], result: T('text'), impl: ([v], ex) => quoteLiteral(asText(t, v, ex.runtime.io)!) };
  },
  quote_nullable: (types) => {
    if (types.length !== 1) return undefined;
    const t = types[0]!.id === 'unknown' ? T('text') : types[0]!;
    return {
      args: [t],
      result: T('text'),
      strict: false,
      impl: ([v], ex) => (v === null ? 'NULL' : quoteLiteral(asText(t, v, ex.runtime.io)!)),
    };
  },
  translate: (types) =>
    types.length === 3
      ? { args: textArgs(types), result: T('text'), impl: ([s, f, t]) => translate(str(s), str(f), str(t)) }
      : undefined,
  chr: (types) =>
    types.length === 1
      ? { args: [T('int4')], result: T('text'), impl: ([n]) => chr(n as number) }
      : undefined,
  convert_from: (types) =>
    types.length === 2
      ? {
          args: [T('bytea'), T('name')],
          result: T('text'),
          impl: ([b, n]) => convertFrom(b as Uint8Array, str(n)),
        }
      : undefined,
  // overlay(s PLACING r FROM p [FOR n]) is substring(s, 1, p - 1) || r || substring(s, p + n).
  overlay: (types) =>
    types.length === 3 || types.length === 4
      ? {
          args: [T('text'), T('text'), T('int4'), ...(types.length === 4 ? [T('int4')] : [])],
          result: T('text'),
          impl: ([s, r, p, n]) =>
            overlay(str(s), str(r), p as number, n === undefined ? undefined : (n as number)),
        }
      : undefined,
  convert_to: (types) =>
    types.length === 2
      ? { args: [T('text'), T('name')], result: T('bytea'), impl: ([s, n]) => convertTo(str(s), str(n)) }
      : undefined,
};

/** regexSubstringDef: substring(text FROM text pattern). */
export const regexSubstringDef: FunctionDef = (types) =>
  types.length === 2 && (types[1]!.id === 'unknown' || isStringType(types[1]!.id))
    ? { args: [T('text'), T('text')], result: T('text'), impl: ([s, p]) => regexSubstring(str(s), str(p)) }
    : undefined;
