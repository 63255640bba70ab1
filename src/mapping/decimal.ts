/**
 * Exact decimal rounding and shifting for money, on BigInt mantissas. Floats are never multiplied:
 * 1.005 × 100 is 100.49999… in binary, but 1.005 shifted by two places is 100.5 here.
 */

export type RoundingMode = 'half-up' | 'half-even' | 'half-down' | 'floor' | 'ceil' | 'trunc';

interface Decimal {
  /** value = mantissa × 10^-scale */
  mantissa: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parses a finite number (via its shortest round-trip text) or a decimal string; undefined if not numeric. */
export function parseDecimal(value: number | string): Decimal | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = DECIMAL.exec(text);
  if (!m) return undefined;
  const [, sign, int = '', frac = '', exp = '0'] = m;
  if (int === '' && frac === '') return undefined;
  const digits = `${int}${frac}`.replace(/^0+(?=\d)/, '');
  const scale = frac.length - Number(exp);
  // Doubles reach about 1e±324; beyond ±1100 places nothing representable is left to round.
  if (!Number.isSafeInteger(scale) || Math.abs(scale) > 1100) return undefined;
  const mantissa = BigInt(digits === '' ? '0' : digits);
  return { mantissa: sign === '-' ? -mantissa : mantissa, scale };
}

/** Rounds `d` to `scale` decimal places; returns the mantissa at that scale. */
function rescale(d: Decimal, scale: number, mode: RoundingMode): bigint {
  if (d.scale <= scale) return d.mantissa * 10n ** BigInt(scale - d.scale);
  const divisor = 10n ** BigInt(d.scale - scale);
  const q = d.mantissa / divisor; // truncates toward zero
  const r = d.mantissa % divisor;
  if (r === 0n) return q;
  const negative = d.mantissa < 0n;
  const twice = (r < 0n ? -r : r) * 2n;
  const away = negative ? q - 1n : q + 1n;
  switch (mode) {
    case 'trunc':
      return q;
    case 'floor':
      return negative ? q - 1n : q;
    case 'ceil':
      return negative ? q : q + 1n;
    case 'half-up':
      return twice >= divisor ? away : q;
    case 'half-down':
      return twice > divisor ? away : q;
    case 'half-even':
      if (twice > divisor) return away;
      if (twice < divisor) return q;
      return q % 2n === 0n ? q : away;
  }
}

/** True when the decimal value has no fractional part (exactly, not after float conversion). */
export function isIntegral(value: number | string): boolean | undefined {
  const d = parseDecimal(value);
  if (!d) return undefined;
  return d.scale <= 0 || d.mantissa % 10n ** BigInt(d.scale) === 0n;
}

/** `value` rounded to `digits` decimal places, as a number. */
export function roundDecimal(value: number | string, digits: number, mode: RoundingMode): number | undefined {
  const d = parseDecimal(value);
  if (!d) return undefined;
  const m = rescale(d, digits, mode);
  return Number(`${m}e${-digits}`);
}

/** `value` × 10^exponent rounded to an integer: decimal amount → minor units. */
export function toMinorUnits(value: number | string, exponent: number, mode: RoundingMode): number | undefined {
  const d = parseDecimal(value);
  if (!d) return undefined;
  const m = rescale({ mantissa: d.mantissa, scale: d.scale - exponent }, 0, mode);
  return Number(m);
}

/** Minor units → decimal string with exactly `exponent` places (e.g. 1999, 2 → "19.99"). */
export function fromMinorUnits(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const int = digits.slice(0, digits.length - exponent);
  const frac = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${int}${exponent > 0 ? `.${frac}` : ''}`;
}

/**
 * ISO 4217 minor-unit exponents that differ from 2. Stripe, Mollie and Shopify use these for
 * amounts in minor units (Stripe additionally treats some 2-decimal currencies specially, e.g.
 * HUF and TWD payouts: name the exponent explicitly for those).
 */
const EXPONENTS: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

const exponentCache = new Map<string, number | undefined>();

/** The minor-unit exponent of an ISO 4217 code (any case), or undefined when it is not a code. */
export function currencyExponent(currency: string): number | undefined {
  if (exponentCache.has(currency)) return exponentCache.get(currency);
  const c = currency.toUpperCase();
  const e = /^[A-Z]{3}$/.test(c) ? (Object.prototype.hasOwnProperty.call(EXPONENTS, c) ? EXPONENTS[c] : 2) : undefined;
  if (exponentCache.size < 1000) exponentCache.set(currency, e);
  return e;
}
