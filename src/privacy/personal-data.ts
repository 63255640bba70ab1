/**
 * Personal data in stored JSON (raw webhook bodies, canonical events, domain records): how to tell
 * that a document concerns a data subject, and how to redact it. Redaction replaces the values of
 * personal fields (names, e-mail, phone, street address, IP, notes) and keeps what bookkeeping
 * needs: ids, amounts, currencies, SKUs, quantities, dates, statuses and countries.
 */

export const REDACTED = '[redacted]';

/** Fields that hold personal data wherever they appear (Shopify, Stripe and canonical names). */
const PERSONAL_KEYS = new Set([
  'email',
  'customer_email',
  'contact_email',
  'receipt_email',
  'customer_email_address',
  'phone',
  'customer_phone',
  'first_name',
  'last_name',
  'customer_name',
  'address1',
  'address2',
  'line1',
  'line2',
  'city',
  'zip',
  'postal_code',
  'company',
  'latitude',
  'longitude',
  'note',
  'browser_ip',
  'customer_purchase_ip',
  'client_details',
  'customer_signature',
]);

/** Objects whose `name` and `state` are a person's (elsewhere `name` is a product's, say). */
const PERSON_OBJECTS = new Set([
  'customer',
  'default_address',
  'addresses',
  'address',
  'billing_details',
  'shipping',
  'customer_address',
  'customer_shipping',
]);

/** Address objects keep their country: tax bookkeeping needs it. */
const KEPT_IN_ADDRESSES = new Set(['country', 'country_code', 'id']);

/** Who a privacy request concerns. */
export interface DataSubject {
  /** The shop's customer id, numeric text (a gid is reduced to its number). */
  customerId?: string;
  email?: string;
  phone?: string;
  orderIds: readonly string[];
}

/** Lower-case strings, any of which a stored text must contain to possibly concern the subject (a cheap SQL pre-filter). */
export function searchNeedles(who: DataSubject): string[] {
  const out = [who.email, who.phone, who.customerId, ...who.orderIds].filter((x): x is string => typeof x === 'string' && x.length >= 3);
  return [...new Set(out.map((x) => x.toLowerCase()))];
}

const gidNumber = (v: unknown): string | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const m = /^(?:gid:\/\/shopify\/\w+\/|shopify:)?(\d+)$/.exec(v);
  return m?.[1];
};

const digits = (v: string) => v.replace(/\D/g, '');

/** Whether a parsed document names the subject: their e-mail or phone, their customer id, or one of their orders. */
export function concernsSubject(doc: unknown, who: DataSubject): boolean {
  const email = who.email?.toLowerCase();
  const phone = who.phone ? digits(who.phone) : undefined;
  const orders = new Set(who.orderIds);
  const visit = (v: unknown, key: string | undefined): boolean => {
    if (Array.isArray(v)) return v.some((x) => visit(x, key));
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (who.customerId) {
        const id = who.customerId;
        // Shopify's `customer` object, a customer webhook's body (its root), the canonical customer.
        const isCustomer =
          key === 'customer' || (typeof o.admin_graphql_api_id === 'string' && o.admin_graphql_api_id.includes('/Customer/'));
        if (isCustomer && gidNumber(o.id) === id) return true;
        if (gidNumber(o.shopifyCustomerId) === id || (typeof o.hubCustomerId === 'string' && o.hubCustomerId === `shopify:${id}`))
          return true;
      }
      if (
        orders.size > 0 &&
        typeof o.admin_graphql_api_id === 'string' &&
        o.admin_graphql_api_id.includes('/Order/') &&
        orders.has(gidNumber(o.admin_graphql_api_id) ?? '')
      )
        return true;
      return Object.entries(o).some(([k, x]) => visit(x, k));
    }
    if (typeof v !== 'string' || key === undefined) return false;
    if (email && /email/i.test(key) && v.toLowerCase() === email) return true;
    if (phone && phone.length >= 6 && /phone/i.test(key) && digits(v) === phone) return true;
    return false;
  };
  return visit(doc, undefined);
}

/**
 * A copy of `doc` with every personal field's value replaced (strings by REDACTED, anything else
 * by null), or with the field removed when `remove` is set.
 */
export function redactPersonalData(doc: unknown, remove = false): unknown {
  const visit = (v: unknown, key: string | undefined): unknown => {
    if (Array.isArray(v)) return v.map((x) => visit(x, key));
    if (v === null || typeof v !== 'object') return v;
    const personObject = key !== undefined && PERSON_OBJECTS.has(key);
    // No prototype: a "__proto__" key of the parsed document stays a plain key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!(isAddressKey(k) || PERSONAL_KEYS.has(k) || (personObject && (k === 'name' || k === 'state')))) out[k] = visit(x, k);
      else if (!remove) out[k] = redactValue(x);
    }
    return out;
  };
  return visit(doc, undefined);
}

const isAddressKey = (k: string) => k.endsWith('_address') || k === 'address' || k === 'addresses' || k === 'default_address';

/** A personal value: a scalar is replaced; an object (an address, client details) keeps only its country and id. */
function redactValue(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return v.map(redactValue);
  if (typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, KEPT_IN_ADDRESSES.has(k) ? x : redactValue(x)]),
    );
  return typeof v === 'string' ? REDACTED : null;
}

/** Redacts a stored JSON text; a text that is not JSON is replaced whole (it cannot be redacted field by field). */
export function redactText(text: string, remove = false): string {
  if (text === '') return text;
  try {
    return JSON.stringify(redactPersonalData(JSON.parse(text), remove));
  } catch {
    return JSON.stringify({ redacted: true });
  }
}

/** Parses a stored JSON text, or undefined when it is not JSON (or blank after retention). */
export function parseStored(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
