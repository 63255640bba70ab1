import type { HubConfig } from '../config/config.types';
import type { ConnectorRuntime } from '../connectors/registry';
import { isHubError } from '../errors/hub-error';
import { validateHubEvent, type HubEvent } from '../events';
import type { MappingSet } from '../mapping/mapping-set';
import { ulid } from '../util/ids';
import type { DeadLetterEntry, DeliveryEntry, InboxOutcome, InboxRow } from '../store/ports';
import { enrich, withEnrichment, type EnrichDeps } from './enrich';
import { routeMatches, routeName } from '../config/routes';
import { complianceRequest, isComplianceTopic } from './compliance-request';
import { parseInboxBody } from '../ingest/inbox-body';

export interface NormaliseDeps {
  config: Readonly<HubConfig>;
  connectors: ReadonlyMap<string, ConnectorRuntime>;
  mappings: MappingSet;
  /** The enrichment step (connectors' enrichers); without it, events are mapped as received. */
  enrich?: EnrichDeps;
}

/**
 * Turns one inbox entry into a canonical event and its deliveries (one per matching route), or
 * into an explicit ignore (no mapping for that event type, or the mapping dropped it), or into
 * a dead letter at stage `map` (the mapping failed) with the raw body kept for replay.
 */
export async function normalise(row: InboxRow, deps: NormaliseDeps, now: number): Promise<InboxOutcome> {
  if (row.source === HUB_SOURCE) return normaliseHubEvent(row, deps, now);
  const connector = deps.connectors.get(row.source);
  const inbound = deps.config.connectors?.[row.source]?.inbound?.mappings ?? {};
  const eventType = row.eventType ?? '';
  if (isComplianceTopic(deps.config.connectors?.[row.source]?.type, row.eventType)) return privacyRequest(row, now);
  const mappingName = inbound[eventType] ?? inbound['*'];
  if (!mappingName) {
    const why = deps.config.connectors?.[row.source]?.inbound?.ignore?.[eventType];
    return why
      ? { status: 'ignored', kind: 'configured', reason: `ignored by config: ${why}` }
      : { status: 'ignored', kind: 'unmapped', reason: `no inbound mapping for "${eventType}"` };
  }

  // What the enrichment step fetched on this attempt: stored with the outcome, whatever it is.
  let fetched: { enrichment: string } | undefined;
  const dead = (code: string, message: string): InboxOutcome => ({
    status: 'failed',
    deadLetter: deadLetter(row, now, { stage: 'map', mapping: mappingName, errorCode: code, errorMessage: message }),
    ...fetched,
  });

  let event: HubEvent;
  let validated = false;
  let stateKey: { fetchedStateKey: string } | undefined;
  try {
    const body: unknown = parseInboxBody(row.body, row.headers);
    let input: unknown = connector?.definition.webhook?.mappingInput === 'envelope' ? { headers: row.headers, body } : body;
    const enriched = deps.enrich ? await enrich(row, input, connector, deps.enrich, now) : undefined;
    if (enriched?.status === 'retry') return enriched;
    if (enriched?.status === 'dead')
      return { status: 'failed', deadLetter: deadLetter(row, now, { stage: 'map', ...enriched.deadLetter }) };
    if (enriched?.status === 'ok') {
      input = withEnrichment(input, enriched.value);
      if (enriched.fresh) fetched = { enrichment: JSON.stringify(enriched.value) };
      const key = fetchedStateKey(connector, enriched.value);
      if (typeof key === 'object') return dead('ENRICHMENT_STATE_KEY_FAILED', `${row.source} webhook.fetchedStateKey: ${key.problem}`);
      if (key !== undefined) stateKey = { fetchedStateKey: key };
    }
    const mapping = deps.mappings.get(mappingName);
    // A mapping that declares outputSchema "hub-event" has validated its output already; the
    // fields added here (id, receivedAt, tenantId, rawRef) are well-formed by construction.
    validated = mapping.outputSchema === 'hub-event';
    const result = await mapping.run(input);
    if (result.dropped) return { status: 'ignored', kind: 'dropped', reason: `dropped by ${mappingName}: ${result.reason}`, ...fetched };
    event = {
      ...(result.output as HubEvent),
      id: ulid(now),
      receivedAt: new Date(row.receivedAt).toISOString(),
      tenantId: (result.output as Partial<HubEvent>).tenantId ?? deps.config.connectors?.[row.source]?.tenantId ?? 'default',
      rawRef: `inbox:${row.id}`,
    };
  } catch (e) {
    if (isHubError(e)) return dead(e.code, 'toLine' in e && typeof e.toLine === 'function' ? (e.toLine as () => string)() : e.message);
    throw e;
  }
  const check = validated ? ({ ok: true } as const) : validateHubEvent(event);
  if (!check.ok) {
    return dead(
      'MAPPING_OUTPUT_INVALID',
      `mapping ${mappingName} produced an invalid event: ${check.errors.map((x) => `${x.pointer} ${x.message}`).join('; ')}`,
    );
  }
  return { ...routed(event, deps), ...fetched, ...stateKey };
}

/**
 * The connector's key for what the enrichment step fetched (undefined: none), or the problem when
 * its function threw or returned something other than a non-empty string (a connector bug: the
 * entry is dead-lettered with its enrichment kept, so a fixed connector can replay it).
 */
function fetchedStateKey(connector: ConnectorRuntime | undefined, enrichment: unknown): string | undefined | { problem: string } {
  const keyOf = connector?.definition.webhook?.fetchedStateKey;
  if (!keyOf) return undefined;
  try {
    const key: unknown = keyOf(enrichment);
    if (key === undefined || (typeof key === 'string' && key !== '')) return key;
    return { problem: `returned ${key === '' ? 'an empty string' : typeof key}, not a non-empty string or undefined` };
  } catch (e) {
    return { problem: `threw: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** A privacy request is carried out by the store with the entry's completion; an unreadable one is a dead letter. */
function privacyRequest(row: InboxRow, now: number): InboxOutcome {
  try {
    return { status: 'privacy', request: complianceRequest(row) };
  } catch (e) {
    const message = `privacy request ${row.eventType ?? ''} is unreadable: ${(e as Error).message}; nothing was redacted`;
    return {
      status: 'failed',
      deadLetter: deadLetter(row, now, { stage: 'map', errorCode: 'PRIVACY_REQUEST_INVALID', errorMessage: message }),
    };
  }
}

/** The source name of events the hub derives itself (already canonical: validated, not mapped). */
export const HUB_SOURCE = 'hub';

function normaliseHubEvent(row: InboxRow, deps: NormaliseDeps, now: number): InboxOutcome {
  let event: HubEvent;
  try {
    event = { ...(JSON.parse(row.body) as HubEvent), rawRef: `inbox:${row.id}` };
  } catch (e) {
    return {
      status: 'failed',
      deadLetter: deadLetter(row, now, {
        stage: 'map',
        errorCode: 'EVENT_UNREADABLE',
        errorMessage: `hub event is not JSON: ${(e as Error).message}`,
      }),
    };
  }
  const check = validateHubEvent(event);
  if (!check.ok) {
    const message = `hub event ${row.eventType ?? ''} is invalid: ${check.errors.map((x) => `${x.pointer} ${x.message}`).join('; ')}`;
    return {
      status: 'failed',
      deadLetter: deadLetter(row, now, { stage: 'map', errorCode: 'MAPPING_OUTPUT_INVALID', errorMessage: message }),
    };
  }
  return routed(event, deps);
}

/** The event with one delivery per matching route; the pipeline's domain step adds what it changes in the domain. */
function routed(event: HubEvent, deps: NormaliseDeps): Extract<InboxOutcome, { status: 'normalised' }> {
  const deliveries: DeliveryEntry[] = (deps.config.routes ?? [])
    .filter((r) => r.enabled !== false && routeMatches(r.on, event.type) && (!r.providers || r.providers.includes(providerOf(event))))
    .map((r) => ({
      route: routeName(r),
      target: r.to,
      action: r.action,
      mapping: r.mapping,
      idempotencyKey: `${event.source.dedupeKey}/${routeName(r)}`,
    }));
  return {
    status: 'normalised',
    event: {
      eventId: event.id,
      type: event.type,
      entityKey: entityKeyOf(event),
      body: JSON.stringify(event),
      deliveries,
      parsed: event,
    },
  };
}

export function deadLetter(
  row: InboxRow,
  now: number,
  what: Pick<DeadLetterEntry, 'stage' | 'errorCode' | 'errorMessage' | 'mapping'>,
): DeadLetterEntry {
  return {
    ...what,
    source: row.source,
    sourceEventId: row.sourceEventId,
    inboxId: row.id,
    attempts: row.attempts,
    firstAttemptAt: row.receivedAt,
    lastAttemptAt: now,
    payload: row.body,
  };
}

/** The billing provider an event concerns (routes' `providers`): its subscription's id prefix, else its customer's, else its source. */
export function providerOf(event: Readonly<HubEvent>): string {
  const id = event.subscription?.hubSubscriptionId ?? event.customer?.hubCustomerId;
  const i = id ? id.indexOf(':') : -1;
  return i > 0 ? id!.slice(0, i) : event.source.provider;
}

/** Deliveries are ordered per (target, entity): a subscription, else a customer, else a SKU (reorders). */
export function entityKeyOf(event: Readonly<HubEvent>): string {
  return event.subscription?.hubSubscriptionId ?? event.customer?.hubCustomerId ?? (event.reorder ? `sku:${event.reorder.sku}` : event.id);
}
