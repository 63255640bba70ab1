import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpConnector } from '../../connectors/http';
import { DeliveryError } from '../sdk';
import { guardedLookup, isForbiddenAddress, urlProblem } from './outbound-guard';

// S6 of the reliability plan: the SSRF URL table, at config time and at connect time.
describe('urlProblem (config time)', () => {
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.5/',
    'http://172.16.3.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://localhost:8080/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'file:///etc/passwd',
    'gopher://example.com/',
    'ftp://example.com/',
  ])('refuses %s', (url) => {
    expect(urlProblem(url)).toBeDefined();
  });

  it.each(['https://api.example.com/v1', 'http://93.184.216.34/', 'https://[2606:2800:220:1::]/'])('accepts %s', (url) => {
    expect(urlProblem(url)).toBeUndefined();
  });

  it('lets listed hosts through (local simulators)', () => {
    expect(urlProblem('http://127.0.0.1:9000/', ['127.0.0.1'])).toBeUndefined();
    expect(urlProblem('http://localhost:9000/', ['localhost'])).toBeUndefined();
  });

  it('isForbiddenAddress judges IPv4-mapped and NAT64 forms by their IPv4 part', () => {
    expect(isForbiddenAddress('::ffff:10.1.2.3')).toBe(true);
    expect(isForbiddenAddress('64:ff9b::127.0.0.1')).toBe(true);
    expect(isForbiddenAddress('::ffff:93.184.216.34')).toBe(false);
    expect(isForbiddenAddress('not an address')).toBe(true);
  });
});

describe('connect time', () => {
  let canary: Server;
  let hits = 0;
  let port = 0;
  beforeAll(async () => {
    canary = createServer((_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', () => r()));
    port = (canary.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => canary.close(r)));

  it('a name resolving to a loopback address is refused before any connection (DELIVERY_BLOCKED)', async () => {
    const actions = httpConnector.createActions!(
      { baseUrl: `http://localhost:${port}`, actions: { send: { method: 'POST', path: '/x' } } },
      { resolveSecret: () => undefined },
    );
    await expect(actions.send!({}, { idempotencyKey: 'k', attempt: 1, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'DELIVERY_BLOCKED',
      kind: 'permanent',
    });
    expect(hits).toBe(0);
  });

  it('guardedLookup refuses any resolved forbidden address unless the name is allowed', async () => {
    const lookup = guardedLookup();
    const refused = await new Promise<Error | null>((r) => lookup('localhost', {}, (err) => r(err)));
    expect(refused?.message).toMatch(/forbidden address/);
    const allowed = await new Promise<Error | null>((r) => guardedLookup(['localhost'])('localhost', {}, (err) => r(err)));
    expect(allowed).toBeNull();
  });

  it('redirects are not followed, so a target cannot bounce a call to the canary', async () => {
    const bouncer = createServer((_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${port}/`);
      res.end();
    });
    await new Promise<void>((r) => bouncer.listen(0, '127.0.0.1', () => r()));
    const bport = (bouncer.address() as AddressInfo).port;
    try {
      const actions = httpConnector.createActions!(
        { baseUrl: `http://127.0.0.1:${bport}`, allowHosts: ['127.0.0.1'], actions: { send: { method: 'POST', path: '/x' } } },
        { resolveSecret: () => undefined },
      );
      const err = await actions.send!({}, { idempotencyKey: 'k', attempt: 1, timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).code).toBe('DELIVERY_REJECTED');
      expect(hits).toBe(0);
    } finally {
      await new Promise((r) => bouncer.close(r));
    }
  });

  it('a config naming a forbidden target is refused at start (CONFIG_OUTBOUND_BLOCKED at the options pointer)', () => {
    expect(httpConnector.checkOptions!({ baseUrl: 'http://169.254.169.254/', actions: {} })).toEqual([
      expect.objectContaining({ pointer: '/baseUrl', message: expect.stringContaining('169.254.169.254') }),
    ]);
  });
});
