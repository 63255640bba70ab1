// Routes' `providers`: with Stripe and Mollie side by side, a route to one provider's connector
// takes only that provider's events (the prefix of the event's subscription id, else customer id,
// else its source), so a Mollie subscription's dunning never reaches the Stripe connector.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HubConfig } from '../config/config.types';
import type { HubEvent } from '../events';
import { MappingSet } from '../mapping/mapping-set';
import type { InboxRow } from '../store/ports';
import { normalise, providerOf } from './normalise';

const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'mappings', 'fixtures', 'hub-subscription-created-coffee.json'), 'utf8'),
) as HubEvent;

const of = (provider: string): HubEvent => ({
  ...fixture,
  source: { ...fixture.source, provider: 'hub', dedupeKey: `hub:test:${provider}` },
  subscription: { ...fixture.subscription!, hubSubscriptionId: `${provider}:sub_1` },
  customer: { ...fixture.customer!, hubCustomerId: `${provider}:cus_1` },
});

const config = {
  routes: [
    { name: 'to-stripe', on: ['subscription.*'], to: 'stripe', action: 'pauseCollection', mapping: 'm', providers: ['stripe'] },
    { name: 'to-mollie', on: ['subscription.*'], to: 'mollie', action: 'cancelSubscription', mapping: 'm', providers: ['mollie'] },
    { name: 'to-erp', on: ['subscription.*'], to: 'odoo', action: 'createSaleOrder', mapping: 'm' },
  ],
} as unknown as HubConfig;

async function routesOf(event: HubEvent): Promise<string[]> {
  const row: InboxRow = {
    id: '01ROW',
    source: 'hub',
    sourceEventId: event.source.dedupeKey,
    eventType: event.type,
    receivedAt: 0,
    headers: {},
    body: JSON.stringify(event),
    attempts: 1,
  };
  const outcome = await normalise(row, { config, connectors: new Map(), mappings: MappingSet.fromPaths([]) }, 0);
  if (outcome.status !== 'normalised') throw new Error(`not normalised: ${JSON.stringify(outcome)}`);
  return outcome.event.deliveries.map((d) => d.route);
}

describe('routes: providers', () => {
  it("a route with providers takes only those providers' events; a route without takes every event", async () => {
    expect(await routesOf(of('stripe'))).toEqual(['to-stripe', 'to-erp']);
    expect(await routesOf(of('mollie'))).toEqual(['to-mollie', 'to-erp']);
  });

  it("the provider is the subscription's id prefix, else the customer's, else the event's source", () => {
    expect(providerOf(of('mollie'))).toBe('mollie');
    expect(providerOf({ ...of('mollie'), subscription: undefined })).toBe('mollie');
    expect(providerOf({ ...fixture, subscription: undefined, customer: { hubCustomerId: 'nocolon' } })).toBe(fixture.source.provider);
  });
});
