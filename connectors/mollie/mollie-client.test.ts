import { createMollieClient, type MollieClient, SequenceType } from '@mollie/api-client';
import { startMollieSimulator, type MollieSimulator } from './simulator';

// The official client fixes an HTTPS agent of its own (its `apiEndpoint` option cannot reach a
// plain-HTTP server), and the simulator listens on loopback HTTP. The one seam: its fetch runs
// without that agent. Everything else (URLs, headers, bodies, pagination, error parsing) is the
// client's own, so these tests hold the simulator to Mollie's wire format as the client reads it.
jest.mock('node-fetch', () => {
  const real = jest.requireActual<typeof import('node-fetch')>('node-fetch');
  const plain = (url: unknown, init?: Record<string, unknown>) => real(url as string, { ...init, agent: undefined });
  return Object.assign(plain, real, { default: plain });
});

const KEY = 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM';

describe('@mollie/api-client against the Mollie simulator', () => {
  let sim: MollieSimulator;
  let mollie: MollieClient;
  beforeEach(async () => {
    sim = await startMollieSimulator();
    mollie = createMollieClient({ apiKey: KEY, apiEndpoint: sim.apiEndpoint });
  });
  afterEach(() => sim.close());

  const settle = (id: string, status: string, body: Record<string, unknown> = {}) =>
    fetch(`${sim.url}/_sim/payments/${id}/${status}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('customer, first payment, mandate, subscription: the recurring flow end to end', async () => {
    const customer = await mollie.customers.create({ name: 'Ana de Vries', email: 'ana@example.com' });
    expect(customer).toMatchObject({ resource: 'customer', id: expect.stringMatching(/^cst_/), mode: 'test', name: 'Ana de Vries' });

    const first = await mollie.customerPayments.create({
      customerId: customer.id,
      amount: { currency: 'EUR', value: '0.01' },
      description: 'Mandate',
      sequenceType: SequenceType.first,
      redirectUrl: 'https://shop.example/return',
    });
    expect(first.status).toBe('open');
    expect(first.getCheckoutUrl()).toMatch(/^https:\/\/www\.mollie\.com\/checkout\//);
    expect(await mollie.customerMandates.page({ customerId: customer.id })).toHaveLength(0);

    await settle(first.id, 'paid');
    const paid = await mollie.payments.get(first.id);
    expect(paid.status).toBe('paid');
    const [mandate] = await mollie.customerMandates.page({ customerId: customer.id });
    expect(mandate).toMatchObject({ resource: 'mandate', status: 'valid', method: 'directdebit' });
    expect(paid.mandateId).toBe(mandate!.id);

    const sub = await mollie.customerSubscriptions.create({
      customerId: customer.id,
      amount: { currency: 'EUR', value: '24.90' },
      interval: '1 month',
      description: 'Espresso 1 kg monthly',
      metadata: { subhubSubscriptionId: 'mollie:sub_original' },
    });
    expect(sub).toMatchObject({ status: 'active', mandateId: mandate!.id, interval: '1 month', amount: { value: '24.90' } });
    expect((await mollie.customerSubscriptions.get(sub.id, { customerId: customer.id })).metadata).toEqual({
      subhubSubscriptionId: 'mollie:sub_original',
    });

    const recurring = await mollie.customerPayments.create({
      customerId: customer.id,
      amount: { currency: 'EUR', value: '24.90' },
      description: 'Retry',
      sequenceType: SequenceType.recurring,
    });
    expect(recurring).toMatchObject({ status: 'pending', sequenceType: 'recurring', mandateId: mandate!.id, method: 'directdebit' });

    const canceled = await mollie.customerSubscriptions.cancel(sub.id, { customerId: customer.id });
    expect(canceled.status).toBe('canceled');
  });

  it('lists with cursor pagination: page(), the next page, and the iterator across pages', async () => {
    const customerId = sim.seedSubscriptions(130);
    const first = await mollie.customerSubscriptions.page({ customerId, limit: 50 });
    expect(first).toHaveLength(50);
    const second = await first.nextPage!();
    expect(second).toHaveLength(50);
    expect(second[0]!.id).not.toBe(first[0]!.id);
    const ids: string[] = [];
    for await (const s of mollie.customerSubscriptions.iterate({ customerId })) ids.push(s.id);
    expect(new Set(ids).size).toBe(130);
    const all: string[] = [];
    for await (const s of mollie.subscription.iterate()) all.push(s.id);
    expect(all).toEqual(ids);
  });

  it("answers errors in Mollie's shape: 401 for a bad key, 404, 422 with the field, idempotent replays", async () => {
    const wrong = createMollieClient({ apiKey: 'test_wrong', apiEndpoint: sim.apiEndpoint });
    await expect(createMollieClient({ apiKey: 'sk_nope', apiEndpoint: sim.apiEndpoint }).customers.page()).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(wrong.customers.page()).resolves.toHaveLength(0); // any test_ key is accepted by default
    await expect(mollie.payments.get('tr_nope')).rejects.toMatchObject({ name: 'ApiError', statusCode: 404 });
    const c = await mollie.customers.create({});
    await expect(
      mollie.customerPayments.create({
        customerId: c.id,
        amount: { currency: 'EUR', value: '10,00' },
        description: 'x',
        sequenceType: SequenceType.recurring,
      }),
    ).rejects.toMatchObject({ statusCode: 422, field: 'amount' });
    await expect(
      mollie.customerPayments.create({
        customerId: c.id,
        amount: { currency: 'EUR', value: '10.00' },
        description: 'x',
        sequenceType: SequenceType.recurring,
      }),
    ).rejects.toMatchObject({ statusCode: 422, field: 'customerId' });
    const a = await mollie.customers.create({ name: 'Bram', idempotencyKey: 'same' });
    const b = await mollie.customers.create({ name: 'Bram', idempotencyKey: 'same' });
    expect(b.id).toBe(a.id);
    await expect(mollie.customers.create({ name: 'Cleo', idempotencyKey: 'same' })).rejects.toMatchObject({ statusCode: 422 });
  });
});
