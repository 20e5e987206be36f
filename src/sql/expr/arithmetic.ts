/**
 * Arithmetic on numbers of one resolved type, with PostgreSQL's errors: integer overflow is 22003 ("integer
 * out of range"), division by zero 22012, float results that overflow 22003.
 */
import { SqlError, SqlState } from '../errors.js';
import { checkInt, checkInt8 } from '../types/text-io.js';
import { formatDecimal, rescale, toDecimal, type Decimal } from '../types/numeric.js';
import type { TypeId, Value } from '../types/sql-type.js';

export type ArithOp = '+' | '-' | '*' | '/' | '%';

function divisionByZero(): SqlError {
  return new SqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
}

function floatResult(r: number, a: number, b: number): number {
  if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b))
    throw new SqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
  return r;
}

/** arithmetic returns the function computing `a op b` for two non-null values of type t. */
export function arithmetic(op: ArithOp, t: TypeId): (a: Value, b: Value) => Value {
  switch (t) {
    case 'int2':
    case 'int4':
      return (a, b) => {
        const x = a as number;
        const y = b as number;
        switch (op) {
          case '+':
            return checkInt(t, x + y);
          case '-':
            return checkInt(t, x - y);
          case '*':
            return checkInt(t, x * y);
          case '/':
            if (y === 0) throw divisionByZero();
            return checkInt(t, Math.trunc(x / y));
          case '%':
            if (y === 0) throw divisionByZero();
            return x % y === 0 ? 0 : x % y;
        }
      };
    case 'int8':
    case 'oid':
      return (a, b) => {
        const x = a as bigint;
        const y = b as bigint;
        switch (op) {
          case '+':
            return checkInt8(x + y);
          case '-':
            return checkInt8(x - y);
          case '*':
            return checkInt8(x * y);
          case '/':
            if (y === 0n) throw divisionByZero();
            return checkInt8(x / y);
          case '%':
            if (y === 0n) throw divisionByZero();
            return x % y;
        }
      };
    case 'float4':
    case 'float8':
      return (a, b) => {
        const x = a as number;
        const y = b as number;
        let r: number;
        switch (op) {
          case '+':
            r = x + y;
            break;
          case '-':
            r = x - y;
            break;
          case '*':
            r = x * y;
            break;
          case '/':
            if (y === 0) throw divisionByZero();
            r = x / y;
            break;
          case '%':
            throw new SqlError(
              SqlState.UNDEFINED_FUNCTION,
              'operator does not exist: double precision % double precision',
            );
        }
        r = floatResult(r, x, y);
        return t === 'float4' ? Math.fround(r) : r;
      };
    case 'numeric':
      return (a, b) => numericOp(op, a as string, b as string);
    default:
      throw new SqlError(SqlState.UNDEFINED_FUNCTION, `operator does not exist: ${t} ${op} ${t}`);
  }
}

/** numericOp computes on canonical numeric text. */
export function numericOp(op: ArithOp, a: string, b: string): string {
  if (a === 'NaN' || b === 'NaN') return 'NaN';
  const x = toDecimal(a);
  const y = toDecimal(b);
  const s = Math.max(x.scale, y.scale);
  switch (op) {
    case '+':
      return formatDecimal({ int: rescale(x, s).int + rescale(y, s).int, scale: s });
    case '-':
      return formatDecimal({ int: rescale(x, s).int - rescale(y, s).int, scale: s });
    case '*':
      return formatDecimal({ int: x.int * y.int, scale: x.scale + y.scale });
    case '/':
      if (y.int === 0n) throw divisionByZero();
      return formatDecimal(divide(x, y, divScale(x, y)));
    case '%': {
      if (y.int === 0n) throw divisionByZero();
      const xi = rescale(x, s).int;
      const yi = rescale(y, s).int;
      return formatDecimal({ int: xi % yi, scale: s });
    }
  }
}

/** divide computes x / y rounded (half away from zero) to `scale` digits. */
export function divide(x: Decimal, y: Decimal, scale: number): Decimal {
  // x.int/10^xs ÷ y.int/10^ys = (x.int * 10^(ys + scale + 1 - xs)) / y.int / 10^(scale+1), then round.
  const shift = y.scale + scale + 1 - x.scale;
  const num = shift >= 0 ? x.int * 10n ** BigInt(shift) : x.int / 10n ** BigInt(-shift);
  const q = num / y.int;
  return rescale({ int: q, scale: scale + 1 }, scale);
}

/**
 * divScale is PostgreSQL's select_div_scale: at least 16 significant digits, and no fewer digits after the
 * point than either input has. Weights are counted in base-10000 digits as numeric stores them.
 */
export function divScale(x: Decimal, y: Decimal): number {
  const w1 = weight(x);
  const w2 = weight(y);
  let qweight = w1.weight - w2.weight;
  if (w1.first <= w2.first) qweight--;
  let rscale = 16 - qweight * 4;
  rscale = Math.max(rscale, x.scale, y.scale, 0);
  return Math.min(rscale, 1000);
}

function weight(d: Decimal): { weight: number; first: number } {
  const digits = (d.int < 0n ? -d.int : d.int).toString();
  if (d.int === 0n) return { weight: 0, first: 0 };
  // Position of the most significant decimal digit relative to the point.
  const intDigits = digits.length - d.scale; // may be <= 0
  const w = Math.floor((intDigits - 1) / 4);
  // First base-10000 digit: the group of 4 decimal digits containing the most significant digit.
  const groupStart = (w + 1) * 4; // number of decimal places above the point covered
  const lead = groupStart - intDigits; // leading zeros inside the first group
  const firstGroup = ('0'.repeat(lead) + digits).padEnd(4, '0').slice(0, 4);
  return { weight: w, first: Number(firstGroup) };
}
