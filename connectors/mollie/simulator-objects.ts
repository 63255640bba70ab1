import { randomBytes } from 'node:crypto';

/** A stored Mollie object (rendered as the API answers it). */
export type Obj = Record<string, unknown> & { id: string; resource: string };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Mollie-like ids: a resource prefix and ten letters or digits (`tr_7UhSN1zuXS`). */
export function mollieId(prefix: string): string {
  const bytes = randomBytes(10);
  return `${prefix}_${[...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/** Mollie's date-time form: ISO 8601, seconds, `+00:00`. */
export const mollieTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
export const mollieDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** HAL links: `{href, type}` objects, Mollie's documentation link on every resource. */
export function links(base: string, self: string, docs: string, extra: Record<string, string | undefined> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    self: { href: `${base}${self}`, type: 'application/hal+json' },
  };
  for (const [k, v] of Object.entries(extra))
    if (v) out[k] = { href: v, type: k === 'checkout' || k === 'paymentLink' ? 'text/html' : 'application/hal+json' };
  out.documentation = { href: `https://docs.mollie.com/reference/${docs}`, type: 'text/html' };
  return out;
}

/** Adds `interval` ("1 month", "14 days", "2 weeks") to a YYYY-MM-DD date, in calendar units. */
export function addInterval(date: string, interval: string): string {
  const m = /^(\d+) (day|week|month)s?$/.exec(interval.trim());
  if (!m) return date;
  const n = Number(m[1]);
  const d = new Date(`${date}T00:00:00Z`);
  if (m[2] === 'day') d.setUTCDate(d.getUTCDate() + n);
  else if (m[2] === 'week') d.setUTCDate(d.getUTCDate() + 7 * n);
  else {
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + n);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
  }
  return d.toISOString().slice(0, 10);
}

/** Mollie's accepted intervals: a count and days, weeks or months, at most a year. */
export function intervalProblem(interval: unknown): string | undefined {
  if (typeof interval !== 'string') return 'The interval is required.';
  const m = /^(\d+) (days?|weeks?|months?)$/.exec(interval);
  if (!m || Number(m[1]) < 1) return 'The interval is invalid; use for example "1 month", "2 weeks" or "14 days".';
  const days = Number(m[1]) * (m[2]!.startsWith('day') ? 1 : m[2]!.startsWith('week') ? 7 : 31);
  return days > 366 ? 'The interval must not be longer than a year.' : undefined;
}

/** A SEPA return's reason text for the codes the simulator knows (others: unspecified). */
export const BANK_REASONS: Record<string, string> = {
  AC01: 'Account identifier incorrect (i.e. invalid IBAN)',
  AC04: 'Account closed',
  AC06: 'Account blocked',
  AM04: 'Insufficient funds',
  MD06: 'Refund requested by customer',
  MS02: 'Refused by debtor',
  MS03: 'Reason not specified',
};

/** The payment's `details` for its method, with the failure (SEPA bank reason, card failure reason) when there is one. */
export function paymentDetails(
  method: string | null,
  failure?: { bankReasonCode?: string; failureReason?: string },
): Record<string, unknown> | null {
  if (method === 'directdebit')
    return {
      transferReference: 'SD67-6850-2204-6029',
      creditorIdentifier: 'NL08ZZZ502057730000',
      consumerName: 'A. de Vries',
      consumerAccount: 'NL55INGB0000000000',
      consumerBic: 'INGBNL2A',
      ...(failure?.bankReasonCode
        ? { bankReasonCode: failure.bankReasonCode, bankReason: BANK_REASONS[failure.bankReasonCode] ?? 'Reason not specified' }
        : {}),
    };
  if (method === 'creditcard')
    return {
      cardHolder: 'A. de Vries',
      cardNumber: '6787',
      cardLabel: 'Mastercard',
      cardCountryCode: 'NL',
      cardSecurity: 'normal',
      ...(failure?.failureReason
        ? { failureReason: failure.failureReason, failureMessage: `The payment failed: ${failure.failureReason}.` }
        : {}),
    };
  return null;
}
