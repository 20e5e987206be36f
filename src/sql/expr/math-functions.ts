/**
 * More math functions with PostgreSQL's types and errors: div, gcd, lcm, width_bucket (numeric exactly,
 * float8), degrees, radians.
 */
import { SqlError, SqlState } from '../errors.js';
import { compareNumeric, formatDecimal, rescale, toDecimal } from '../types/numeric.js';
import { checkInt, checkInt8 } from '../types/text-io.js';
import {
  isInteger,
  isNumericType,
  sqlType,
  type SqlType,
  type TypeId,
  type Value,
} from '../types/sql-type.js';
import type { FunctionDef } from './functions.js';

const T = (id: TypeId): SqlType => sqlType(id);

/** RADIANS_PER_DEGREE: PostgreSQL's constant (float.c). */
const RADIANS_PER_DEGREE = 0.017453292519943295;

function divisionByZero(): SqlError {
  return new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
}

/** integerKind: the integer type two integer arguments meet in, or numeric. */
function kindOf(types: readonly SqlType[]): TypeId | undefined {
  if (!types.every((t) => isNumericType(t.id) || t.id === 'unknown')) return undefined;
  if (types.some((t) => t.id === 'float4' || t.id === 'float8' || t.id === 'numeric')) return 'numeric';
  if (types.some((t) => t.id === 'int8' || t.id === 'oid')) return 'int8';
  return 'int4';
}

function bigGcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function numericGcd(a: string, b: string, lcm: boolean): string {
  if (a === 'NaN' || b === 'NaN') return 'NaN';
  const x = toDecimal(a);
  const y = toDecimal(b);
  const s = Math.max(x.scale, y.scale);
  const xi = rescale(x, s).int;
  const yi = rescale(y, s).int;
  if (!lcm) return formatDecimal({ int: bigGcd(xi, yi), scale: s });
  if (xi === 0n || yi === 0n) return formatDecimal({ int: 0n, scale: s });
  const l = (xi / bigGcd(xi, yi)) * yi;
  return formatDecimal({ int: l < 0n ? -l : l, scale: s });
}

function gcdLcm(lcm: boolean): FunctionDef {
  return (types) => {
    if (types.length !== 2) return undefined;
    const k = kindOf(types);
    if (k === undefined) return undefined;
    const t = T(k);
    return {
      args: [t, t],
      result: t,
      impl: ([a, b]) => {
        if (k === 'numeric') return numericGcd(a as string, b as string, lcm);
        const x = BigInt(a as number | bigint);
        const y = BigInt(b as number | bigint);
        let r: bigint;
        if (!lcm) r = bigGcd(x, y);
        else if (x === 0n || y === 0n) r = 0n;
        else {
          r = (x / bigGcd(x, y)) * y;
          if (r < 0n) r = -r;
        }
        if (k === 'int8') return checkInt8(r);
        if (r > 2147483647n) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'integer out of range');
        return checkInt('int4', Number(r));
      },
    };
  };
}

function widthBucketError(msg: string): SqlError {
  return new SqlError('2201G', msg);
}

function widthBucketNumeric(x: string, lo: string, hi: string, count: number): number {
  if (count <= 0) throw widthBucketError('count must be greater than zero');
  if (x === 'NaN' || lo === 'NaN' || hi === 'NaN')
    throw widthBucketError('operand, lower bound, and upper bound cannot be NaN');
  const c = compareNumeric(lo, hi);
  if (c === 0) throw widthBucketError('lower bound cannot equal upper bound');
  const dx = toDecimal(x);
  const dl = toDecimal(lo);
  const dh = toDecimal(hi);
  const s = Math.max(dx.scale, dl.scale, dh.scale);
  const xi = rescale(dx, s).int;
  const li = rescale(dl, s).int;
  const hiI = rescale(dh, s).int;
  let r: bigint;
  if (c < 0) {
    if (xi < li) return 0;
    if (xi >= hiI) r = BigInt(count) + 1n;
    else r = ((xi - li) * BigInt(count)) / (hiI - li) + 1n;
  } else {
    if (xi > li) return 0;
    if (xi <= hiI) r = BigInt(count) + 1n;
    else r = ((li - xi) * BigInt(count)) / (li - hiI) + 1n;
  }
  if (r > 2147483647n) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'integer out of range');
  return Number(r);
}

function widthBucketFloat(x: number, lo: number, hi: number, count: number): number {
  if (count <= 0) throw widthBucketError('count must be greater than zero');
  if (Number.isNaN(x) || Number.isNaN(lo) || Number.isNaN(hi))
    throw widthBucketError('operand, lower bound, and upper bound cannot be NaN');
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw widthBucketError('lower and upper bounds must be finite');
  if (lo === hi) throw widthBucketError('lower bound cannot equal upper bound');
  let r: number;
  if (lo < hi) {
    if (x < lo) return 0;
    r = x >= hi ? count + 1 : Math.floor(((x - lo) / (hi - lo)) * count) + 1;
  } else {
    if (x > lo) return 0;
    r = x <= hi ? count + 1 : Math.floor(((lo - x) / (lo - hi)) * count) + 1;
  }
  if (r > 2147483647) throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'integer out of range');
  return r;
}

const floatFn =
  (f: (x: number) => number): FunctionDef =>
  (types) =>
    types.length === 1 && (isNumericType(types[0]!.id) || types[0]!.id === 'unknown')
      ? { args: [T('float8')], result: T('float8'), impl: ([x]) => f(x as number) }
      : undefined;

/** MATH_FUNCTIONS: registered into functions.ts's table. */
export const MATH_FUNCTIONS: Record<string, FunctionDef> = {
  div: (types) =>
    types.length === 2 && types.every((t) => isNumericType(t.id) || t.id === 'unknown')
      ? {
          args: [T('numeric'), T('numeric')],
          result: T('numeric'),
          impl: ([a, b]): Value => {
            if (a === 'NaN' || b === 'NaN') return 'NaN';
            const x = toDecimal(a as string);
            const y = toDecimal(b as string);
            const s = Math.max(x.scale, y.scale);
            const yi = rescale(y, s).int;
            if (yi === 0n) throw divisionByZero();
            return formatDecimal({ int: rescale(x, s).int / yi, scale: 0 });
          },
        }
      : undefined,
  gcd: gcdLcm(false),
  lcm: gcdLcm(true),
  width_bucket: (types) => {
    if (types.length !== 4 || !isInteger(types[3]!.id === 'unknown' ? 'int4' : types[3]!.id))
      return undefined;
    const k = kindOf(types.slice(0, 3));
    if (k === undefined) return undefined;
    const floats = types.slice(0, 3).some((t) => t.id === 'float4' || t.id === 'float8');
    if (floats)
      return {
        args: [T('float8'), T('float8'), T('float8'), T('int4')],
        result: T('int4'),
        impl: ([x, lo, hi, c]) => widthBucketFloat(x as number, lo as number, hi as number, c as number),
      };
    return {
      args: [T('numeric'), T('numeric'), T('numeric'), T('int4')],
      result: T('int4'),
      impl: ([x, lo, hi, c]) => widthBucketNumeric(x as string, lo as string, hi as string, c as number),
    };
  },
  degrees: floatFn((x) => x / RADIANS_PER_DEGREE),
  radians: floatFn((x) => x * RADIANS_PER_DEGREE),
  sin: floatFn(finiteInput(Math.sin)),
  cos: floatFn(finiteInput(Math.cos)),
  tan: floatFn(finiteInput(Math.tan)),
  cot: floatFn(finiteInput((x) => 1 / Math.tan(x))),
  asin: floatFn(inRange(Math.asin, -1, 1)),
  acos: floatFn(inRange(Math.acos, -1, 1)),
  atan: floatFn(Math.atan),
  atan2: (types) =>
    types.length === 2 && types.every((t) => isNumericType(t.id) || t.id === 'unknown')
      ? {
          args: [T('float8'), T('float8')],
          result: T('float8'),
          impl: ([y, x]) => Math.atan2(y as number, x as number),
        }
      : undefined,
  sinh: floatFn(Math.sinh),
  cosh: floatFn(Math.cosh),
  tanh: floatFn(Math.tanh),
  asinh: floatFn(Math.asinh),
  acosh: floatFn(inRange(Math.acosh, 1, Infinity)),
  atanh: floatFn(inRange(Math.atanh, -1, 1)),
  factorial: (types) =>
    types.length === 1 && (isInteger(types[0]!.id) || types[0]!.id === 'unknown')
      ? { args: [T('int8')], result: T('numeric'), impl: ([n]) => factorial(n as bigint) }
      : undefined,
};

/** inputOutOfRange: PostgreSQL's error for an argument outside a function's domain. */
function inputOutOfRange(): SqlError {
  return new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'input is out of range');
}

/** finiteInput: f of a finite x (NaN of NaN); infinities are out of range, as PostgreSQL's dsin and friends. */
function finiteInput(f: (x: number) => number): (x: number) => number {
  return (x) => {
    if (Number.isNaN(x)) return NaN;
    if (!Number.isFinite(x)) throw inputOutOfRange();
    return f(x);
  };
}

/** inRange: f of x in [lo, hi] (NaN of NaN); outside it, out of range. */
function inRange(f: (x: number) => number, lo: number, hi: number): (x: number) => number {
  return (x) => {
    if (Number.isNaN(x)) return NaN;
    if (x < lo || x > hi) throw inputOutOfRange();
    return f(x);
  };
}

/** FACTORIAL_MAX: the largest n whose factorial fits numeric's 131072 digits before the point. */
const FACTORIAL_MAX = 32177n;

/** factorial: n! as numeric text, multiplied as a balanced product tree (fast for large n). */
function factorial(n: bigint): string {
  if (n < 0n)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'factorial of a negative number is undefined');
  if (n > FACTORIAL_MAX)
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
  const product = (lo: bigint, hi: bigint): bigint => {
    if (hi - lo < 8n) {
      let p = 1n;
      for (let i = lo; i <= hi; i++) p *= i;
      return p;
    }
    const mid = (lo + hi) / 2n;
    return product(lo, mid) * product(mid + 1n, hi);
  };
  return (n < 2n ? 1n : product(2n, n)).toString();
}
