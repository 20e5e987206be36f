/**
 * POSIX regular expression matching (~, ~*, !~, !~*) as PostgreSQL's advanced regular expressions (AREs)
 * behave: `.` and negated brackets match newlines, ^ and $ anchor only at the ends of the string. The pattern
 * is translated to a JavaScript RegExp: bracket classes ([[:alpha:]]), \m \M \y \Y \A \Z, and a leading
 * embedded option (?i); other ARE-only syntax (collating elements [[.x.]], equivalence classes [[=x=]],
 * other embedded options) is 0A000.
 */
import { notSupported, SqlError } from '../errors.js';

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: 'a-zA-Z0-9_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

function invalid(msg: string): SqlError {
  return new SqlError('2201B', `invalid regular expression: ${msg}`);
}

/** translate turns an ARE into a JavaScript pattern and its flags. */
function translate(pattern: string, insensitive: boolean): { source: string; flags: string } {
  let p = pattern;
  let ci = insensitive;
  const opts = /^\(\?([a-z]+)\)/.exec(p);
  if (opts !== null) {
    for (const o of opts[1]!) {
      if (o === 'i') ci = true;
      else if (o === 'c') ci = false;
      else throw notSupported(`regular expression option (?${o})`);
    }
    p = p.slice(opts[0].length);
  }
  let out = '';
  let inBracket = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (inBracket) {
      if (c === '[' && (p[i + 1] === ':' || p[i + 1] === '.' || p[i + 1] === '=')) {
        const kind = p[i + 1]!;
        const end = p.indexOf(kind + ']', i + 2);
        if (end < 0) throw invalid('brackets [] not balanced');
        const name = p.slice(i + 2, end);
        if (kind !== ':')
          throw notSupported('collating elements and equivalence classes in regular expressions');
        const cls = CLASSES[name];
        if (cls === undefined) throw invalid('invalid character class');
        out += cls;
        i = end + 1;
        continue;
      }
      if (c === ']' && !(out.endsWith('[') || out.endsWith('[^'))) inBracket = false;
      out += c === '\\' && p[i + 1] !== undefined ? c + p[++i] : c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inBracket = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += '\\' + p[++i];
      continue;
    }
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw invalid('invalid escape \\ sequence');
      i++;
      if (n === 'm' || n === 'M' || n === 'y') out += '\\b';
      else if (n === 'Y') out += '\\B';
      else if (n === 'A') out += '^';
      else if (n === 'Z') out += '$';
      else out += '\\' + n;
      continue;
    }
    out += c;
  }
  if (inBracket) throw invalid('brackets [] not balanced');
  return { source: out, flags: ci ? 'si' : 's' };
}

/** regexMatcher compiles a pattern into a test, or throws 2201B for a pattern that does not compile. */
export function regexMatcher(pattern: string, insensitive: boolean): (s: string) => boolean {
  const { source, flags } = translate(pattern, insensitive);
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    const m = (err as Error).message;
    throw invalid(
      /Unterminated group|Unmatched '\)'/.test(m)
        ? 'parentheses () not balanced'
        : /Unterminated character class/.test(m)
          ? 'brackets [] not balanced'
          : /Nothing to repeat/.test(m)
            ? 'quantifier operand invalid'
            : /Invalid escape|\\ at end/.test(m)
              ? 'invalid escape \\ sequence'
              : m.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''),
    );
  }
  return (s) => re.test(s);
}
