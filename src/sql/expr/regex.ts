/**
 * POSIX regular expressions as PostgreSQL runs them (advanced regular expressions): the operators ~ ~* !~
 * !~*, regexp_replace, regexp_like, regexp_count, substring(x FROM pattern). Patterns are translated to
 * JavaScript regular expressions: `.` matches newlines and `^`/`$` anchor the whole string (PostgreSQL's
 * default, not newline-sensitive, mode), POSIX bracket classes ([[:alpha:]]) and the word-boundary escapes
 * \m \M \y \Y are rewritten, and a leading embedded option (?i) or (?c) is honoured. Invalid patterns are
 * 2201B; ARE-only syntax JavaScript lacks (collating elements [[.x.]], equivalence classes [[=x=]], other
 * embedded options) is 0A000.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { sqlType, type SqlType, type TypeId, type Value } from '../types/sql-type.js';
import type { FunctionDef } from './functions.js';
import { setReturning } from './array-functions.js';

const INVALID_REGULAR_EXPRESSION = '2201B';

const POSIX_CLASSES: Record<string, string> = {
  alpha: '\\p{L}\\p{Nl}',
  digit: '0-9',
  alnum: '\\p{L}\\p{N}',
  upper: '\\p{Lu}',
  lower: '\\p{Ll}',
  space: '\\s',
  blank: ' \\t',
  punct: '\\p{P}\\p{S}',
  xdigit: '0-9A-Fa-f',
  word: '\\p{L}\\p{N}_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e\\u00a0-\\u{10ffff}',
  graph: '\\x21-\\x7e\\u00a1-\\u{10ffff}',
};

/** translate rewrites a PostgreSQL ARE into JavaScript regular-expression source. */
function translate(pattern: string): string {
  let out = '';
  let inBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (inBracket) {
      if (c === '[' && (pattern[i + 1] === '.' || pattern[i + 1] === '='))
        throw notSupported('collating elements and equivalence classes in regular expressions');
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const cls = end < 0 ? undefined : POSIX_CLASSES[pattern.slice(i + 2, end)];
        if (cls === undefined) throw invalid('invalid character class');
        out += cls;
        i = end + 1;
        continue;
      }
      if (c === ']' && !/\[\^?$/.test(out)) inBracket = false;
      if (c === '\\') {
        const n = pattern[++i] ?? '';
        out += n === 'w' ? '\\p{L}\\p{N}_' : c + n;
        continue;
      }
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inBracket = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw invalid('invalid escape \\ sequence');
      i++;
      if (n === 'm') out += '\\b(?=\\w)';
      else if (n === 'M') out += '\\b(?<=\\w)';
      else if (n === 'y') out += '\\b';
      else if (n === 'Y') out += '\\B';
      else if (n === 'w') out += '[\\p{L}\\p{N}_]';
      else if (n === 'W') out += '[^\\p{L}\\p{N}_]';
      else if (n === 'A') out += '^';
      else if (n === 'Z') out += '$';
      else out += c + n;
      continue;
    }
    out += c;
  }
  if (inBracket) throw invalid('brackets [] not balanced');
  return out;
}

function invalid(what: string): SqlError {
  return new SqlError(INVALID_REGULAR_EXPRESSION, `invalid regular expression: ${what}`);
}

const CACHE = new Map<string, RegExp>();

/** compileRegex compiles a pattern with JavaScript flags ('i', 'g'); cached. */
export function compileRegex(pattern: string, flags: string): RegExp {
  const key = flags + '\u0000' + pattern;
  let re = CACHE.get(key);
  if (re === undefined) {
    // A leading embedded option (?i) / (?c) switches case sensitivity; other ARE options are 0A000.
    let body = pattern;
    let jsFlags = flags;
    const opts = /^\(\?([a-z]+)\)/.exec(body);
    if (opts !== null) {
      for (const o of opts[1]!) {
        if (o === 'i') jsFlags = jsFlags.includes('i') ? jsFlags : jsFlags + 'i';
        else if (o === 'c') jsFlags = jsFlags.replace('i', '');
        else throw notSupported(`regular expression option (?${o})`);
      }
      body = body.slice(opts[0].length);
    }
    try {
      re = new RegExp(translate(body), 'su' + jsFlags);
    } catch (err) {
      if (err instanceof SqlError) throw err;
      const msg = String((err as Error).message);
      throw invalid(
        /parenthes|group/i.test(msg)
          ? 'parentheses () not balanced'
          : /bracket|class/i.test(msg)
            ? 'brackets [] not balanced'
            : /quantifier|repeat|nothing to repeat/i.test(msg)
              ? 'quantifier operand invalid'
              : 'invalid regular expression',
      );
    }
    if (CACHE.size > 1000) CACHE.clear();
    CACHE.set(key, re);
  }
  re.lastIndex = 0;
  return re;
}

/** parseFlags reads regexp_* flags into JavaScript flags and whether to match globally (`fn`: for errors). */
function parseFlags(
  flags: string,
  allowGlobal: boolean,
  fn = 'regexp_match',
): { js: string; global: boolean } {
  let ci = false;
  let global = false;
  for (const f of flags) {
    if (f === 'i') ci = true;
    else if (f === 'c') ci = false;
    else if (f === 'g' && allowGlobal) global = true;
    else if (f === 'g')
      throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `${fn}() does not support the "global" option`, {
        hint: fn === 'regexp_match' ? 'Use the regexp_matches function instead.' : undefined,
      });
    else if ('bempqstwnx'.includes(f))
      throw new SqlError(SqlState.FEATURE_NOT_SUPPORTED, `regular expression option "${f}" is not supported`);
    else throw new SqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid regular expression option: "${f}"`);
  }
  return { js: ci ? 'i' : '', global };
}

/**
 * checkMatchExtent refuses (0A000) patterns whose match extent PostgreSQL decides differently from
 * JavaScript: alternation (PostgreSQL takes the longest match, JavaScript the first alternative) and
 * non-greedy quantifiers (in PostgreSQL the first quantifier makes the whole expression non-greedy).
 * Whether a match exists does not depend on this, so the operators do not check.
 */
function checkMatchExtent(pattern: string, fn: string): void {
  let inBracket = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inBracket) {
      if (c === ']' && pattern[i - 1] !== '[' && !(pattern[i - 1] === '^' && pattern[i - 2] === '['))
        inBracket = false;
      continue;
    }
    if (c === '[') inBracket = true;
    else if (c === '|' || ((c === '*' || c === '+' || c === '?' || c === '}') && pattern[i + 1] === '?'))
      throw notSupported(`${fn} with alternation or non-greedy quantifiers in the pattern`);
  }
}

/** regexMatch is the ~ family: does s contain a match of pattern. */
export function regexMatch(s: string, pattern: string, insensitive: boolean): boolean {
  return compileRegex(pattern, insensitive ? 'i' : '').test(s);
}

/** replacementFunction turns PostgreSQL's replacement text (\1..\9, \&, \\) into a replacer. */
function replacer(replacement: string): (match: string, groups: readonly (string | undefined)[]) => string {
  return (match, groups) => {
    let out = '';
    for (let i = 0; i < replacement.length; i++) {
      const c = replacement[i]!;
      if (c === '\\' && i + 1 < replacement.length) {
        const n = replacement[i + 1]!;
        if (n >= '1' && n <= '9') {
          out += groups[Number(n) - 1] ?? '';
          i++;
          continue;
        }
        if (n === '&') {
          out += match;
          i++;
          continue;
        }
        if (n === '\\') {
          out += '\\';
          i++;
          continue;
        }
      }
      out += c;
    }
    return out;
  };
}

/** regexpReplace is regexp_replace(source, pattern, replacement [, flags]). */
export function regexpReplace(s: string, pattern: string, replacement: string, flags: string): string {
  const f = parseFlags(flags, true);
  checkMatchExtent(pattern, 'regexp_replace');
  const re = compileRegex(pattern, f.js + (f.global ? 'g' : ''));
  const rep = replacer(replacement);
  return s.replace(re, (match: string, ...rest: unknown[]) => {
    const groups = rest.slice(
      0,
      rest.findIndex((x) => typeof x === 'number'),
    ) as (string | undefined)[];
    return rep(match, groups);
  });
}

/** regexSubstring is substring(s FROM pattern): the first parenthesised group's match, or the whole match. */
export function regexSubstring(s: string, pattern: string): string | null {
  checkMatchExtent(pattern, 'substring');
  const m = compileRegex(pattern, '').exec(s);
  if (m === null) return null;
  if (m.length > 1) return m[1] ?? null;
  return m[0];
}

/** groupsOf: a match's parenthesised groups (NULL for one that took no part), or the whole match without any. */
function groupsOf(m: RegExpExecArray): Value[] {
  return m.length > 1 ? m.slice(1).map((g) => g ?? null) : [m[0]];
}

/** regexpMatch is regexp_match(s, pattern [, flags]): the first match's groups, or NULL. */
export function regexpMatch(s: string, pattern: string, flags: string): Value[] | null {
  const f = parseFlags(flags, false);
  checkMatchExtent(pattern, 'regexp_match');
  const m = compileRegex(pattern, f.js).exec(s);
  return m === null ? null : groupsOf(m);
}

/** regexpMatches is regexp_matches(s, pattern [, flags]): the groups of each match ('g'), or of the first. */
export function regexpMatches(s: string, pattern: string, flags: string): Value[][] {
  const f = parseFlags(flags, true);
  checkMatchExtent(pattern, 'regexp_matches');
  if (!f.global) {
    const m = compileRegex(pattern, f.js).exec(s);
    return m === null ? [] : [groupsOf(m)];
  }
  return matchesIn(s, compileRegex(pattern, f.js + 'g'), false).map(groupsOf);
}

/**
 * matchesIn lists the matches of a global `re` in `s` as PostgreSQL finds them: after an empty match the
 * search goes on one character later. With `splitting`, matches that split nothing are skipped, as
 * regexp_split_* does: one at the end of the string, or one ending where the last kept match ended (an
 * empty match at the start, or right after another match).
 */
function matchesIn(s: string, re: RegExp, splitting: boolean): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let from = 0;
  let lastEnd = 0;
  while (from <= s.length) {
    re.lastIndex = from;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    if (!splitting || (start < s.length && end > lastEnd)) {
      out.push(m);
      lastEnd = end;
    }
    // One character on after an empty match (a surrogate pair is one character).
    from = end > start ? end : end + (s.codePointAt(end)! > 0xffff ? 2 : 1);
  }
  return out;
}

/** regexpSplit is regexp_split_to_array / _table: the pieces of s between the matches of pattern. */
export function regexpSplit(s: string, pattern: string, flags: string, fn: string): string[] {
  const f = parseFlags(flags, false, fn);
  checkMatchExtent(pattern, fn);
  const out: string[] = [];
  let start = 0;
  for (const m of matchesIn(s, compileRegex(pattern, f.js + 'g'), true)) {
    out.push(s.slice(start, m.index));
    start = m.index + m[0].length;
  }
  out.push(s.slice(start));
  return out;
}

const T = (id: TypeId): SqlType => sqlType(id);
const str = (v: Value): string => v as string;

/** REGEX_FUNCTIONS: the regexp_* functions (see functions.ts for the resolution rules). */
export const REGEX_FUNCTIONS: Record<string, FunctionDef> = {
  regexp_replace: (types) =>
    types.length === 3 || types.length === 4
      ? {
          args: types.map(() => T('text')),
          result: T('text'),
          impl: ([s, p, r, f]) => regexpReplace(str(s), str(p), str(r), f === undefined ? '' : str(f)),
        }
      : undefined,
  regexp_match: (types) =>
    types.length === 2 || types.length === 3
      ? {
          args: types.map(() => T('text')),
          result: T('_text'),
          impl: ([s, p, f]) => regexpMatch(str(s), str(p), f === undefined ? '' : str(f)),
        }
      : undefined,
  regexp_split_to_array: (types) =>
    types.length === 2 || types.length === 3
      ? {
          args: types.map(() => T('text')),
          result: T('_text'),
          impl: ([s, p, f]) =>
            regexpSplit(str(s), str(p), f === undefined ? '' : str(f), 'regexp_split_to_array'),
        }
      : undefined,
  regexp_matches: setReturning('regexp_matches'),
  regexp_split_to_table: setReturning('regexp_split_to_table'),
  regexp_like: (types) =>
    types.length === 2 || types.length === 3
      ? {
          args: types.map(() => T('text')),
          result: T('bool'),
          impl: ([s, p, f]) =>
            compileRegex(str(p), parseFlags(f === undefined ? '' : str(f), false).js).test(str(s)),
        }
      : undefined,
  regexp_count: (types) =>
    types.length === 2
      ? {
          args: [T('text'), T('text')],
          result: T('int4'),
          impl: ([s, p]) => {
            checkMatchExtent(str(p), 'regexp_count');
            const re = compileRegex(str(p), 'g');
            let n = 0;
            for (const _ of str(s).matchAll(re)) n++;
            return n;
          },
        }
      : undefined,
};
