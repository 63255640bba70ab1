import type { SecretRef } from './secret-ref';
import type { PullPolicy } from './pull-pacer';

/** What a connector is for; shown in docs and used to pick defaults. */
export type ConnectorKind = 'billing' | 'webshop' | 'erp' | 'warehouse' | 'generic';

/** The signature scheme of a connector's inbound webhooks. */
export type WebhookScheme = 'stripe' | 'shopify' | 'standard-webhooks' | 'mollie';

export interface ActionContext {
  /** Stable per (event, route): send it where the target supports one (Idempotency-Key, external ref). */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  timeoutMs: number;
  /** Aborted when the hub shuts down with this call still running: stop waiting for the target. */
  signal?: AbortSignal;
}

export interface ActionResult {
  /** The target's HTTP status, when there is one. */
  status?: number;
  /** An id the target gave the created object, for the audit trail. */
  externalId?: string;
}

/** A read operation: streams the target's records (filters as string parameters). */
export type Pull = (params?: Readonly<Record<string, string>>) => AsyncIterable<unknown>;

/** An outbound operation: takes the mapped payload; throws DeliveryError to say what went wrong. */
export type Action = (payload: unknown, ctx: ActionContext) => Promise<ActionResult>;

/**
 * Completes an inbound event before it is mapped ("fetch on notify"), for webhooks that carry
 * only ids (Stripe's failed invoice without its payment, Mollie's `id=tr_…`). Receives what the
 * inbound mapping would receive (the body or the envelope); returns the data the mapping then
 * sees beside the event under `enrichment`, or `undefined` when there is nothing to fetch. Throws
 * DeliveryError like an action: retryable errors are retried on the hub's schedule (circuit
 * breaker and rate limit of this connector shared with its deliveries), others dead-letter the
 * entry at stage `map`. The result is stored with the inbox entry: a replay maps the same data.
 */
export type Enricher = (event: unknown, ctx: ActionContext) => Promise<unknown>;

export interface ConnectorDeps {
  resolveSecret(ref: SecretRef): string | undefined;
  /** The connector's pull policy (config `connectors.<id>.pull`): give it to a PullPacer. */
  pull?: PullPolicy;
}

/**
 * A connector declares; the core executes. `optionsSchema` checks the connector's `options` in
 * config; `webhook` says how its inbound webhooks are verified and what its inbound mappings
 * receive (`body`: the parsed body; `envelope`: {headers, body}, for sources whose ids travel
 * in headers); `createActions` builds its outbound actions from validated options.
 */
export interface ConnectorDefinition {
  readonly type: string;
  readonly kind: ConnectorKind;
  readonly description: string;
  readonly optionsSchema?: Record<string, unknown>;
  readonly webhook?: {
    scheme: WebhookScheme;
    mappingInput: 'body' | 'envelope';
    /**
     * The customer a webhook belongs to, from its parsed body and kept headers: with the Kafka
     * event log it is the partition key, so one customer's events stay in one partition, in
     * order. Undefined when the webhook names none (it is then keyed by its own id).
     */
    partitionKey?(body: unknown, headers: Readonly<Record<string, string>>): string | undefined;
    /**
     * The identity of the state the enrichment step fetched (e.g. `tr_WDqYK6vllg:failed`), for
     * providers that notify the same object id for every change and may repeat a notification
     * (Mollie's classic webhooks): two entries of this connector whose fetched state has the same
     * key have one effect. The first one normalised wins; a later one is settled as ignored (kind
     * `duplicate`) with no canonical event and no deliveries. The store records the key with the
     * normalised outcome in the same transaction, so concurrent normalisers agree. Receives what the
     * enricher returned (also when it was stored earlier and reused); undefined: no deduplication
     * for this entry. Must be a pure function of its input and include every field whose change
     * matters downstream (a payment's status, and e.g. its refunded or charged-back amounts).
     * Entries without enrichment are never deduplicated this way.
     */
    fetchedStateKey?(enrichment: unknown): string | undefined;
  };
  /** Checks beyond the schema (e.g. outbound URLs against the SSRF rules); pointers are relative to `options`. */
  checkOptions?(options: Record<string, unknown>): Array<{ pointer: string; message: string; hint?: string }>;
  createActions?(options: Record<string, unknown>, deps: ConnectorDeps): Record<string, Action>;
  /**
   * Read operations for reconciliation (list reservations, read stock levels, ...): each streams
   * records page by page, so memory stays bounded however many there are.
   */
  createPulls?(options: Record<string, unknown>, deps: ConnectorDeps): Record<string, Pull>;
  /** Enrichers by inbound event type (`*`: every type without its own), run before mapping. */
  createEnrichers?(options: Record<string, unknown>, deps: ConnectorDeps): Record<string, Enricher>;
}

export function defineConnector(def: ConnectorDefinition): ConnectorDefinition {
  return Object.freeze(def);
}
