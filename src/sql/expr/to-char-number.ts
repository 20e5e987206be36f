/**
 * to_char of numbers and to_number, with PostgreSQL's number template patterns (formatting.c's NUM_*): 9 and
 * 0 digit positions, . and D decimal point, , and G group separator, S, MI, PL, SG and PR signs, RN roman
 * numerals, TH/th ordinal suffixes, FM fill mode; anything else is copied. The C locale's symbols are used
 * (D is '.', G is ',', L a blank); V shifts the value, EEEE writes it in scientific notation.
 *
 * As in PostgreSQL, the value is first rounded to the format's decimal places (numeric: half away from
 * zero; float: C's %.*f, within DBL_DIG or FLT_DIG significant digits) and written as digits; the template
 * is then walked once, placing those digits right-aligned in the integer positions ('#' everywhere when
 * they do not fit), a sign just before the first digit written, and blanks for insignificant positions.
 */
import { notSupported, SqlError, SqlState } from '../errors.js';
import { formatDecimal, parseNumeric, rescale, toDecimal } from '../types/numeric.js';

type Node =
  | { readonly kind: 'digit'; readonly zero: boolean }
  | { readonly kind: 'point' }
  | { readonly kind: 'group' }
  | { readonly kind: 'sign'; readonly pattern: 'S' | 'MI' | 'PL' | 'SG' | 'PR' }
  | { readonly kind: 'roman'; readonly lower: boolean }
  | { readonly kind: 'ordinal'; readonly upper: boolean }
  | { readonly kind: 'literal'; readonly text: string };

/** NumFormat is a parsed number template. */
interface NumFormat {
  readonly nodes: readonly Node[];
  readonly fm: boolean;
  /** pre, post: digit positions before and after the decimal point. */
  readonly pre: number;
  readonly post: number;
  /** zeroStart: the 1-based digit position of the first 0 before the point (0: none). */
  readonly zeroStart: number;
  /** zeroEnd: the digit positions up to and including the last 0. */
  readonly zeroEnd: number;
  /** sign: where S stands: before the digits, after them, or no S. */
  readonly sign: 'pre' | 'post' | undefined;
  readonly bracket: boolean;
  readonly minus: boolean;
  readonly plus: boolean;
  readonly roman: boolean;
  /** eeee: scientific notation; the result is then the number alone (PostgreSQL ignores the rest). */
  readonly eeee: boolean;
  /** multi: the digits after V: the value is shown multiplied by 10^multi (they count in `pre`). */
  readonly multi: number;
}

function parseFormat(format: string): NumFormat {
  const nodes: Node[] = [];
  let fm = false;
  let pre = 0;
  let post = 0;
  let zeroStart = 0;
  let zeroEnd = 0;
  let seenPoint = false;
  let sign: 'pre' | 'post' | undefined;
  let bracket = false;
  let minus = false;
  let plus = false;
  let roman = false;
  let eeee = false;
  let shifting = false;
  let multi = 0;
  const up = format.toUpperCase();
  for (let i = 0; i < format.length;) {
    const at = (p: string): boolean => up.startsWith(p, i);
    const c = format[i]!;
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < format.length && format[j] !== '"') {
        if (format[j] === '\\' && j + 1 < format.length) j++;
        text += format[j++];
      }
      nodes.push({ kind: 'literal', text });
      i = j + 1;
    } else if ((c === '9' || c === '0') && shifting) {
      multi++;
      nodes.push({ kind: 'digit', zero: c === '0' });
      i++;
    } else if (c === '9' || c === '0') {
      if (seenPoint) post++;
      else {
        pre++;
        if (c === '0' && zeroStart === 0) zeroStart = pre;
      }
      if (c === '0') zeroEnd = pre + post;
      nodes.push({ kind: 'digit', zero: c === '0' });
      i++;
    } else if (c === '.' || at('D')) {
      if (shifting) throw new SqlError(SqlState.SYNTAX_ERROR, 'cannot use "V" and decimal point together');
      if (seenPoint) throw new SqlError(SqlState.SYNTAX_ERROR, 'multiple decimal points');
      seenPoint = true;
      nodes.push({ kind: 'point' });
      i++;
    } else if (c === ',' || at('G')) {
      nodes.push({ kind: 'group' });
      i++;
    } else if (at('FM')) {
      fm = true;
      i += 2;
    } else if (at('PR') || at('MI') || at('PL') || at('SG')) {
      const p = up.slice(i, i + 2) as 'PR' | 'MI' | 'PL' | 'SG';
      if (p === 'PR') bracket = true;
      if (p === 'MI' || p === 'SG') minus = true;
      if (p === 'PL' || p === 'SG') plus = true;
      nodes.push({ kind: 'sign', pattern: p });
      i += 2;
    } else if (at('S')) {
      sign = pre + post > 0 ? 'post' : 'pre';
      nodes.push({ kind: 'sign', pattern: 'S' });
      i++;
    } else if (at('RN')) {
      roman = true;
      nodes.push({ kind: 'roman', lower: format[i] === 'r' });
      i += 2;
    } else if (at('TH')) {
      nodes.push({ kind: 'ordinal', upper: format[i] === 'T' });
      i += 2;
    } else if (at('EEEE')) {
      eeee = true;
      i += 4;
    } else if (at('V')) {
      if (seenPoint) throw new SqlError(SqlState.SYNTAX_ERROR, 'cannot use "V" and decimal point together');
      shifting = true;
      i++;
    } else if (at('L')) {
      // The currency symbol: the C locale has none, and PostgreSQL writes a blank then.
      nodes.push({ kind: 'literal', text: ' ' });
      i++;
    } else {
      if (c === '\\' && i + 1 < format.length) i++;
      nodes.push({ kind: 'literal', text: format[i]! });
      i++;
    }
  }
  return {
    nodes,
    fm,
    pre: pre + multi,
    post,
    zeroStart,
    zeroEnd,
    sign,
    bracket,
    minus,
    plus,
    roman,
    eeee,
    multi,
  };
}

/** NumberInput: a value to format, as to_char's argument types reach it. */
export type NumberInput =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'float'; readonly value: number; readonly digits: number };

/** digitsOf rounds v to `post` places: its sign and unsigned digits ("1234.50"). */
function digitsOf(v: NumberInput, post: number): { negative: boolean; digits: string } {
  let text: string;
  if (v.kind === 'exact') text = formatDecimal(rescale(toDecimal(v.value), post));
  else {
    // float8_to_char: at most DBL_DIG significant digits, then printf's %.*f (round half to even).
    const intDigits = Math.abs(v.value).toFixed(0).length;
    const places = intDigits >= v.digits ? 0 : Math.min(post, v.digits - intDigits);
    text = roundHalfEven(v.value, places);
    if (places < post) text += (places === 0 ? '.' : '') + '0'.repeat(post - places);
  }
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  return { negative: negative && /[1-9]/.test(digits), digits };
}

/** roundHalfEven is C's %.*f: the double's exact value rounded to `places`, ties to even. */
function roundHalfEven(x: number, places: number): string {
  const exact = toDecimal(parseNumeric(x.toFixed(Math.min(100, places + 30))));
  const div = 10n ** BigInt(exact.scale - places);
  let q = exact.int / div;
  const r = exact.int % div;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice > div || (twice === div && (q < 0n ? -q : q) % 2n === 1n)) q += exact.int < 0n ? -1n : 1n;
  const s = formatDecimal({ int: q, scale: places });
  return x < 0 && q === 0n ? '-' + s : s;
}

const ROMAN: readonly [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];

function romanOf(v: NumberInput): string {
  const n = Number(digitsOf(v, 0).digits) * (digitsOf(v, 0).negative ? -1 : 1);
  if (n < 1 || n > 3999) return '#'.repeat(15);
  let out = '';
  let left = n;
  for (const [k, s] of ROMAN)
    while (left >= k) {
      out += s;
      left -= k;
    }
  return out;
}

function ordinalSuffix(digits: string, upper: boolean): string {
  const int = digits.split('.')[0]!;
  const n = Number(int.slice(-2));
  const s = n >= 11 && n <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return upper ? s.toUpperCase() : s;
}

/** formatNumberWith is to_char(number, format). */
export function formatNumberWith(v: NumberInput, format: string): string {
  const f = parseFormat(format);
  if (f.roman) {
    let out = '';
    for (const n of f.nodes) {
      if (n.kind === 'roman') {
        const r = romanOf(v);
        const cased = n.lower ? r.toLowerCase() : r;
        out += f.fm ? cased : cased.padStart(15, ' ');
      } else if (n.kind === 'literal') out += n.text;
    }
    return out;
  }
  if (f.eeee) return scientific(v, f.post);
  const shifted: NumberInput =
    f.multi === 0
      ? v
      : v.kind === 'float'
        ? { ...v, value: v.value * 10 ** f.multi }
        : {
            kind: 'exact',
            value: formatDecimal({
              ...toDecimal(v.value),
              int: toDecimal(v.value).int * 10n ** BigInt(f.multi),
            }),
          };
  const { negative, digits: rounded } = digitsOf(shifted, f.post);
  const intLen = rounded.indexOf('.') < 0 ? rounded.length : rounded.indexOf('.');
  // Too many integer digits for the template: every digit position shows '#'.
  const number = intLen > f.pre ? '#'.repeat(f.pre) + (f.post > 0 ? '.' + '#'.repeat(f.post) : '') : rounded;
  const preSpaces = intLen > f.pre ? 0 : f.pre - intLen;
  const hasZero = f.zeroStart > 0;
  const zeroStart = f.zeroStart - 1; // 0-based, as NUM_processor uses it
  const signChar = negative ? '-' : '+';
  const bracket = f.bracket && !(f.fm && !negative);
  let signWritten = f.minus || (!negative && f.fm && f.sign === undefined);
  // Fill mode drops trailing zeros after the point, unless a 0 stands in their position.
  let lastRelevant = -1;
  if (f.fm && f.post > 0 && number.includes('.')) {
    lastRelevant = number.indexOf('.');
    for (let j = lastRelevant + 1; j < number.length; j++) if (number[j] !== '0') lastRelevant = j;
    if (f.zeroEnd > preSpaces)
      lastRelevant = Math.max(lastRelevant, Math.min(f.zeroEnd - preSpaces, number.length - 1));
  }
  const relevantIsPoint = lastRelevant >= 0 && number[lastRelevant] === '.';
  let np = 0; // the next character of `number`
  let cur = 0; // digit and point positions passed
  let numIn = false; // a digit has been written (group separators show from then on)
  let out = '';
  // predecSpace: a lone integer 0 before a fraction, which a 9 shows as a blank ('0.5' -> 9.9 -> ' .5').
  const predecSpace = (): boolean => !hasZero && np === 0 && number[0] === '0' && f.post > 0;
  const numPart = (zero: boolean): void => {
    if (
      !signWritten &&
      (cur >= preSpaces || (hasZero && zeroStart === cur)) &&
      (!predecSpace() || relevantIsPoint)
    ) {
      if (f.sign === 'pre') out += signChar;
      else if (bracket) out += negative ? '<' : ' ';
      else if (f.sign === undefined) out += negative ? '-' : f.fm ? '' : ' ';
      signWritten = f.sign !== 'post';
    }
    if (cur < preSpaces && (zeroStart > cur || !hasZero)) {
      if (!f.fm) out += ' ';
    } else if (hasZero && cur < preSpaces && zeroStart <= cur) {
      out += '0';
      numIn = true;
    } else if (number[np] === '.') {
      out += '.';
      np++;
    } else {
      if (lastRelevant >= 0 && np > lastRelevant && !zero) {
        // a trailing zero fill mode drops
      } else if (predecSpace()) {
        if (!f.fm) out += ' ';
        else if (relevantIsPoint) out += '0';
      } else {
        out += number[np] ?? '';
        numIn = true;
      }
      if (np < number.length) np++;
    }
  };
  const lastNumPart = f.nodes.reduce((m, n, i) => (n.kind === 'digit' || n.kind === 'point' ? i : m), -1);
  f.nodes.forEach((n, i) => {
    switch (n.kind) {
      case 'digit':
        numPart(n.zero);
        break;
      case 'point':
        numPart(false);
        break;
      case 'group':
        out += numIn ? ',' : f.fm ? '' : ' ';
        break;
      case 'sign':
        if (n.pattern === 'MI') out += negative ? '-' : f.fm ? '' : ' ';
        else if (n.pattern === 'PL') out += negative ? (f.fm ? '' : ' ') : '+';
        else if (n.pattern === 'SG') out += signChar;
        break;
      case 'ordinal':
        // No suffix for negative, fractional or overflowing numbers.
        if (!negative && f.post === 0 && !number.startsWith('#')) out += ordinalSuffix(number, n.upper);
        break;
      case 'literal':
        out += n.text;
        break;
      case 'roman':
        break;
    }
    if (i === lastNumPart) {
      if (signWritten && bracket) out += negative ? '>' : ' ';
      else if (f.sign === 'post') out += signChar;
      cur++;
    } else if (n.kind === 'digit' || n.kind === 'point') cur++;
  });
  return out;
}

/** scientific is the EEEE form: a blank or '-', the mantissa with `post` places, 'e', a signed exponent. */
function scientific(v: NumberInput, post: number): string {
  let mantissa: string;
  let exponent: number;
  if (v.kind === 'float') {
    const [m, e] = Math.abs(v.value).toExponential(post).split('e') as [string, string];
    mantissa = m;
    exponent = Number(e);
  } else {
    // numeric_out_sci: the exponent of the first significant digit, the mantissa rounded half away from zero.
    const d = toDecimal(v.value);
    const abs = d.int < 0n ? -d.int : d.int;
    exponent = abs === 0n ? 0 : abs.toString().length - 1 - d.scale;
    // A mantissa that rounds up to 10 stays so (9.96 -> 10.0e+00), as in PostgreSQL.
    mantissa = formatDecimal(rescale({ int: abs, scale: d.scale + exponent }, post));
  }
  const negative = v.kind === 'float' ? v.value < 0 : v.value.startsWith('-');
  const exp = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${negative ? '-' : ' '}${mantissa}e${exp}`;
}

/** parseNumberWith is to_number(text, format): the digits the template reads, with its decimal places. */
export function parseNumberWith(input: string, format: string): string {
  const f = parseFormat(format);
  if (f.roman) throw notSupported('the RN pattern of to_number');
  const negative = /-/.test(input) || (f.bracket && /</.test(input));
  const body = input.replace(/[\s,+\-<>]/g, '');
  const literals = new Set(f.nodes.flatMap((n) => (n.kind === 'literal' ? [...n.text] : [])));
  let digits = '';
  for (const ch of body) {
    if (/[0-9.]/.test(ch)) digits += ch;
    else if (!literals.has(ch))
      throw notSupported(`to_number of text with "${ch}" that its format does not place`);
  }
  const [int = '', frac = ''] = digits.split('.');
  if (digits.split('.').length > 2 || int.length > f.pre)
    throw notSupported('to_number of text with more digits than its format has');
  if (int === '' && frac === '')
    throw new SqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type numeric: " "`);
  const kept = frac.slice(0, f.post);
  return parseNumeric(`${negative ? '-' : ''}${int === '' ? '0' : int}${kept === '' ? '' : '.' + kept}`);
}
