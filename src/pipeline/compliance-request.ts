import type { InboxRow } from '../store/ports';
import type { PrivacyRequest, PrivacyRequestKind } from '../store/privacy-ports';

/**
 * Shopify's mandatory compliance webhooks (https://shopify.dev/docs/apps/build/compliance/privacy-law-compliance):
 * customers/data_request (a customer asks for their data), customers/redact (erase a customer's
 * data; orders_to_redact lists their orders) and shop/redact (48 hours after the app was
 * uninstalled: erase the shop's data). They are signed like every Shopify webhook.
 */
const TOPICS: Readonly<Record<string, PrivacyRequestKind>> = {
  'customers/data_request': 'customer_data_request',
  'customers/redact': 'customer_redact',
  'shop/redact': 'shop_redact',
};

/** Whether an inbox entry of a connector of this type is a privacy request. */
export function isComplianceTopic(connectorType: string | undefined, eventType: string | undefined): boolean {
  return connectorType === 'shopify' && eventType !== undefined && eventType in TOPICS;
}

/**
 * Reads a compliance webhook into a PrivacyRequest. Throws an Error saying what is missing when
 * the body is not a compliance payload (a customer request must name the customer).
 */
export function complianceRequest(row: InboxRow): PrivacyRequest {
  const kind = TOPICS[row.eventType ?? '']!;
  const body = JSON.parse(row.body) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const customer = (body.customer ?? {}) as Record<string, unknown>;
  const orders = (kind === 'customer_redact' ? body.orders_to_redact : body.orders_requested) ?? [];
  const request: PrivacyRequest = {
    kind,
    source: row.source,
    orderIds: Array.isArray(orders) ? orders.map(text).filter((x): x is string => x !== undefined) : [],
  };
  const shopDomain = text(body.shop_domain);
  if (shopDomain) request.shopDomain = shopDomain;
  if (kind !== 'shop_redact') {
    const customerId = text(customer.id);
    const email = text(customer.email);
    const phone = text(customer.phone);
    if (!customerId && !email) throw new Error(`${row.eventType} names no customer (customer.id or customer.email)`);
    if (customerId) request.customerId = customerId;
    if (email) request.email = email;
    if (phone) request.phone = phone;
    const requestId = text((body.data_request as Record<string, unknown> | undefined)?.id);
    if (requestId) request.requestId = requestId;
  }
  return request;
}
