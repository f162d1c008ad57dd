/**
 * resource.Quantity parsing (apimachinery pkg/api/resource): `100m`, `1.5`,
 * `128Mi`, `1G`, `2Ki`, `1e3`. Values are held as an exact rational so that
 * `0.1` cpu is 100 millicores, not 100.00000000000001; like Quantity.Value()
 * and MilliValue(), conversions round up.
 */

const binarySuffixes: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const quantityPattern = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** A parsed quantity: the exact value is `numerator / denominator`. */
export interface Quantity {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

export class QuantityParseError extends Error {
  constructor(input: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    this.name = 'QuantityParseError';
    this.input = input;
  }
  readonly input: string;
}

/** Parses a Quantity as it appears in JSON: a string, or a bare number. */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberToText(input) : input.trim();
  const m = quantityPattern.exec(text);
  if (!m) throw new QuantityParseError(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') throw new QuantityParseError(text);
  let numerator = BigInt((whole || '0') + fraction);
  let denominator = 10n ** BigInt(fraction.length);
  if (sign === '-') numerator = -numerator;
  let exponent = 0;
  const binary = binarySuffixes[suffix];
  if (binary !== undefined) {
    numerator *= binary;
  } else if (suffix.length > 1) {
    exponent = Number(suffix.slice(1));
  } else {
    exponent = decimalSuffixes[suffix] ?? 0;
  }
  if (exponent > 0) numerator *= 10n ** BigInt(exponent);
  else if (exponent < 0) denominator *= 10n ** BigInt(-exponent);
  return { numerator, denominator };
}

function numberToText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityParseError(String(n));
  // String(1e21) is "1e+21", which the pattern accepts; String(0.1) is exact enough for decimal input.
  return String(n);
}

/** ceil(numerator * 10^scale / denominator), as Quantity.ScaledValue rounds up. */
function scaledCeil(q: Quantity, scale: number): number {
  const num = q.numerator * 10n ** BigInt(scale);
  let result = num / q.denominator;
  if (num % q.denominator !== 0n && num > 0n) result += 1n;
  return Number(result);
}

/** Quantity.Value(): whole units, rounded up (bytes for memory, cores for cpu). */
export function quantityValue(input: string | number | Quantity): number {
  return scaledCeil(typeof input === 'object' ? input : parseQuantity(input), 0);
}

/** Quantity.MilliValue(): thousandths, rounded up (millicores for cpu). */
export function quantityMilliValue(input: string | number | Quantity): number {
  return scaledCeil(typeof input === 'object' ? input : parseQuantity(input), 3);
}
