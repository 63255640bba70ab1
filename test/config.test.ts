import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { deepMerge, loadConfig } from '../src/config/load-config';
import { requireSecret, resolveSecret } from '../src/config/secrets';
import { HUB_EVENT_TYPES } from '../src/events';
import { MappingSet } from '../src/mapping/mapping-set';
import { tempFiles } from './helpers/temp-files';
import { problems } from './helpers/rejected';

const minimal = { connectors: { stripe: { type: 'stripe' } } };

describe('loadConfig', () => {
  it('loads the shipped config with every reference resolved', () => {
    const set = MappingSet.fromPaths([join(__dirname, '..', 'mappings')]);
    const { config } = loadConfig({
      path: join(__dirname, '..', 'config', 'hub.json'),
      localPath: false,
      env: {},
      catalog: {
        mappingNames: set.names(),
        eventTypes: HUB_EVENT_TYPES,
        connectorTypes: ['stripe', 'mollie', 'shopify', 'odoo', 'warehouse', 'http'],
      },
    });
    expect(Object.keys(config.connectors ?? {})).toEqual(['stripe', 'mollie', 'shopify', 'odoo', 'warehouse', 'mailer']);
    expect(config.routes?.length).toBeGreaterThan(0);
  });

  it('applies schema defaults and freezes the result', () => {
    const dir = tempFiles({ 'hub.json': minimal });
    const { config } = loadConfig({ path: join(dir, 'hub.json'), env: {} });
    expect(config.server).toEqual({ host: '0.0.0.0', port: 8080, maxBodyKb: 1024, shutdownGraceMs: 10000 });
    expect(config.connectors?.stripe?.enabled).toBe(true);
    expect(config.retry?.maxAttempts).toBe(15);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('layers local.json over the main file (objects merge, arrays replace) and then the environment', () => {
    const dir = tempFiles({
      'hub.json': { ...minimal, server: { port: 8000, maxBodyKb: 10 }, mappings: { paths: ['a', 'b'] } },
      'local.json': { server: { port: 8001 }, mappings: { paths: ['c'] } },
    });
    const { config, files } = loadConfig({ path: join(dir, 'hub.json'), env: { SUBHUB_DATA_DIR: '/var/lib/subhub' } });
    expect(files).toEqual([join(dir, 'hub.json'), join(dir, 'local.json')]);
    expect(config.server?.port).toBe(8001);
    expect(config.server?.maxBodyKb).toBe(10);
    expect(config.mappings?.paths).toEqual(['c']);
    expect(config.storage?.dataDir).toBe('/var/lib/subhub');
    expect(loadConfig({ path: join(dir, 'hub.json'), env: { PORT: '9090' } }).config.server?.port).toBe(9090);
  });

  it('rejects a malformed environment override with CONFIG_ENV_INVALID', () => {
    const dir = tempFiles({ 'hub.json': minimal });
    const [p] = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: { PORT: 'eighty' } }));
    expect(p!.code).toBe('CONFIG_ENV_INVALID');
    expect(p!.location).toMatchObject({ file: 'env PORT', pointer: '/server/port' });
  });

  it('names file, line, column, pointer and a hint for an unknown key', () => {
    const dir = tempFiles({ 'hub.json': '{\n  "server": {\n    "prot": 8080\n  }\n}\n' });
    const [p] = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {} }));
    expect(p!.code).toBe('SCHEMA_INVALID');
    expect(p!.location).toMatchObject({ line: 3, col: 5, pointer: '/server/prot' });
    expect(p!.hint).toBe('did you mean "port"?');
    expect(p!.toLine()).toMatch(new RegExp(`^${join(dir, 'hub.json')}:3:5: unknown key "prot"`));
  });

  it('reports a problem in local.json against local.json', () => {
    const dir = tempFiles({ 'hub.json': minimal, 'local.json': '{\n  "log": { "level": "verbose" }\n}' });
    const [p] = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {} }));
    expect(p!.location).toMatchObject({ file: join(dir, 'local.json'), line: 2, pointer: '/log/level' });
  });

  it('refuses a literal secret and says how to reference one', () => {
    const dir = tempFiles({ 'hub.json': { connectors: { stripe: { type: 'stripe', webhook: { secrets: ['whsec_live_123'] } } } } });
    const errs = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {} }));
    const p = errs.find((e) => e.location.pointer === '/connectors/stripe/webhook/secrets/0');
    expect(p?.message).toBe('a secret must be a reference, never a literal value');
    expect(p?.hint).toContain('{"env": "STRIPE_WEBHOOK_SECRET"}');
    expect(errs.map((e) => e.toLine()).join('\n')).not.toContain('whsec_live_123');
  });

  it('reports unknown route targets, mappings and event types with suggestions', () => {
    const dir = tempFiles({
      'hub.json': {
        connectors: { odoo: { type: 'odoo' } },
        routes: [{ on: ['subscription.renewd', 'invoice.*', 'bogus.*'], to: 'odo', action: 'createSaleOrder', mapping: 'missing' }],
      },
    });
    const errs = problems(() =>
      loadConfig({ path: join(dir, 'hub.json'), env: {}, catalog: { mappingNames: ['hub.x'], eventTypes: HUB_EVENT_TYPES } }),
    );
    expect(errs.map((e) => [e.code, e.location.pointer, e.hint])).toEqual([
      ['CONFIG_UNKNOWN_REF', '/routes/0/to', 'did you mean "odoo"?'],
      ['CONFIG_UNKNOWN_REF', '/routes/0/mapping', expect.any(String)],
      ['CONFIG_UNKNOWN_REF', '/routes/0/on/0', 'did you mean "subscription.renewed"?'],
      ['CONFIG_UNKNOWN_REF', '/routes/0/on/2', expect.any(String)],
    ]);
  });

  it('reports connectors the stock and reconcile sections name but the config lacks, with line, column and a suggestion', () => {
    const dir = tempFiles({
      'hub.json': {
        connectors: { warehouse: { type: 'warehouse' }, stripe: { type: 'stripe' } },
        stock: { warehouse: 'warehous', erp: 'odoo' },
        reconcile: { billing: 'stripe', warehouse: 'wms' },
      },
    });
    const errs = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {}, catalog: { eventTypes: HUB_EVENT_TYPES } }));
    expect(errs.map((e) => [e.code, e.location.pointer, e.message, e.hint])).toEqual([
      ['CONFIG_UNKNOWN_REF', '/stock/warehouse', 'unknown connector "warehous"', 'did you mean "warehouse"?'],
      ['CONFIG_UNKNOWN_REF', '/stock/erp', 'unknown connector "odoo"', expect.any(String)],
      ['CONFIG_UNKNOWN_REF', '/reconcile/warehouse', 'unknown connector "wms"', expect.any(String)],
    ]);
    expect(errs[0]!.location.line).toBeGreaterThan(1);
  });

  it('the dunning policy and stock rules are schema-checked: a misspelt stage key, a negative min, an unknown stock-out policy', () => {
    const dir = tempFiles({
      'hub.json': {
        dunning: { policy: { id: 'p', stages: [{ name: 'WARNING', when: { daysSinceEarliestUnpaid: 3 }, deliverr: true }] } },
        stock: { stockOut: 'panic', rules: { 'COF-ESP-250': { min: -1, max: 10, leadTimeDays: 5 } } },
      },
    });
    const errs = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {} }));
    const pointers = errs.map((e) => [e.code, e.location.pointer]);
    expect(pointers).toEqual(
      expect.arrayContaining([
        ['SCHEMA_INVALID', '/dunning/policy/stages/0/deliverr'],
        ['SCHEMA_INVALID', '/dunning/policy/stages/0'],
        ['SCHEMA_INVALID', '/stock/stockOut'],
        ['SCHEMA_INVALID', '/stock/rules/COF-ESP-250/min'],
      ]),
    );
    expect(errs.find((e) => e.location.pointer === '/dunning/policy/stages/0/deliverr')?.hint).toBe('did you mean "deliver"?');
  });

  it('gives JSON syntax errors a line and column', () => {
    const dir = tempFiles({ 'hub.json': '{\n  "server": { "port": 8080, },\n}' });
    const errs = problems(() => loadConfig({ path: join(dir, 'hub.json'), env: {} }));
    expect(errs[0]!.code).toBe('JSON_SYNTAX');
    expect(errs[0]!.location.line).toBe(2);
  });

  it('a missing config file is FILE_READ', () => {
    const [p] = problems(() => loadConfig({ path: '/nonexistent/hub.json', env: {} }));
    expect(p!.code).toBe('FILE_READ');
  });

  it('never lets __proto__ in an override file reach a prototype', () => {
    const dir = tempFiles({ 'hub.json': minimal, 'local.json': '{"__proto__": {"polluted": true}, "log": {"level": "debug"}}' });
    const { config } = loadConfig({ path: join(dir, 'hub.json'), env: {} });
    expect(config.log?.level).toBe('debug');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(deepMerge({ a: 1 }, JSON.parse('{"__proto__": {"x": 1}}'))).toEqual({ a: 1 });
  });
});

describe('secrets', () => {
  it('resolves env and file references and treats empty as missing', () => {
    const dir = tempFiles({ secret: '  s3cr3t\n', empty: '' });
    expect(resolveSecret({ env: 'X' }, { X: 'v' })).toBe('v');
    expect(resolveSecret({ env: 'X' }, { X: '' })).toBeUndefined();
    expect(resolveSecret({ file: join(dir, 'secret') })).toBe('s3cr3t');
    expect(resolveSecret({ file: join(dir, 'empty') })).toBeUndefined();
    expect(resolveSecret({ file: join(dir, 'nope') })).toBeUndefined();
  });

  it('requireSecret fails closed with CONFIG_SECRET_MISSING and never prints a value', () => {
    expect(() => requireSecret({ env: 'STRIPE_WEBHOOK_SECRET' }, {})).toThrow(
      expect.objectContaining({ code: 'CONFIG_SECRET_MISSING', kind: 'config' }),
    );
    const dir = tempFiles({});
    writeFileSync(join(dir, 's'), 'value');
    expect(requireSecret({ file: join(dir, 's') })).toBe('value');
  });
});
