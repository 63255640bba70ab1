/// <reference types="jest" />
import { ERROR_CODES } from '../errors/codes';
import { createAjv } from '../json/ajv';
import type { ActionContext, ConnectorDefinition, ConnectorDeps } from './connector';
import type { DeliveryError } from './delivery-error';

/**
 * The connector contract kit: the checks every connector must pass, for your own connectors'
 * test suites (jest). Call it at the top level of a test file:
 *
 *   connectorContract(connector, { options, deps, actions: { notify: { payload, expectOk: true } } });
 *
 * It checks the declaration (type, kind, description), that the options schema compiles in
 * strict mode and accepts `options`, that actions are built and that a sample call either
 * succeeds or fails with a DeliveryError whose code is catalogued, and that pulls stream.
 * `start`/`stop` let the suite run against a simulator.
 */
export interface ContractSetup {
  options: Record<string, unknown>;
  deps?: ConnectorDeps;
  /** Sample calls: the payload, and whether it must succeed (else it must fail with `expectCode`). */
  actions?: Record<string, { payload: unknown; expectOk?: boolean; expectCode?: string }>;
  /** Pulls to run, with the least number of records each must yield. */
  pulls?: Record<string, { params?: Record<string, string>; atLeast: number }>;
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
}

const CTX: ActionContext = { idempotencyKey: 'contract-kit/1', attempt: 1, timeoutMs: 5000 };

export function connectorContract(def: ConnectorDefinition, setup: ContractSetup): void {
  const deps: ConnectorDeps = setup.deps ?? { resolveSecret: () => undefined };
  describe(`connector contract: ${def.type}`, () => {
    if (setup.start) beforeAll(setup.start);
    if (setup.stop) afterAll(setup.stop);

    it('declares a lower-case type, a kind and a description', () => {
      expect(def.type).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(['billing', 'webshop', 'erp', 'warehouse', 'generic']).toContain(def.kind);
      expect(def.description.length).toBeGreaterThan(0);
    });

    it('has an options schema that compiles in strict mode and accepts the options', () => {
      if (!def.optionsSchema) return expect(setup.options).toEqual({});
      const validate = createAjv().compile(def.optionsSchema);
      expect(validate(setup.options) ? [] : validate.errors).toEqual([]);
      expect(def.checkOptions?.(setup.options) ?? []).toEqual([]);
    });

    for (const [name, sample] of Object.entries(setup.actions ?? {})) {
      it(`action ${name}: ${sample.expectOk === false ? `fails with ${sample.expectCode}` : 'succeeds'}, classifying errors with catalogued codes`, async () => {
        const action = def.createActions?.(setup.options, deps)[name];
        expect(typeof action).toBe('function');
        const outcome = await action!(sample.payload, CTX).then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        if (!outcome.ok) {
          // Duck-typed: a connector built against another copy of the SDK (dist/) has other classes.
          expect(outcome.e).toMatchObject({ name: 'DeliveryError', code: expect.any(String), kind: expect.any(String) });
          expect(Object.keys(ERROR_CODES)).toContain((outcome.e as DeliveryError).code);
        }
        if (sample.expectOk === false) {
          expect(outcome.ok).toBe(false);
          if (sample.expectCode) expect((outcome as { e: DeliveryError }).e.code).toBe(sample.expectCode);
        } else {
          expect(outcome).toMatchObject({ ok: true });
        }
      });
    }

    for (const [name, p] of Object.entries(setup.pulls ?? {})) {
      it(`pull ${name} streams at least ${p.atLeast} record(s)`, async () => {
        const pull = def.createPulls?.(setup.options, deps)[name];
        expect(typeof pull).toBe('function');
        let n = 0;
        for await (const _ of pull!(p.params)) n++;
        expect(n).toBeGreaterThanOrEqual(p.atLeast);
      });
    }
  });
}
