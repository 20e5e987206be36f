/**
 * float8 functions whose results must match PostgreSQL's bit for bit where JavaScript's Math differs from
 * the C library PostgreSQL calls (glibc): cbrt, and pow with PostgreSQL's errors.
 */
import { SqlError, SqlState } from '../errors.js';
import type { Value } from './sql-type.js';

// glibc's constants, written as the shortest decimals of the same doubles.
const CBRT2 = 1.2599210498948732; // 2^(1/3)
const SQR_CBRT2 = 1.5874010519681996; // 2^(2/3)
const CBRT_FACTOR = [1.0 / SQR_CBRT2, 1.0 / CBRT2, 1.0, CBRT2, SQR_CBRT2];

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = 1; // little-endian: the high word is the second

/** frexp splits a finite non-zero x into m·2^e with 0.5 <= m < 1. */
function frexp(x: number): [number, number] {
  let extra = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 2 ** 54;
    extra = -54;
  }
  F64[0] = x;
  const hi = U32[HI]!;
  const e = ((hi >>> 20) & 0x7ff) - 1022;
  U32[HI] = (hi & 0x800fffff) | (1022 << 20);
  return [F64[0], e + extra];
}

/** cbrt is glibc's cbrt (a polynomial guess and one Halley step), which PostgreSQL's cbrt() calls. */
export function cbrt(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x + x;
  const [xm, xe] = frexp(Math.abs(x));
  // prettier-ignore
  const u = (0.35489576504391984 + ((1.508191937815849 + ((-2.114994941673713 + ((2.4469312256353444 +
    ((-1.8346927748361308 + (0.7849323449766392 - 0.14526389938548637 * xm) * xm) * xm)) * xm)) * xm)) * xm));
  const t2 = u * u * u;
  const ym = ((u * (t2 + 2.0 * xm)) / (2.0 * t2 + xm)) * CBRT_FACTOR[2 + (xe % 3)]!;
  return (x > 0 ? ym : -ym) * 2 ** Math.trunc(xe / 3);
}

/** floatPower is float8 ^ float8 (dpow) with PostgreSQL's errors. */
export function floatPower(x: Value, y: Value): Value {
  const a = x as number;
  const b = y as number;
  if (a === 0 && b < 0) throw new SqlError('2201F', 'zero raised to a negative power is undefined');
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b))
    throw new SqlError('2201F', 'a negative number raised to a non-integer power yields a complex result');
  const v = Math.pow(a, b);
  if (!Number.isFinite(v) && Number.isFinite(a) && Number.isFinite(b))
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
  if (v === 0 && a !== 0 && Number.isFinite(a) && Number.isFinite(b))
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: underflow');
  return v;
}
