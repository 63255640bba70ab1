import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, type RunningHub } from '../../src/hub';
import { fixtureText } from '../helpers/fixtures';
import { eventually } from '../helpers/target-server';
import { tempFiles } from '../helpers/temp-files';

const SECRET = 'shpss_test_secret';

describe('Shopify webhooks (S3: replay and dedupe)', () => {
  let hub: RunningHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  async function start(): Promise<RunningHub> {
    const dir = tempFiles({});
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        storage: { dataDir: join(dir, 'data') },
        mappings: { paths: [join(__dirname, '..', '..', 'mappings')] },
        connectors: {
          shopify: {
            type: 'shopify',
            webhook: { secrets: [{ env: 'SHOPIFY_API_SECRET' }] },
            inbound: { mappings: { 'orders/create': 'shopify.orders-create.to.hub-event' } },
          },
        },
      }),
    );
    return (hub = await startHub({ path: join(dir, 'hub.json'), localPath: false, env: { SHOPIFY_API_SECRET: SECRET }, silent: true }));
  }

  const post = (h: RunningHub, body: string, webhookId: string, topic = 'orders/create', secret = SECRET) =>
    fetch(`${h.url}/webhooks/shopify`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-shop-domain': 'coffee-club.myshopify.com',
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      },
    });

  it('accepts a signed delivery once; the provider retry (same id) is a duplicate', async () => {
    const h = await start();
    const body = fixtureText('shopify-orders-create-renewal.json');
    const first = await post(h, JSON.stringify(JSON.parse(body).body), 'wh-1');
    expect(first.status).toBe(202);
    const again = await post(h, JSON.stringify(JSON.parse(body).body), 'wh-1');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { status: string }).status).toBe('duplicate');
    // Mappings of Shopify events see {headers, body}: the renewal order becomes a canonical event.
    await eventually(async () => (await h.store.findEvent('shopify', 'wh-1'))?.inbox.status === 'normalised');
    expect((await h.store.findEvent('shopify', 'wh-1'))?.event?.type).toBe('subscription.renewed');
  });

  it('a captured delivery replayed under a fresh webhook id is a duplicate, not a second event', async () => {
    const h = await start();
    const body = JSON.stringify(JSON.parse(fixtureText('shopify-orders-create-renewal.json')).body);
    const first = (await (await post(h, body, 'wh-1')).json()) as { id: string };
    const replay = await post(h, body, 'wh-forged-2');
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: 'duplicate', id: first.id });
    expect(await h.store.findEvent('shopify', 'wh-forged-2')).toBeUndefined();
  });

  it('the same body under another topic is another event (orders/create and orders/paid share bodies)', async () => {
    const h = await start();
    const body = JSON.stringify(JSON.parse(fixtureText('shopify-orders-create-renewal.json')).body);
    expect((await post(h, body, 'wh-1', 'orders/create')).status).toBe(202);
    expect((await post(h, body, 'wh-2', 'orders/paid')).status).toBe(202);
  });

  it('a wrong HMAC is 401 and stores nothing', async () => {
    const h = await start();
    const res = await post(h, '{"id": 1}', 'wh-9', 'orders/create', 'not-the-secret');
    expect(res.status).toBe(401);
    expect(await h.store.findEvent('shopify', 'wh-9')).toBeUndefined();
  });
});
