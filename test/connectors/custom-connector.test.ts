import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPluginConnectors } from '../../src/connectors/plugins';
import { startHub, type RunningHub } from '../../src/hub';
import type { ConnectorDefinition } from '../../src/sdk';
import { connectorContract } from '../../src/sdk/testing';
import { fixture } from '../helpers/fixtures';
import { startTarget } from '../helpers/target-server';
import { STRIPE_SECRET } from '../helpers/test-hub';
import { tempFiles } from '../helpers/temp-files';
import Stripe from 'stripe';

// The worked example of docs/writing-a-connector.md, loaded the way the hub loads it.
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'connectors');
const { definitions, problems } = loadPluginConnectors([EXAMPLES], ['http']);
const mail = definitions.find((d) => d.type === 'mail-notify') as ConnectorDefinition;

let api: Awaited<ReturnType<typeof startTarget>>;
connectorContract(mail, {
  options: { baseUrl: 'http://127.0.0.1:1', from: 'hello@coffee.example', apiKey: { env: 'MAIL_KEY' }, allowHosts: ['127.0.0.1'] },
  deps: { resolveSecret: () => 'mail-key' },
  actions: {
    send: { payload: { to: 'ana@example.com', template: 'renewal', variables: {} }, expectOk: false, expectCode: 'DELIVERY_NETWORK' },
  },
});

describe('a custom connector from a configured folder', () => {
  it('loads without problems', () => {
    expect(problems).toEqual([]);
    expect(mail.type).toBe('mail-notify');
  });

  let hub: RunningHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    await api?.close();
  });

  it('receives canonical events through a route and a mapping, like a built-in one', async () => {
    api = await startTarget();
    const dir = tempFiles({
      'maps/mail.renewal.json': {
        output: {
          to: { $path: 'customer.email', default: 'unknown@example.com' },
          template: 'welcome',
          variables: { sub: { $path: 'subscription.hubSubscriptionId' } },
        },
      },
    });
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        storage: { dataDir: join(dir, 'data') },
        mappings: { paths: [join(__dirname, '..', '..', 'mappings'), join(dir, 'maps')] },
        connectorPaths: [EXAMPLES],
        connectors: {
          stripe: {
            type: 'stripe',
            webhook: { secrets: [{ env: 'STRIPE_WEBHOOK_SECRET' }] },
            inbound: { mappings: { 'customer.subscription.created': 'stripe.customer-subscription.to.hub-event' } },
          },
          mailer: {
            type: 'mail-notify',
            options: { baseUrl: api.url, from: 'hello@coffee.example', apiKey: { env: 'MAIL_KEY' }, allowHosts: ['127.0.0.1'] },
          },
        },
        routes: [{ name: 'welcome-mail', on: ['subscription.created'], to: 'mailer', action: 'send', mapping: 'mail.renewal' }],
      }),
    );
    hub = await startHub({
      path: join(dir, 'hub.json'),
      localPath: false,
      env: { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET, MAIL_KEY: 'mail-key' },
      silent: true,
    });
    const payload = JSON.stringify(fixture('stripe-subscription-created.json'));
    const header = new Stripe('sk_test').webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
    expect(
      (
        await fetch(`${hub.url}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': header },
          body: payload,
        })
      ).status,
    ).toBe(202);
    await api.waitFor(1);
    expect(api.requests[0]).toMatchObject({ path: '/messages', body: { from: 'hello@coffee.example', template: 'welcome' } });
    expect(api.requests[0]!.headers.authorization).toBe('Bearer mail-key');
  });

  it('reports a module that declares no connector, and a type that is taken', () => {
    const dir = tempFiles({
      'broken.js': 'exports.nothing = 1;',
      'dup/index.js': "exports.connector = { type: 'http', kind: 'generic', description: 'x' };",
    });
    const r = loadPluginConnectors([dir], ['http']);
    expect(r.problems.map((p) => p.code)).toEqual(['CONFIG_PLUGIN_INVALID', 'CONFIG_PLUGIN_INVALID']);
    expect(r.problems.map((p) => p.message).join('\n')).toMatch(/must export `connector`[\s\S]*already defined/);
  });
});
