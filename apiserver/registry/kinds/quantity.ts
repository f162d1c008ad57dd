/**
 * resource.Quantity parsing to a number, enough to compare requests with
 * limits (QoS class). Unparseable quantities yield NaN.
 */

const binarySuffixes: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimalSuffixes: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const quantityPattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|n|u|m|k|M|G|T|P|E)?$/;

export function parseQuantity(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number.NaN;
  const match = quantityPattern.exec(value.trim());
  if (!match) return Number.NaN;
  const base = Number(match[1]);
  const suffix = match[2] ?? '';
  if (suffix in binarySuffixes) return base * binarySuffixes[suffix]!;
  if (suffix in decimalSuffixes) return base * decimalSuffixes[suffix]!;
  return base * 10 ** Number(suffix.slice(1));
}
