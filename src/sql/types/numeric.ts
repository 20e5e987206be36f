/**
 * numeric values as canonical decimal text ("-12.50", "0", "NaN"): PostgreSQL keeps the scale a value was
 * written with, so 1.50 stays "1.50". Arithmetic goes through a scaled bigint (Decimal).
 */
import { SqlError, SqlState } from '../errors.js';

/** Decimal is a numeric value as an integer and a count of digits after the point (value = int / 10^scale). */
export interface Decimal {
  readonly int: bigint;
  readonly scale: number;
}

const NUMERIC_RE = /^\s*([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?\s*$/;

/** parseNumeric reads numeric input text; throws 22P02 when it is not a number. */
export function parseNumeric(text: string): string {
  if (/^\s*nan\s*$/i.test(text)) return 'NaN';
  const m = NUMERIC_RE.exec(text);
  if (m === null)
    throw new SqlError(
      SqlState.INVALID_TEXT_REPRESENTATION,
      `invalid input syntax for type numeric: "${text}"`,
    );
  const [, sign, body, expText] = m as unknown as [string, string, string, string | undefined];
  const point = body.indexOf('.');
  const intPart = point < 0 ? body : body.slice(0, point);
  const frac = point < 0 ? '' : body.slice(point + 1);
  const exp = expText === undefined ? 0 : Number(expText);
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
  let int = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
  let scale = frac.length - exp;
  if (scale < 0) {
    int *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return formatDecimal({ int: sign === '-' ? -int : int, scale });
}

/** toDecimal reads canonical numeric text (or an integer) into a Decimal. NaN is not representable. */
export function toDecimal(v: string | number | bigint): Decimal {
  if (typeof v === 'bigint') return { int: v, scale: 0 };
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return { int: BigInt(v), scale: 0 };
    return toDecimal(parseNumeric(String(v)));
  }
  const neg = v.startsWith('-');
  const body = neg ? v.slice(1) : v;
  const point = body.indexOf('.');
  const int = BigInt(point < 0 ? body : body.slice(0, point) + body.slice(point + 1));
  return { int: neg ? -int : int, scale: point < 0 ? 0 : body.length - point - 1 };
}

/** formatDecimal writes a Decimal as canonical numeric text. */
export function formatDecimal(d: Decimal): string {
  const neg = d.int < 0n;
  let s = (neg ? -d.int : d.int).toString();
  if (d.scale > 0) {
    if (s.length <= d.scale) s = '0'.repeat(d.scale - s.length + 1) + s;
    s = `${s.slice(0, s.length - d.scale)}.${s.slice(s.length - d.scale)}`;
  }
  return neg && d.int !== 0n ? '-' + s : s;
}

/** rescale returns d with exactly `scale` digits after the point, rounding half away from zero. */
export function rescale(d: Decimal, scale: number): Decimal {
  if (scale === d.scale) return d;
  if (scale > d.scale) return { int: d.int * 10n ** BigInt(scale - d.scale), scale };
  const div = 10n ** BigInt(d.scale - scale);
  const q = d.int / div;
  const r = d.int % div;
  const twice = (r < 0n ? -r : r) * 2n;
  return { int: twice >= div ? q + (d.int < 0n ? -1n : 1n) : q, scale };
}

/** compareDecimalText orders two canonical numeric texts (NaN above everything, as PostgreSQL). */
export function compareNumeric(a: string, b: string): number {
  if (a === 'NaN' || b === 'NaN') return a === b ? 0 : a === 'NaN' ? 1 : -1;
  const x = toDecimal(a);
  const y = toDecimal(b);
  const s = Math.max(x.scale, y.scale);
  const d = rescale(x, s).int - rescale(y, s).int;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** applyNumericTypmod rounds to numeric(p,s) and checks the precision (22003 when it does not fit). */
export function applyNumericTypmod(v: string, typmod: number): string {
  if (typmod < 4 || v === 'NaN') return v;
  const m = typmod - 4;
  const precision = m >> 16;
  const scale = m & 0xffff;
  const d = rescale(toDecimal(v), scale);
  const digits = (d.int < 0n ? -d.int : d.int).toString().length;
  if (d.int !== 0n && digits - scale > precision - scale)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'numeric field overflow', {
      detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${precision - scale === 0 ? '1' : `10^${precision - scale}`}.`,
    });
  return formatDecimal(d);
}
