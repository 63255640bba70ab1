import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { playMonth, type DemoResult } from '../../src/demo/run-demo';
import { PAGES } from '../../src/http/console/pages';
import type { DeadLetter } from '../../src/store/ports';
import { launchChromium } from '../helpers/browser';

/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) against a hub
 * holding the demo month's data. Screenshots of every page go to test-output/console/ (ignored by git).
 */
jest.setTimeout(240_000);

const TOKEN = 'console-browser-test-token-7f3a';
const OPERATOR = 'Ada Operator';
const SHOTS = join(__dirname, '..', '..', 'test-output', 'console');

let demo: DemoResult;
let browser: Browser;
let base: string;
let context: BrowserContext;
/** A delivery to the ERP dead-lettered after the month (the ERP refused every attempt). */
let deadLetter: DeadLetter;

const adminApi = async (path: string) => {
  const r = await fetch(`${base}/admin/api${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

/** Polls `check` until it returns a value (a condition on the hub's state, not a sleep), or fails after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Console errors and uncaught page errors (a CSP violation is logged as a console error). */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

async function login(page: Page, next = '/console/'): Promise<void> {
  await page.goto(`${base}${next}`);
  await page.waitForURL(/\/console\/login/);
  await page.getByLabel('Your name').fill(OPERATOR);
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${base}${next}`);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Two attempts per delivery, quickly: the dead letter below needs no long wait.
  demo = await playMonth(() => undefined, {
    adminToken: TOKEN,
    configure: (c) => void (c.retry = { ...c.retry!, maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50, jitter: 0 }),
  });
  base = demo.world.hub.url;
  // The ERP refuses everything while one subscription renews: its sale order is dead-lettered.
  demo.world.odoo.failNext(1_000_000);
  const before = new Set((await demo.world.hub.store.listDeadLetters({ status: 'open' })).map((d) => d.id));
  const r = await fetch(`${demo.world.stripe.url}/_sim/subscriptions/${demo.ctx.subs.anna}/renew`, { method: 'POST' });
  expect(r.status).toBe(200);
  deadLetter = await eventually('a dead letter for the ERP', async () =>
    (await demo.world.hub.store.listDeadLetters({ status: 'open', stage: 'deliver' })).find(
      (d) => !before.has(d.id) && d.target === 'odoo',
    ),
  );
  demo.world.odoo.failNext(0);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'nl-NL' });
});

afterAll(async () => {
  await browser?.close();
  await demo?.world.close();
});

describe('the console fails closed', () => {
  it.each(PAGES.map((p) => [p.name, p.path]))('%s without a session redirects to the login page', async (_name, path) => {
    const r = await fetch(`${base}${path}`, { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`/console/login?next=${encodeURIComponent(path)}`);
  });

  it.each(['/overview', '/event-search', '/dead-letter-page', '/subscription-page', '/dunning-board', '/stock', '/mappings', '/decisions'])(
    'the admin API %s answers 401 without a session or token',
    async (path) => {
      const r = await fetch(`${base}/admin/api${path}`);
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ADMIN_UNAUTHORIZED');
    },
  );

  it('a forged or expired cookie is no session; a wrong token does not log in', async () => {
    for (const cookie of ['subhub_session=v1.zzzzzzzz.QWRh.forged', 'subhub_session=v1.1.QWRh.x']) {
      expect((await fetch(`${base}/console/session`, { headers: { cookie } })).status).toBe(401);
      expect((await fetch(`${base}/admin/api/overview`, { headers: { cookie } })).status).toBe(401);
    }
    const page = await context.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('Your name').fill(OPERATOR);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not the admin token');
    expect((await context.cookies()).some((c) => c.name === 'subhub_session')).toBe(false);
    await page.close();
  });

  it('a cross-site form POST with the session cookie is refused (403 CONSOLE_CSRF) and changes nothing', async () => {
    const page = await context.newPage();
    await login(page);
    const cookie = (await context.cookies()).find((c) => c.name === 'subhub_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Another origin on the same host, another port: the same site for the browser, so even the
    // SameSite=Strict cookie is sent along; the CSRF check must refuse it.
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="post" action="${base}/admin/api/dead-letters/${deadLetter.id}/discard"></form>` +
          `<script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      await page.waitForURL(`${base}/admin/api/dead-letters/${deadLetter.id}/discard`);
      expect(await page.textContent('body')).toContain('CONSOLE_CSRF');
    } finally {
      await new Promise((r) => evil.close(r));
    }
    expect((await demo.world.hub.store.getDeadLetter(deadLetter.id))?.status).toBe('open');
    // A script on the console's own origin without the CSRF token is refused as well.
    await page.goto(`${base}/console/`);
    const status = await page.evaluate(
      async (id) => (await fetch(`/admin/api/dead-letters/${id}/discard`, { method: 'POST' })).status,
      deadLetter.id,
    );
    expect(status).toBe(403);
    expect((await demo.world.hub.store.getDeadLetter(deadLetter.id))?.status).toBe('open');
    await page.close();
  });
});

describe('an operator in the console', () => {
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    await context.clearCookies();
    page = await context.newPage();
    errors = watch(page);
    await login(page);
  });

  afterAll(() => page.close());

  /** What each page shows once its data is there (with the demo month's data). */
  const ready: Record<string, (p: Page) => Promise<unknown>> = {
    overview: (p) => p.getByText('Open dead letters').waitFor(),
    events: (p) => p.getByRole('table', { name: 'Latest events' }).waitFor(),
    'dead-letters': (p) => p.getByRole('table', { name: 'Dead letters, newest first' }).waitFor(),
    subscriptions: (p) => p.getByRole('table', { name: 'Subscriptions' }).waitFor(),
    dunning: (p) => p.getByRole('table', { name: 'Blacklisted customers, most recent first' }).waitFor(),
    stock: (p) => p.locator('figure.chart canvas').waitFor(),
    playground: (p) => p.getByLabel('Mapping (JSON)').waitFor(),
    reconciliation: (p) => p.getByRole('table', { name: 'Reconciliation runs, newest first' }).or(p.getByText('No run yet')).waitFor(),
  };

  it('walks every page (a screenshot of each in test-output/console/)', async () => {
    for (const p of PAGES) {
      const response = await page.goto(`${base}${p.path}`);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await ready[p.name]!(page);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBeTruthy();
      expect(await page.getAttribute(`nav a[href="${p.path}"]`, 'aria-current')).toBe('page');
      await page.screenshot({ path: join(SHOTS, `${p.name}.png`), fullPage: true });
    }
    expect(errors).toEqual([]);
  });

  it('shows the demo month: subscriptions, the blacklisted customer, stock demand', async () => {
    const counts = (await adminApi('/subscription-counts')).body.counts as Record<string, number>;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await page.goto(`${base}/console/subscriptions`);
    const rows = page.getByRole('table', { name: 'Subscriptions' }).locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(
      Math.min(
        50,
        Object.values(counts).reduce((a, b) => a + b, 0),
      ),
    );
    const blacklisted = (await adminApi('/blacklisted')).body.items as Array<{ id: string }>;
    expect(blacklisted.length).toBeGreaterThan(0);
    await page.goto(`${base}/console/dunning`);
    await expect(page.getByRole('table', { name: 'Blacklisted customers, most recent first' }).textContent()).resolves.toContain(
      blacklisted[0]!.id,
    );
    // Numbers in the operator's locale (nl-NL): the overview's figures use its digit grouping.
    expect(errors).toEqual([]);
  });

  it('replays a dead letter and sees it delivered', async () => {
    await page.goto(`${base}/console/dead-letters?target=odoo`);
    await page.getByRole('link', { name: 'Open' }).first().waitFor();
    await page.goto(`${base}/console/dead-letters?target=odoo&id=${encodeURIComponent(deadLetter.id)}`);
    await page.getByRole('heading', { name: `Dead letter ${deadLetter.id}` }).waitFor();
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.textContent()).resolves.toContain(OPERATOR);
    await dialog.getByRole('button', { name: 'Replay' }).click();
    await page.getByText(`Replay: ${deadLetter.id} done.`).waitFor();
    const replayed = await demo.world.hub.store.getDeadLetter(deadLetter.id);
    expect(replayed).toMatchObject({ status: 'replayed', resolvedBy: OPERATOR });
    const delivered = await eventually('the replayed delivery done', async () => {
      const found = await demo.world.hub.store.findEvent(deadLetter.source, deadLetter.sourceEventId);
      const d = found?.deliveries.find((x) => x.id === deadLetter.deliveryId);
      return d?.status === 'done' ? d : undefined;
    });
    expect(delivered.target).toBe('odoo');
    // The timeline shows it delivered, with the operator's replay.
    await page.getByRole('link', { name: 'The event and its timeline' }).click();
    await page.getByRole('link', { name: deadLetter.sourceEventId }).click();
    const deliveries = page.getByRole('table', { name: 'Deliveries of this event' });
    await expect(deliveries.textContent()).resolves.toContain('done');
    await expect(page.getByRole('table', { name: 'Audit' }).textContent()).resolves.toContain(OPERATOR);
    expect(errors).toEqual([]);
  });

  it('clears a blacklist and the Shopify tag is removed in the simulator', async () => {
    const id = ((await adminApi('/blacklisted')).body.items as Array<{ id: string }>)[0]!.id;
    const customer = (await adminApi(`/customers/${encodeURIComponent(id)}`)).body.customer as { shopifyCustomerId?: string };
    const tagsOf = () => [...(demo.world.shopify.tags.get(customer.shopifyCustomerId!) ?? [])];
    expect(tagsOf().some((t) => t.includes('blacklist'))).toBe(true);
    await page.goto(`${base}/console/subscriptions?customer=${encodeURIComponent(id)}`);
    await page.getByRole('button', { name: 'Clear blacklist' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Clear blacklist' }).click();
    await page.getByText('Blacklist cleared.').waitFor();
    await eventually('the blacklist tag removed in Shopify', async () =>
      tagsOf().some((t) => t.includes('blacklist')) ? undefined : true,
    );
    expect(((await adminApi(`/customers/${encodeURIComponent(id)}`)).body.customer as { blacklisted: boolean }).blacklisted).toBe(false);
    expect(errors).toEqual([]);
  });

  it('edits a mapping in the playground and sees the located error', async () => {
    const mappings = (await adminApi('/mappings')).body.mappings as Array<{ name: string; cases: { names: string[] } | null }>;
    const withCases = mappings.find((m) => m.cases && m.cases.names.length > 0)!;
    await page.goto(`${base}/console/playground?mapping=${encodeURIComponent(withCases.name)}`);
    const source = page.getByLabel('Mapping (JSON)');
    await eventually('the mapping text loaded', async () => ((await source.inputValue()).includes('{') ? true : undefined));
    // A fixture its cases use, picked from the list: the output appears.
    const fixture = page.getByLabel('Fixture payload');
    await fixture.selectOption({ index: 1 });
    await eventually('the fixture loaded', async () =>
      (await page.getByLabel('Input payload (JSON)').inputValue()).includes('{') ? true : undefined,
    );
    await page
      .getByLabel('Output')
      .or(page.getByText(/^Dropped: /))
      .waitFor();
    const text = await source.inputValue();
    // Break line 2: a stray character where a key should start.
    const lines = text.split('\n');
    lines[1] = `  @${lines[1]!.trimStart()}`;
    await source.fill(lines.join('\n'));
    const located = page.getByRole('button', { name: /^line 2, column \d+$/ });
    await located.waitFor();
    await located.click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('source');
    // The cases of the shipped text pass; nothing was written to disk.
    await source.fill(text);
    await page.getByRole('button', { name: "Run the mapping's cases" }).click();
    await page.getByRole('heading', { name: /^Cases: \d+ passed, 0 failed$/ }).waitFor();
    expect(errors).toEqual([]);
  });
});
