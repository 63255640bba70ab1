// Shopify's mandatory compliance webhooks and the data folder's permissions (issue 10, item 4):
// a real hub with the shipped Shopify inbound mappings, signed webhooks over loopback.
import { createHmac } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { startHub, type RunningHub } from '../../src/hub';
import { acquireReconcileLock } from '../../src/store/sqlite/reconcile-lock';
import { devSecrets, devSecretsPath } from '../../src/simulators/dev-secrets';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { captureIO } from '../helpers/capture-io';
import { fixture } from '../helpers/fixtures';
import { rawRequest } from '../helpers/http-raw';
import { eventually } from '../helpers/target-server';
import { tempFiles } from '../helpers/temp-files';

const SECRET = 'shpss_privacy_test_secret';
const TOKEN = 'adm_privacy_0123456789abcdef0123';
const EMAIL = 'mila.jansen@example.nl';
type ShopifyFixture = { headers: Record<string, string>; body: Record<string, unknown> };

describe('Shopify privacy requests and a private data folder (real hub)', () => {
  let hub: RunningHub | undefined;
  let dataDir = '';
  let configPath = '';
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  async function start(): Promise<RunningHub> {
    const dir = tempFiles({});
    dataDir = join(dir, 'data');
    configPath = join(dir, 'hub.json');
    const mappings = { 'orders/create': 'shopify.orders-create.to.hub-event', 'customers/update': 'shopify.customers-update.to.hub-event' };
    writeFileSync(
      configPath,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        storage: { dataDir },
        log: { level: 'error' },
        mappings: { paths: [join(__dirname, '..', '..', 'mappings')] },
        connectors: { shopify: { type: 'shopify', webhook: { secrets: [{ env: 'SHOPIFY_API_SECRET' }] }, inbound: { mappings } } },
        pipeline: { pollMs: 10 },
      }),
    );
    return (hub = await startHub({
      path: configPath,
      localPath: false,
      env: { SHOPIFY_API_SECRET: SECRET, SUBHUB_ADMIN_TOKEN: TOKEN },
      silent: true,
    }));
  }

  /** Posts a shipped Shopify fixture, signed, and waits until the hub has processed it. */
  async function deliver(h: RunningHub, name: string): Promise<string> {
    const f = fixture<ShopifyFixture>(name);
    const body = JSON.stringify(f.body);
    const id = f.headers['x-shopify-webhook-id']!;
    const res = await fetch(`${h.url}/webhooks/shopify`, {
      method: 'POST',
      body,
      headers: { ...f.headers, 'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64') },
    });
    expect(res.status).toBe(202);
    await eventually(async () => (await h.store.findEvent('shopify', id))?.inbox.status !== 'received');
    return (await h.store.findEvent('shopify', id))!.inbox.status;
  }

  /** Every stored text that still holds the e-mail address, as "table" names. */
  function tablesWithEmail(h: RunningHub): string[] {
    const db = (h.store as SqliteStore).db;
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
    return tables.filter((t) => {
      const cols = (db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(t) as Array<{ name: string; type: string }>).filter(
        (c) => c.type === 'TEXT',
      );
      return cols.some((c) => db.prepare(`SELECT 1 FROM "${t}" WHERE instr(lower("${c.name}"), ?) > 0 LIMIT 1`).get(EMAIL) !== undefined);
    });
  }

  const admin = (h: RunningHub, path: string) =>
    rawRequest(`${h.url}/admin/api${path}`, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } });

  it('data request: recorded, and the customer’s data is findable; redact: nothing personal is left in the store, bookkeeping stays, and it is recorded', async () => {
    const h = await start();
    expect(await deliver(h, 'shopify-orders-create-renewal.json')).toBe('normalised');
    expect(tablesWithEmail(h)).toEqual(expect.arrayContaining(['inbox', 'events']));

    expect(await deliver(h, 'shopify-customers-data-request.json')).toBe('normalised');
    const { privacyRequests } = (await admin(h, '/privacy-requests')).json<{
      privacyRequests: Array<{ id: string; kind: string; contact?: unknown }>;
    }>();
    expect(privacyRequests).toEqual([
      expect.objectContaining({ kind: 'customer_data_request', contact: { email: EMAIL, phone: '+31612345678', requestId: '9512' } }),
    ]);
    const exported = (await admin(h, `/privacy-requests/${privacyRequests[0]!.id}`)).json<{
      data: { inbox: Array<{ body: { id?: number; email?: string } }>; events: unknown[] };
    }>();
    expect(exported.data.inbox.find((x) => x.body.id === 6123456789034)?.body.email).toBe(EMAIL);
    expect(exported.data.events).toHaveLength(1);

    expect(await deliver(h, 'shopify-customers-redact.json')).toBe('normalised');
    expect(tablesWithEmail(h)).toEqual([]);
    const order = (h.store as SqliteStore).db
      .prepare(`SELECT body FROM inbox WHERE source_event_id = ?`)
      .pluck()
      .get('b54557e4-bdd9-4b37-8a5f-bf7d70bcd043') as string;
    expect(JSON.parse(order)).toMatchObject({
      id: 6123456789034,
      email: '[redacted]',
      currency: 'EUR',
      customer: { id: 7390592532522, first_name: '[redacted]' },
    });
    expect(JSON.stringify(JSON.parse(order))).not.toMatch(/Mila|Jansen|\+31612345678/);

    const io = captureIO();
    expect(await main(['privacy', 'list', '--config', configPath], io)).toBe(0);
    expect(io.stdout()).toMatch(/customer_redact +shopify {2}customer 7390592532522 {2}redacted: inbox 3, events 1/);
    expect(io.stdout()).toContain('customer_data_request');
  });

  it('a privacy request that names no customer is a dead letter with a stable code; nothing is redacted', async () => {
    const h = await start();
    const f = fixture<ShopifyFixture>('shopify-customers-redact.json');
    f.body.customer = {};
    const body = JSON.stringify(f.body);
    await fetch(`${h.url}/webhooks/shopify`, {
      method: 'POST',
      body,
      headers: { ...f.headers, 'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64') },
    });
    await eventually(async () => (await h.store.counts()).deadLettersOpen === 1);
    expect(await h.store.listDeadLetters({})).toEqual([expect.objectContaining({ stage: 'map', errorCode: 'PRIVACY_REQUEST_INVALID' })]);
    expect(await h.store.privacy.listRequests(10)).toEqual([]);
  });

  it('the data folder is 0700 and the database, its WAL and shared memory, the pid file and dev secrets are 0600', async () => {
    const h = await start();
    await deliver(h, 'shopify-orders-create-renewal.json');
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect(mode(dataDir)).toBe('700');
    const release = acquireReconcileLock(join(dataDir, 'reconcile.lock'));
    expect(mode(join(dataDir, 'reconcile.lock.json'))).toBe('600');
    release();
    for (const f of ['subhub.db', 'subhub.db-wal', 'subhub.db-shm', 'subhub.pid', 'reconcile.lock'])
      expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
    const other = join(tempFiles({}), 'fresh-data');
    devSecrets(other);
    expect([mode(other), mode(devSecretsPath(other))]).toEqual(['700', '600']);
  });
});
