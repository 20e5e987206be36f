/**
 * LIKE and ILIKE patterns: % any run of characters, _ one character, \ (or the ESCAPE character) escapes the
 * next character.
 */
import { SqlError, SqlState } from '../errors.js';

/**
 * likeMatcher compiles a pattern to a test (case-insensitive for ILIKE). `escape` is the ESCAPE character
 * (backslash by default; the empty string turns escaping off; anything longer is 22025).
 */
export function likeMatcher(pattern: string, insensitive: boolean, escape = '\\'): (s: string) => boolean {
  if ([...escape].length > 1)
    throw new SqlError(SqlState.INVALID_ESCAPE_SEQUENCE, 'invalid escape string', {
      hint: 'Escape string must be empty or one character.',
    });
  let re = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === escape) {
      if (i + 1 >= chars.length)
        throw new SqlError(
          SqlState.INVALID_ESCAPE_SEQUENCE,
          'LIKE pattern must not end with escape character',
        );
      re += escapeRegex(chars[++i]!);
    } else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += escapeRegex(c);
  }
  const compiled = new RegExp(re + '$', insensitive ? 'isu' : 'su');
  return (s) => compiled.test(s);
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/-]/.test(c) ? '\\' + c : c;
}
