import { startMailboxSimulator, type MailboxSimulator } from './simulator';

describe('mailbox simulator (real HTTP on loopback)', () => {
  let sim: MailboxSimulator;
  beforeEach(async () => {
    sim = await startMailboxSimulator(0, { maxBodyKb: 4 });
  });
  afterEach(() => sim.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${sim.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const message = (n: number) =>
    JSON.stringify({
      to: `customer${n}@example.com`,
      template: 'dunning-first-notice',
      subject: 'Your payment failed',
      variables: { payUrl: `https://pay.test/${n}` },
    });

  it('accepts a message with 202 and its id, and stores it', async () => {
    const r = await post(message(1));
    expect(r.status).toBe(202);
    const { id } = (await r.json()) as { id: string };
    expect(id).toMatch(/^msg_/);
    expect(sim.messages()).toEqual([
      expect.objectContaining({
        id,
        to: 'customer1@example.com',
        template: 'dunning-first-notice',
        subject: 'Your payment failed',
        variables: { payUrl: 'https://pay.test/1' },
      }),
    ]);
  });

  it('answers a replay of an Idempotency-Key with the first answer (200) and stores nothing new', async () => {
    const first = await post(message(1), { 'idempotency-key': 'dlv-42' });
    expect(first.status).toBe(202);
    const firstBody = await first.json();
    const again = await post(message(1), { 'idempotency-key': 'dlv-42' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);
    expect(sim.messages()).toHaveLength(1);
    expect(sim.messages()[0]!.idempotencyKey).toBe('dlv-42');
    // Another key is another message.
    expect((await post(message(1), { 'idempotency-key': 'dlv-43' })).status).toBe(202);
    expect(sim.messages()).toHaveLength(2);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    const r = await post('{"to": "a@example.com", ');
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: { code: 'invalid_json', message: expect.any(String) } });
    expect(sim.messages()).toHaveLength(0);
  });

  it('rejects a body that breaks the schema with 400 invalid_request naming each problem', async () => {
    const r = await post(JSON.stringify({ to: 42, subject: ['x'] }), { 'idempotency-key': 'k-bad' });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('to is a non-empty string');
    expect(body.error.message).toContain('template is a non-empty string');
    expect(body.error.message).toContain('subject is a string');
    for (const bad of ['[]', '"text"', JSON.stringify({ to: 'a@example.com', template: 't', variables: [1] })])
      expect((await post(bad)).status).toBe(400);
    // A rejected request is not remembered: the corrected retry may reuse its key.
    expect((await post(message(1), { 'idempotency-key': 'k-bad' })).status).toBe(202);
    expect(sim.messages()).toHaveLength(1);
  });

  it('rejects an oversized body with 413 and a non-JSON body with 415', async () => {
    const big = JSON.stringify({ to: 'a@example.com', template: 't', variables: { blob: 'x'.repeat(8 * 1024) } });
    const r = await post(big);
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const text = await fetch(`${sim.url}/messages`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    expect(sim.messages()).toHaveLength(0);
  });

  it('lists every stored message once across pages, oldest first', async () => {
    for (let i = 0; i < 7; i++) expect((await post(message(i))).status).toBe(202);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = (await (await fetch(`${sim.url}/messages?limit=3${q}`)).json()) as {
        data: Array<{ to: string }>;
        nextCursor: string | null;
      };
      seen.push(...page.data.map((m) => m.to));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `customer${i}@example.com`));
  });

  it('requires the bearer token when one is configured', async () => {
    const locked = await startMailboxSimulator(0, { token: 'mail-token' });
    try {
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(`${locked.url}/messages`, { method: 'POST', headers, body: message(1) })).status).toBe(401);
      expect(
        (
          await fetch(`${locked.url}/messages`, {
            method: 'POST',
            headers: { ...headers, authorization: 'Bearer mail-token' },
            body: message(1),
          })
        ).status,
      ).toBe(202);
    } finally {
      await locked.close();
    }
  });

  it('rejects when its port is taken', async () => {
    const port = Number(new URL(sim.url).port);
    await expect(startMailboxSimulator(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
