import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuntime } from '../runtime';
import { partitionKeyOf } from './partition-key';

describe('Kafka partition keys: one customer, one partition', () => {
  const { connectors } = loadRuntime({ path: 'config/hub.json', localPath: false, env: {} });
  const keyOf = partitionKeyOf(connectors);
  const entry = (source: string, body: unknown, headers: Record<string, string> = {}) => ({
    source,
    sourceEventId: 'id_1',
    receivedAt: 0,
    headers,
    body: JSON.stringify(body),
  });

  it('keys Stripe events by customer: the object of customer.* events, else its customer (an id or expanded)', () => {
    expect(keyOf(entry('stripe', { data: { object: { object: 'customer', id: 'cus_A' } } }))).toBe('stripe:cus_A');
    expect(keyOf(entry('stripe', { data: { object: { object: 'invoice', customer: 'cus_A' } } }))).toBe('stripe:cus_A');
    expect(keyOf(entry('stripe', { data: { object: { object: 'subscription', customer: { id: 'cus_A' } } } }))).toBe('stripe:cus_A');
  });

  it('keys Shopify webhooks by customer: the body on customers/* topics, else the order customer', () => {
    expect(keyOf(entry('shopify', { id: 7 }, { 'x-shopify-topic': 'customers/update' }))).toBe('shopify:customer:7');
    expect(keyOf(entry('shopify', { id: 99, customer: { id: 7 } }, { 'x-shopify-topic': 'orders/paid' }))).toBe('shopify:customer:7');
  });

  it("keys every shipped Shopify payload (Shopify's documented webhooks) of one customer alike, across topics", () => {
    const dir = join(__dirname, '../../mappings/fixtures');
    const keys = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.startsWith('shopify-'))
        .map((f) => {
          const { headers, body } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { headers: Record<string, string>; body: unknown };
          return [f, keyOf({ ...entry('shopify', body, headers), sourceEventId: f })];
        }),
    );
    const customer = 'shopify:customer:7390592532522';
    expect(keys).toEqual({
      'shopify-customers-data-request.json': customer,
      'shopify-customers-redact.json': customer,
      'shopify-customers-update-address.json': customer,
      'shopify-customers-update-blacklist.json': customer,
      'shopify-customers-update-goodwill.json': customer,
      'shopify-orders-create-renewal-legacy-source-pending.json': customer,
      'shopify-orders-create-renewal.json': customer,
      'shopify-orders-create-web.json': customer,
      // Naming no customer: keyed by their own id.
      'shopify-orders-create-renewal-without-customer.json': 'shopify:shopify-orders-create-renewal-without-customer.json',
      'shopify-shop-redact.json': 'shopify:shopify-shop-redact.json',
    });
  });

  it('keys derived hub events by their customer', () => {
    expect(keyOf(entry('hub', { customer: { hubCustomerId: 'c1' } }))).toBe('hub:c1');
  });

  it('keys what names no customer (or is not JSON) by its own id', () => {
    expect(keyOf(entry('stripe', { data: { object: { object: 'product' } } }))).toBe('stripe:id_1');
    expect(keyOf({ ...entry('stripe', {}), body: 'not json' })).toBe('stripe:id_1');
    expect(keyOf(entry('nobody', { customer: 'x' }))).toBe('nobody:id_1');
  });
});
