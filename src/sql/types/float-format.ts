/**
 * PostgreSQL's float output (extra_float_digits = 1, the default since 12): the shortest digits that read
 * back to the same value, written in fixed notation when the decimal exponent is in [-4, 15) and as
 * d.ddde±XX otherwise (at least two exponent digits).
 */

/** formatFloat8 renders a double as PostgreSQL's float8out does. */
export function formatFloat8(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return layout(v.toExponential(), 15);
}

/** formatFloat4 renders a float4 value (held as a double) with the fewest digits that survive fround. */
export function formatFloat4(v: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v) || v === 0) return formatFloat8(v);
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = f.toExponential(p - 1);
    if (Math.fround(Number(s)) === f) return layout(s, 6);
  }
  return layout(f.toExponential(8), 6);
}

/** layout turns JavaScript's exponential form "d.ddde±x" into PostgreSQL's choice of notation. */
function layout(exp: string, maxFixedExponent: number): string {
  const [mantissa, e] = exp.split('e') as [string, string];
  const x = Number(e);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (x < -4 || x >= maxFixedExponent) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ax = Math.abs(x);
    return `${sign}${m}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  }
  if (x < 0) return `${sign}0.${'0'.repeat(-x - 1)}${digits}`;
  if (digits.length <= x + 1) return sign + digits + '0'.repeat(x + 1 - digits.length);
  return `${sign}${digits.slice(0, x + 1)}.${digits.slice(x + 1)}`;
}
