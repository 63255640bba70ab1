import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { HUB_EVENT_TYPES, hubEventSchema, validateHubEvent, type HubEvent } from './index';

/** A Stripe `invoice.paid` with billing_reason=subscription_cycle, mapped. */
const renewed: HubEvent = {
  id: '01JD6Z8Q4M7V1T3N9K2R5X0B8C',
  type: 'subscription.renewed',
  schemaVersion: 1,
  occurredAt: '2026-11-01T06:00:12Z',
  receivedAt: '2026-11-01T06:00:13.482Z',
  effectiveAt: '2026-11-01T06:00:00Z',
  actionType: 'effective',
  source: {
    provider: 'stripe',
    eventId: 'evt_1QKx2Y2eZvKYlo2C0aBcDeFg',
    eventType: 'invoice.paid',
    apiVersion: '2024-06-20',
    dedupeKey: 'stripe:evt_1QKx2Y2eZvKYlo2C0aBcDeFg',
  },
  tenantId: 'shop-de',
  customer: {
    hubCustomerId: 'cus-000123',
    providerCustomerId: 'cus_R2x9aBcDeF',
    shopifyCustomerId: 'gid://shopify/Customer/7421337',
    erpCustomerId: 'D-10042',
    email: 'anna@example.com',
  },
  subscription: {
    hubSubscriptionId: 'sub-000456',
    providerSubscriptionId: 'sub_1QKw8Z2eZvKYlo2C',
    status: 'active',
    providerStatus: 'active',
    items: [
      { sku: 'COFFEE-1KG', shopifyVariantId: 'gid://shopify/ProductVariant/4455', quantity: 2, priceRef: 'price_1Abc' },
      {
        sku: 'STARTER-KIT',
        quantity: 1,
        kitComponents: [
          { sku: 'MUG', qtyPer: 2 },
          { sku: 'FILTER-100', qtyPer: 1 },
        ],
      },
    ],
    interval: { unit: 'month', count: 1 },
    currentPeriodStart: '2026-11-01T00:00:00Z',
    currentPeriodEnd: '2026-12-01T00:00:00Z',
    nextRenewalAt: '2026-12-01T00:00:00Z',
    entitlement: { deliver: true, blockChanges: false, blockedBy: [] },
  },
  invoice: {
    id: 'in_1QKx2X2eZvKYlo2C',
    number: 'SUBHUB-0042',
    status: 'paid',
    billingReason: 'subscription_cycle',
    amountDueMinor: 3998,
    amountPaidMinor: 3998,
    currency: 'EUR',
    attemptCount: 1,
    nextAttemptAt: null,
    payUrl: 'https://invoice.stripe.com/i/acct_1/test_abc',
  },
  correlationId: 'renewal:sub-000456:2026-11',
  rawRef: 'raw/stripe/2026/11/01/evt_1QKx2Y2eZvKYlo2C0aBcDeFg.json',
};

/** A fetched Mollie recurring SEPA debit that came back with AM04 (insufficient funds): soft, retryable. */
const sepaFailed: HubEvent = {
  id: '01JD7A1B2C3D4E5F6G7H8J9K0M',
  type: 'payment.failed',
  schemaVersion: 1,
  occurredAt: '2026-11-05T09:14:00+01:00',
  receivedAt: '2026-11-05T08:14:02Z',
  effectiveAt: '2026-11-05T09:14:00+01:00',
  actionType: 'effective',
  source: {
    provider: 'mollie',
    eventId: 'tr_WDqYK6vllg',
    eventType: 'payment.status',
    dedupeKey: 'mollie:tr_WDqYK6vllg:failed',
  },
  tenantId: 'shop-nl',
  customer: { hubCustomerId: 'cus-000789', providerCustomerId: 'cst_8wmqcHMN4U' },
  payment: {
    id: 'tr_WDqYK6vllg',
    method: 'sepa_debit',
    status: 'failed',
    sequence: 'recurring',
    amountMinor: 2499,
    currency: 'EUR',
    mandateId: 'mdt_pWUnw6pkBN',
    failure: {
      category: 'insufficient_funds',
      providerCode: 'AM04',
      hard: false,
      retryable: true,
      message: 'Insufficient funds',
    },
  },
};

/** Deep copy, loosely typed so tests can break it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke at arbitrary nested fields
function mutable(event: HubEvent): Record<string, any> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return structuredClone(event) as Record<string, any>;
}

/** Asserts that validation fails with exactly one error, at `pointer`. */
function expectSingleError(value: unknown, pointer: string, message: string | RegExp): void {
  const result = validateHubEvent(value);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.errors).toHaveLength(1);
  expect(result.errors[0].pointer).toBe(pointer);
  expect(result.errors[0].message).toMatch(message);
}

/** Every value in the reference's HubEventType union (docs/canonical-events.md section 2), in its order. */
const REFERENCE_EVENT_TYPES = [
  'subscription.created',
  'subscription.activated',
  'subscription.renewed',
  'subscription.changed',
  'subscription.renewal_upcoming',
  'subscription.trial_will_end',
  'subscription.cycle_skipped',
  'subscription.pause_scheduled',
  'subscription.paused',
  'subscription.resumed',
  'subscription.cancel_scheduled',
  'subscription.canceled',
  'subscription.reactivated',
  'subscription.expired',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.payment_action_required',
  'invoice.uncollectible',
  'invoice.voided',
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
  'payment.chargeback',
  'payment_method.updated',
  'payment_method.expiring',
  'mandate.invalidated',
  'dunning.started',
  'dunning.stage_changed',
  'dunning.exhausted',
  'dunning.resolved',
  'customer.risk_changed',
];

describe('hub event schema: valid events', () => {
  it('accepts a subscription.renewed with subscription snapshot, two items and the paid invoice', () => {
    expect(validateHubEvent(renewed)).toEqual({ ok: true });
  });

  it('accepts a payment.failed with a soft SEPA failure (AM04)', () => {
    expect(validateHubEvent(sepaFailed)).toEqual({ ok: true });
  });

  it('accepts a dunning.exhausted with paused subscription, open invoice (nextAttemptAt null) and dunning state', () => {
    const event = mutable(renewed);
    event.type = 'dunning.exhausted';
    event.source = {
      provider: 'hub',
      eventId: 'dunning-42',
      eventType: 'dunning.exhausted',
      dedupeKey: 'hub:dunning:sub-000456:2026-11',
    };
    event.subscription.status = 'paused';
    event.subscription.pause = { startsAt: '2026-11-20T00:00:00Z', reason: 'payment_failure', collection: 'void' };
    event.subscription.entitlement = { deliver: false, blockChanges: true, blockedBy: ['dunning'] };
    event.invoice = { ...event.invoice, status: 'open', amountPaidMinor: 0, attemptCount: 4, nextAttemptAt: null };
    event.dunning = {
      policyId: 'default-monthly',
      stage: 'BLOCKED',
      attempt: 4,
      maxAttempts: 4,
      startedAt: '2026-11-01T06:00:00Z',
      daysSinceEarliestUnpaid: 19,
      unpaidInvoices: 1,
      unpaidBalanceMinor: 3998,
      defaultsInWindow: 1,
    };
    expect(validateHubEvent(event)).toEqual({ ok: true });
  });
});

describe('hub event schema: rejections point at the offending value', () => {
  it('rejects an unknown top-level property', () => {
    expectSingleError({ ...renewed, status: 'paid' }, '/status', 'unknown property');
  });

  it('rejects an unknown nested property', () => {
    const event = mutable(sepaFailed);
    event.payment.failure.declineCode = 'AM04';
    expectSingleError(event, '/payment/failure/declineCode', 'unknown property');
  });

  it('rejects a missing source.dedupeKey', () => {
    const event = mutable(renewed);
    delete event.source.dedupeKey;
    expectSingleError(event, '/source/dedupeKey', 'missing required property');
  });

  it('rejects an empty source.dedupeKey', () => {
    const event = mutable(renewed);
    event.source.dedupeKey = '';
    expectSingleError(event, '/source/dedupeKey', /fewer than 1 character/);
  });

  it('rejects schemaVersion 2', () => {
    expectSingleError({ ...renewed, schemaVersion: 2 }, '/schemaVersion', 'must be 1');
  });

  it('rejects an unknown event type', () => {
    expectSingleError({ ...renewed, type: 'subscription.exploded' }, '/type', /^must be one of "subscription.created", /);
  });

  it('rejects a non-integer amount (19.99)', () => {
    const event = mutable(renewed);
    event.invoice.amountDueMinor = 19.99;
    expectSingleError(event, '/invoice/amountDueMinor', 'must be integer');
  });

  it('rejects a negative quantity', () => {
    const event = mutable(renewed);
    event.subscription.items[1].quantity = -1;
    expectSingleError(event, '/subscription/items/1/quantity', 'must be >= 0');
  });

  it('rejects a lower-case currency', () => {
    const event = mutable(sepaFailed);
    event.payment.currency = 'eur';
    expectSingleError(event, '/payment/currency', /must match pattern/);
  });

  it.each([
    ['no time zone', '2026-11-01T06:00:12'],
    ['date only', '2026-11-01'],
    ['impossible date', '2026-02-30T06:00:00Z'],
    ['free text', 'yesterday'],
  ])('rejects a bad date-time (%s)', (_case, occurredAt) => {
    expectSingleError({ ...renewed, occurredAt }, '/occurredAt', 'must match format "date-time"');
  });

  it('rejects a bad nested date-time and a bad nullable nextAttemptAt', () => {
    const event = mutable(renewed);
    event.subscription.currentPeriodEnd = '01.12.2026';
    event.invoice.nextAttemptAt = 'soon';
    const result = validateHubEvent(event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const pointers = new Set(result.errors.map((e) => e.pointer));
    expect(pointers).toEqual(new Set(['/subscription/currentPeriodEnd', '/invoice/nextAttemptAt']));
  });

  it('reports every violation, not only the first', () => {
    const event = mutable(renewed);
    delete event.tenantId;
    event.customer.hubCustomerId = '';
    event.invoice.currency = 'euro';
    const result = validateHubEvent(event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.pointer).sort()).toEqual(['/customer/hubCustomerId', '/invoice/currency', '/tenantId']);
  });

  it('rejects values that are not objects', () => {
    expectSingleError(null, '', 'must be object');
  });
});

describe('hub event schema: the schema itself', () => {
  it('compiles under ajv strict mode with ajv-formats', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(ajv);
    expect(ajv.validateSchema(hubEventSchema)).toBe(true);
    expect(() => ajv.compile(hubEventSchema)).not.toThrow();
  });

  it('would fail to compile in strict mode with an unknown keyword (the strict check has teeth)', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(ajv);
    const broken = structuredClone(hubEventSchema) as { properties: { id: Record<string, unknown> } };
    broken.properties.id.maxLenght = 26; // a typo: strict mode must reject it rather than ignore it
    expect(() => ajv.compile(broken)).toThrow(/unknown keyword: "maxLenght"/);
  });

  it('closes every object and describes every property', () => {
    const problems: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((child, i) => visit(child, `${at}/${i}`));
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.additionalProperties !== false) problems.push(`${at}: not closed`);
      if (schema.properties && typeof schema.properties === 'object') {
        for (const [name, property] of Object.entries(schema.properties)) {
          if (typeof (property as { description?: unknown }).description !== 'string') {
            problems.push(`${at}/properties/${name}: no description`);
          }
        }
      }
      for (const [key, child] of Object.entries(schema)) visit(child, `${at}/${key}`);
    };
    visit(hubEventSchema, '#');
    expect(problems).toEqual([]);
  });

  it('lists all providers', () => {
    expect(hubEventSchema.$defs.Provider.enum).toEqual(['stripe', 'chargebee', 'mollie', 'shopify', 'hub']);
  });
});

describe('hub stock events', () => {
  const base = {
    id: '01JD0000000000000000000000',
    schemaVersion: 1,
    occurredAt: '2026-11-25T05:00:00Z',
    receivedAt: '2026-11-25T05:00:00Z',
    effectiveAt: '2026-11-25T05:00:00Z',
    actionType: 'effective',
    tenantId: 'default',
  };
  const source = {
    provider: 'hub',
    eventId: 'reorder:COF-ESP-250:AMS1:2026-11-25',
    eventType: 'reorder',
    dedupeKey: 'hub:reorder:COF-ESP-250:AMS1:2026-11-25',
  };
  const reorder = {
    sku: 'COF-ESP-250',
    location: 'AMS1',
    quantity: 216,
    proposedAt: '2026-11-25T05:00:00Z',
    reason: 'forecast 5 below min 50',
    inputs: { onHand: 120, incoming: 60, subscriptionDemand: 140, min: 50, max: 200, multiple: 24, forecast: 5 },
    trail: ['stripe:sub_1'],
  };
  it('accepts a reorder proposal without a customer', () => {
    expect(validateHubEvent({ ...base, type: 'stock.reorder_proposed', source, reorder })).toEqual({ ok: true });
  });
  it('requires the proposal on stock.reorder_proposed and a customer on every other type', () => {
    const noProposal = validateHubEvent({ ...base, type: 'stock.reorder_proposed', source });
    expect(noProposal.ok).toBe(false);
    expect(noProposal.ok ? [] : noProposal.errors.map((e) => e.pointer)).toContain('/reorder');
    const noCustomer = validateHubEvent({ ...base, type: 'subscription.renewed', source, reorder });
    expect(noCustomer.ok ? [] : noCustomer.errors.map((e) => e.pointer)).toContain('/customer');
  });
  it('requires the demand and the subscription on stock.demand_changed', () => {
    const r = validateHubEvent({ ...base, type: 'stock.demand_changed', source, customer: { hubCustomerId: 'stripe:cus_1' } });
    expect(r.ok ? [] : r.errors.map((e) => e.pointer).sort()).toEqual(['/demand', '/subscription']);
  });
});

describe('HUB_EVENT_TYPES', () => {
  it("holds every event type of the reference, each once, then the hub's own stock and retry events", () => {
    expect(HUB_EVENT_TYPES).toContain('subscription.renewed');
    expect(HUB_EVENT_TYPES).toHaveLength(36);
    expect(HUB_EVENT_TYPES).toEqual([
      ...REFERENCE_EVENT_TYPES,
      'stock.demand_changed',
      'stock.reorder_proposed',
      'payment.retry_requested',
    ]);
    expect(new Set(HUB_EVENT_TYPES).size).toBe(HUB_EVENT_TYPES.length);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(HUB_EVENT_TYPES)).toBe(true);
  });
});
