/**
 * Conversion between the gateway's amounts (a JSON number in the currency's major unit, e.g.
 * `19.99` USD) and ours (an integer in the minor unit, `1999`). Decision 0003: a value that is
 * not a whole number of minor units is an error, never rounded.
 */

// ISO 4217 minor-unit exponents that are not 2. Every other three-letter code uses 2.
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
  CLF: 4,
  UYW: 4,
};

/** The default currency of the gateway (an amount registered or cancelled without one is KRW). */
export const DEFAULT_CURRENCY = 'KRW';

export class AmountError extends Error {
  override name = 'AmountError';
}

/** The number of minor-unit digits of an ISO 4217 code (KRW 0, USD 2, KWD 3). */
export function currencyExponent(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency))
    throw new AmountError(`currency ${JSON.stringify(currency)} is not an ISO 4217 code`);
  return EXPONENTS[currency] ?? 2;
}

/**
 * The gateway's major-unit number as integer minor units. Works on the number's shortest decimal
 * form (what the gateway wrote), so `19.99` is exactly `1999` and `1000.5` KRW is an error.
 */
export function toMinorUnits(value: number, currency: string): number {
  const exponent = currencyExponent(currency);
  if (!Number.isFinite(value)) throw new AmountError(`amount ${value} ${currency} is not a finite number`);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) throw new AmountError(`amount ${value} ${currency} is not a decimal number`);
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
  // digits × 10^(shift) is the value in minor units.
  let digits = (whole + fraction).replace(/^0+(?=\d)/, '');
  let shift = Number(exp) - fraction.length + exponent;
  while (shift < 0 && digits.endsWith('0') && digits.length > 1) {
    digits = digits.slice(0, -1);
    shift += 1;
  }
  if (shift < 0 && digits !== '0') {
    throw new AmountError(
      `amount ${value} ${currency} is not a whole number of minor units (${currency} has ${exponent} decimals)`,
    );
  }
  const minor = digits === '0' ? 0 : Number(sign + digits + '0'.repeat(Math.max(shift, 0)));
  if (!Number.isSafeInteger(minor)) throw new AmountError(`amount ${value} ${currency} is too large`);
  return minor === 0 ? 0 : minor;
}

/** Integer minor units as the gateway's major-unit number (`1999` USD → `19.99`). */
export function toMajorUnits(minor: number, currency: string): number {
  const exponent = currencyExponent(currency);
  if (!Number.isSafeInteger(minor)) throw new AmountError(`amount ${minor} is not an integer number of minor units`);
  // Dividing an integer by a power of ten is correctly rounded, so the result prints as the exact decimal.
  return exponent === 0 ? minor : minor / 10 ** exponent;
}
