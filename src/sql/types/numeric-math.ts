/**
 * Exact numeric sqrt, exp, ln, log and power with PostgreSQL 15's result scales (numeric.c: numeric_sqrt,
 * numeric_exp, numeric_ln, log_var, power_var, power_var_int). Everything is computed on scaled bigints with
 * guard digits and rounded half away from zero at the end; nothing goes through floats except PostgreSQL's
 * own double-precision estimates of a result's weight, which only choose the scale.
 */
import { SqlError, SqlState } from '../errors.js';
import { formatDecimal, rescale, toDecimal, type Decimal } from './numeric.js';

/** MIN_SIG_DIGITS: NUMERIC_MIN_SIG_DIGITS, the significant digits a computed result gets at least. */
const MIN_SIG_DIGITS = 16;
/** MAX_DISPLAY_SCALE: NUMERIC_MAX_DISPLAY_SCALE. */
const MAX_DISPLAY_SCALE = 1000;
/** MAX_RESULT_SCALE: NUMERIC_MAX_RESULT_SCALE (power_var's overflow test uses it on ln of the result). */
const MAX_RESULT_SCALE = 2000;
/** GUARD: extra decimal digits carried through the series and square roots. */
const GUARD = 12;
/** MAX_WEIGHT_DIGITS: about the largest decimal weight a numeric holds ((SHRT_MAX + 1) * DEC_DIGITS). */
const MAX_WEIGHT_DIGITS = 131072;

const POW10: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) return (POW10[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}

function clampScale(r: number, ...atLeast: number[]): number {
  for (const m of atLeast) r = Math.max(r, m);
  return Math.min(Math.max(r, 0), MAX_DISPLAY_SCALE);
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Newton's method from above converges down to floor(sqrt(n)).
  let x = 1n << BigInt((n.toString(2).length + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** NBase is a value's first base-10000 digits and weight, as PostgreSQL's NumericVar stores them. */
interface NBase {
  readonly weight: number;
  readonly digits: readonly number[];
}

function nbase(d: Decimal): NBase {
  if (d.int === 0n) return { weight: 0, digits: [] };
  let s = abs(d.int).toString();
  const scale = d.scale;
  if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
  let intPart = s.slice(0, s.length - scale);
  let frac = s.slice(s.length - scale);
  intPart = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  frac = frac.padEnd(Math.ceil(frac.length / 4) * 4, '0');
  const groups: number[] = [];
  for (let i = 0; i < intPart.length; i += 4) groups.push(Number(intPart.slice(i, i + 4)));
  let weight = groups.length - 1;
  for (let i = 0; i < frac.length; i += 4) groups.push(Number(frac.slice(i, i + 4)));
  while (groups.length > 0 && groups[0] === 0) {
    groups.shift();
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  return { weight, digits: groups };
}

/** decimalExponent: floor(log10(|d|)) for d ≠ 0. */
function decimalExponent(d: Decimal): number {
  return abs(d.int).toString().length - 1 - d.scale;
}

function cmpDec(a: Decimal, b: Decimal): number {
  const s = Math.max(a.scale, b.scale);
  const x = rescale(a, s).int;
  const y = rescale(b, s).int;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** estimateLnDweight is PostgreSQL's estimate_ln_dweight: the decimal weight of ln(d). */
function estimateLnDweight(d: Decimal): number {
  if (d.int <= 0n) return 0;
  if (cmpDec(d, { int: 9n, scale: 1 }) >= 0 && cmpDec(d, { int: 11n, scale: 1 }) <= 0) {
    const x = { int: d.int - pow10(d.scale), scale: d.scale };
    return x.int === 0n ? 0 : decimalExponent(x);
  }
  const nb = nbase(d);
  let digits = nb.digits[0]!;
  let dweight = nb.weight * 4;
  if (nb.digits.length > 1) {
    digits = digits * 10000 + nb.digits[1]!;
    dweight -= 4;
  }
  const lnVar = Math.log(digits) + dweight * 2.302585092994046;
  return Math.trunc(Math.log10(Math.abs(lnVar)));
}

function toNumber(x: bigint, scale: number): number {
  return Number(formatDecimal({ int: x, scale }));
}

/** lnOfFixed: ln(y) for y = yfix / 10^q with 1 <= y (roughly, up to 10): scaled by 10^q. */
function lnNearOne(yfix: bigint, q: number): bigint {
  const one = pow10(q);
  let r = 0;
  const limit = one + one / 100n;
  while (yfix > limit) {
    yfix = isqrt(yfix * one);
    r++;
  }
  // ln y = 2 atanh((y - 1) / (y + 1))
  const z = ((yfix - one) * one) / (yfix + one);
  const z2 = (z * z) / one;
  let sum = z;
  let term = z;
  for (let i = 3; ; i += 2) {
    term = (term * z2) / one;
    const t = term / BigInt(i);
    if (t === 0n) break;
    sum += t;
  }
  return 2n * sum * (1n << BigInt(r));
}

const LN10 = new Map<number, bigint>();
function ln10(q: number): bigint {
  let v = LN10.get(q);
  if (v === undefined) {
    v = lnNearOne(10n * pow10(q), q);
    LN10.set(q, v);
  }
  return v;
}

/** lnFixed: ln(d) for d > 0, scaled by 10^p (accurate to a unit or two of the last place). */
function lnFixed(d: Decimal, p: number): bigint {
  const q = p + GUARD;
  const k = decimalExponent(d);
  // y = d / 10^k in [1, 10)
  const shift = q - d.scale - k;
  const yfix = shift >= 0 ? d.int * pow10(shift) : d.int / pow10(-shift);
  const v = lnNearOne(yfix, q) + BigInt(k) * ln10(q);
  return v / pow10(q - p);
}

/** expFixed: e^(t / 10^p) rounded to `scale` digits; `weight` is the result's approximate decimal weight. */
function expFixed(t: bigint, p: number, scale: number): Decimal {
  const tv = toNumber(t, p);
  const weight = tv * 0.434294481903252;
  if (weight > MAX_WEIGHT_DIGITS)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
  if (weight < -(scale + 2)) return { int: 0n, scale };
  let n = 0;
  while (Math.abs(tv) / 2 ** n > 0.01) n++;
  const q = scale + GUARD + Math.ceil(n * 0.30103) + Math.max(0, Math.ceil(weight));
  const one = pow10(q);
  let z = q >= p ? t * pow10(q - p) : t / pow10(p - q);
  z = z / (1n << BigInt(n));
  let sum = one;
  let term = one;
  for (let i = 1; ; i++) {
    term = (term * z) / one / BigInt(i);
    if (term === 0n) break;
    sum += term;
  }
  for (let i = 0; i < n; i++) sum = (sum * sum) / one;
  return rescale({ int: sum, scale: q }, scale);
}

function isNaN_(x: string): boolean {
  return x === 'NaN';
}

/** sqrtAt: the square root of a non-negative `d`, rounded to `rscale` digits after the point. */
export function sqrtAt(d: Decimal, rscale: number): Decimal {
  const r = rscale + 1;
  const e = 2 * r - d.scale;
  const int = e >= 0 ? d.int * pow10(e) : d.int / pow10(-e);
  return rescale({ int: isqrt(int), scale: r }, rscale);
}

/** numericSqrt is sqrt(numeric). */
export function numericSqrt(x: string): string {
  if (isNaN_(x)) return 'NaN';
  const d = toDecimal(x);
  if (d.int < 0n) throw new SqlError('2201F', 'cannot take square root of a negative number');
  const sweight = Math.trunc(((nbase(d).weight + 1) * 4) / 2) - 1;
  const rscale = clampScale(MIN_SIG_DIGITS - sweight, d.scale);
  // floor(sqrt(d) * 10^(rscale+1)), then round to rscale.
  return formatDecimal(sqrtAt(d, rscale));
}

/** numericExp is exp(numeric). */
export function numericExp(x: string): string {
  if (isNaN_(x)) return 'NaN';
  const d = toDecimal(x);
  let val = Number(x) * 0.434294481903252;
  val = Math.min(Math.max(val, -MAX_DISPLAY_SCALE), MAX_DISPLAY_SCALE);
  const rscale = clampScale(MIN_SIG_DIGITS - Math.trunc(val), d.scale);
  const p = rscale + GUARD + Math.max(0, Math.ceil(val));
  const t = rescale(d, Math.max(d.scale, p));
  return formatDecimal(expFixed(t.int, t.scale, rscale));
}

function checkLnArg(d: Decimal): void {
  if (d.int === 0n) throw new SqlError('2201E', 'cannot take logarithm of zero');
  if (d.int < 0n) throw new SqlError('2201E', 'cannot take logarithm of a negative number');
}

/** numericLn is ln(numeric). */
export function numericLn(x: string): string {
  if (isNaN_(x)) return 'NaN';
  const d = toDecimal(x);
  checkLnArg(d);
  const rscale = clampScale(MIN_SIG_DIGITS - estimateLnDweight(d), d.scale);
  return formatDecimal(rescale({ int: lnFixed(d, rscale + GUARD), scale: rscale + GUARD }, rscale));
}

/** numericLog is log(base, x) on numerics (log(x) is log(10, x)). */
export function numericLog(base: string, x: string): string {
  if (isNaN_(base) || isNaN_(x)) return 'NaN';
  const b = toDecimal(base);
  const d = toDecimal(x);
  checkLnArg(b);
  checkLnArg(d);
  const resultDweight = estimateLnDweight(d) - estimateLnDweight(b);
  const rscale = clampScale(MIN_SIG_DIGITS - resultDweight, b.scale, d.scale);
  // Enough digits of both logarithms that their quotient is right to rscale.
  const p = rscale + GUARD + Math.max(0, resultDweight) + Math.max(0, -estimateLnDweight(b)) + 2;
  const lb = lnFixed(b, p);
  const ld = lnFixed(d, p);
  if (lb === 0n) throw new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
  // (ld / lb) to rscale + 1 digits, then round.
  const q = (ld * pow10(rscale + 1)) / lb;
  return formatDecimal(rescale({ int: q, scale: rscale + 1 }, rscale));
}

function isIntegral(d: Decimal): boolean {
  return d.scale === 0 || d.int % pow10(d.scale) === 0n;
}

/** numericPower is numeric ^ numeric (and power(numeric, numeric)). */
export function numericPower(base: string, exp: string): string {
  if (isNaN_(base) || isNaN_(exp)) {
    if (isNaN_(base) && !isNaN_(exp) && toDecimal(exp).int === 0n) return '1';
    if (!isNaN_(base) && cmpDec(toDecimal(base), { int: 1n, scale: 0 }) === 0) return '1';
    return 'NaN';
  }
  const b = toDecimal(base);
  const e = toDecimal(exp);
  if (b.int === 0n && e.int < 0n) throw new SqlError('2201F', 'zero raised to a negative power is undefined');
  if (b.int < 0n && !isIntegral(e))
    throw new SqlError('2201F', 'a negative number raised to a non-integer power yields a complex result');
  if (isIntegral(e)) {
    const ev = e.int / pow10(e.scale);
    if (ev >= -2147483648n && ev <= 2147483647n) return formatDecimal(powerInt(b, Number(ev)));
  }
  const rscaleZero = MIN_SIG_DIGITS;
  if (b.int === 0n) return formatDecimal({ int: 0n, scale: rscaleZero });
  // Only integral exponents reach here with a negative base (beyond int32: even or odd by the last digit).
  let negative = false;
  let ab = b;
  if (b.int < 0n) {
    negative = (e.int / pow10(e.scale)) % 2n !== 0n;
    ab = { int: -b.int, scale: b.scale };
  }
  const lnDweight = estimateLnDweight(ab);
  // A low-precision estimate of exp * ln(base) chooses the scale, as power_var does.
  const est = toNumber(lnFixed(ab, Math.max(8 - lnDweight, 0) + 4), Math.max(8 - lnDweight, 0) + 4);
  let val = est * toNumber(e.int, e.scale);
  if (Math.abs(val) > MAX_RESULT_SCALE * 3.01) {
    if (val > 0) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
    return formatDecimal({ int: 0n, scale: MAX_DISPLAY_SCALE });
  }
  val *= 0.434294481903252;
  const rscale = clampScale(MIN_SIG_DIGITS - Math.trunc(val), ab.scale, e.scale);
  const sig = Math.max(rscale + Math.trunc(val), 0);
  const eDigits = Math.max(0, decimalExponent(e) + 1);
  const p = sig + GUARD + eDigits + Math.max(0, -lnDweight) + 2;
  const lnb = lnFixed(ab, p);
  const t = lnb * e.int; // scaled by 10^(p + e.scale)
  const r = expFixed(t, p + e.scale, rscale);
  return formatDecimal(negative ? { int: -r.int, scale: r.scale } : r);
}

/** powerInt is power_var_int: base ^ exp for an int32 exp, rounded to PostgreSQL's scale. */
function powerInt(b: Decimal, exp: number): Decimal {
  const rscale = clampScale(MIN_SIG_DIGITS, b.scale);
  if (exp === 0) return { int: pow10(rscale), scale: rscale };
  if (b.int === 0n) {
    if (exp < 0) throw new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
    return { int: 0n, scale: rscale };
  }
  const n = Math.abs(exp);
  const digits = abs(b.int).toString().length;
  const log10b = Math.log10(Number(`0.${abs(b.int).toString().slice(0, 17)}`)) + digits - b.scale;
  const f = n * log10b * Math.sign(exp);
  if (f > MAX_WEIGHT_DIGITS * 4)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
  if (f + 1 < -MAX_DISPLAY_SCALE) return { int: 0n, scale: MAX_DISPLAY_SCALE };
  let x: Decimal;
  if (digits * n <= 200000) {
    x = { int: b.int ** BigInt(n), scale: b.scale * n };
  } else {
    // Too many exact digits: square and multiply at a fixed scale with generous guard digits.
    const w = rscale + GUARD + Math.ceil(Math.log10(n)) + (exp < 0 ? 2 * Math.ceil(Math.abs(f)) : 0);
    const one = pow10(w);
    let acc = one;
    let sq = rescale(b, w).int;
    let m = n;
    while (m > 0) {
      if (m & 1) acc = (acc * sq) / one;
      m = Math.floor(m / 2);
      if (m > 0) sq = (sq * sq) / one;
    }
    x = { int: acc, scale: w };
  }
  if (exp > 0) return rescale(x, rscale);
  // 1 / x rounded to rscale.
  const shift = x.scale + rscale + 1;
  const q = pow10(shift) / x.int;
  return rescale({ int: q, scale: rscale + 1 }, rscale);
}
