import type { SubscriptionSnapshot } from '../events';
import { isHubError } from '../errors/hub-error';
import type { CompiledMapping, MappingResult } from '../mapping/compile-mapping';
import type { Pull } from '../sdk';
import type { InboxEntry } from '../store/ports';
import type { BillingSource } from './billing-source';
import { compareSnapshots, snapshotFingerprint } from './compare-snapshots';
import type { Drift, DriftKind } from './drift';
import { FingerprintTable, hash53 } from './fingerprint-table';
import type { PassContext } from './pass-context';
import { yieldToLoop } from './pass-context';
import { readAhead } from './read-ahead';

const BATCH = 500;

export interface BillingPlan {
  connectorId: string;
  source: BillingSource;
  pull: Pull;
  /** The inbound mapping of `source.types.updated`: the truth is what it makes of the pulled subscription. */
  mapping: CompiledMapping;
  /** Provider event types the connector maps (a repair falls back to `updated` for the others). */
  mapped: ReadonlySet<string>;
}

/**
 * Billing ↔ hub. Streams the provider's subscriptions in batches, maps each through the
 * connector's inbound mapping (the truth, in canonical form) and compares it with the hub's
 * projection; remembers each provider id as a 53-bit hash (8 bytes, see FingerprintTable), then
 * pages through the hub's subscriptions of this provider to find those the provider does not
 * list. A repair appends the provider's own webhook for the subscription to the inbox
 * (BillingSource.repair), so the normal enrichment, mapping and domain handle it; its id carries
 * the date and a hash of the truth, so a second run the same day appends nothing new. Several
 * billing connectors run one pass each, every pass seeing only the hub subscriptions of its prefix.
 */
export async function billingPass(ctx: PassContext, plan: BillingPlan): Promise<{ billing: number; hub: number }> {
  const seen = new FingerprintTable(1 << 16);
  let processed = 0;
  for await (const batch of readAhead(plan.pull({}), BATCH, BATCH * 4)) {
    const ids = batch.map((raw) => plan.source.idOf(raw));
    const hub = await ctx.domain.subscriptionsByProviderId(ids.filter((id): id is string => id !== undefined));
    const repairs: Array<{ entry: InboxEntry; drift: Drift }> = [];
    for (let i = 0; i < batch.length; i++) {
      const raw = batch[i];
      const id = ids[i];
      if (id === undefined) continue;
      seen.set(hash53(id));
      const input = plan.source.mappingInput(raw, ctx.now);
      const truth = plan.mapping.isAsync ? await mapTruthAsync(plan, input) : mapTruth(plan, () => plan.mapping.runSync(input));
      if ('error' in truth) {
        ctx.tally.add({ kind: 'billing_unmappable', subject: id, detail: truth.error }, false);
        continue;
      }
      // Provider ids are only unique per provider: a state of another provider is not this one's.
      const found = hub.get(id);
      const state = found?.hubSubscriptionId.startsWith(plan.source.hubIdPrefix) ? found : undefined;
      const hubOwn = state && plan.source.hubOwnStatus?.(truth.snapshot, state.snapshot);
      const diff: { kind: DriftKind; detail: string } | undefined = state
        ? compareSnapshots(truth.snapshot, hubOwn ? { ...state.snapshot, status: truth.snapshot.status } : state.snapshot)
        : {
            kind: 'billing_missing_in_hub',
            detail: `${truth.snapshot.status}, ${truth.snapshot.items.map((x) => `${x.quantity}×${x.sku}`).join(', ')}`,
          };
      if (!diff) continue;
      const drift: Drift = { kind: diff.kind, subject: id, detail: diff.detail };
      const unrepairable = plan.source.sameStatusUnrepairable;
      if (unrepairable && state && state.snapshot.providerStatus === truth.snapshot.providerStatus) {
        ctx.tally.add({ ...drift, detail: `${diff.detail}; ${unrepairable}` }, false);
        continue;
      }
      if (ctx.dryRun) {
        ctx.tally.add(drift, false);
        continue;
      }
      const type = repairType(plan, raw, state === undefined);
      const eventId = `reconcile:${id}:${ctx.today}:${hash53(snapshotFingerprint(truth.snapshot)).toString(36)}`;
      drift.repair = eventId;
      const { body, headers } = plan.source.repair(raw, type, eventId, ctx.now);
      repairs.push({
        entry: { source: plan.connectorId, sourceEventId: eventId, eventType: type, receivedAt: ctx.now, headers, body },
        drift,
      });
    }
    if (repairs.length > 0) {
      const results = await Promise.all(repairs.map((r) => ctx.inbox.append(r.entry)));
      results.forEach((r, i) => {
        if (r.status === 'accepted') ctx.emitted.inbox++;
        ctx.tally.add(repairs[i]!.drift, true);
      });
    }
    processed += batch.length;
    ctx.progress('billing', processed);
    await yieldToLoop();
  }
  ctx.progress('billing', processed, true);

  let hubCount = 0;
  for await (const page of ctx.domain.subscriptionPages(1000)) {
    for (const state of page) {
      if (!state.hubSubscriptionId.startsWith(plan.source.hubIdPrefix)) continue;
      hubCount++;
      const id = state.snapshot.providerSubscriptionId;
      if (!seen.has(hash53(id))) {
        ctx.tally.add(
          {
            kind: 'hub_missing_in_billing',
            subject: id,
            detail: `the hub has ${state.hubSubscriptionId} (${state.snapshot.status}); ${plan.connectorId} does not list it`,
          },
          false,
        );
      }
    }
    ctx.progress('hub', hubCount);
  }
  ctx.progress('hub', hubCount, true);
  return { billing: processed, hub: hubCount };
}

type Truth = { snapshot: SubscriptionSnapshot } | { error: string };

async function mapTruthAsync(plan: BillingPlan, input: unknown): Promise<Truth> {
  try {
    const r = await plan.mapping.run(input);
    return mapTruth(plan, () => r);
  } catch (e) {
    return mapTruth(plan, () => {
      throw e;
    });
  }
}

/** The canonical snapshot the mapping makes of the provider's subscription, or why it makes none. */
function mapTruth(plan: BillingPlan, run: () => MappingResult): Truth {
  try {
    const r = run();
    if (r.dropped) return { error: `dropped by ${plan.mapping.name}: ${r.reason}` };
    const snapshot = (r.output as { subscription?: SubscriptionSnapshot }).subscription;
    return snapshot ? { snapshot } : { error: `${plan.mapping.name} gives no subscription snapshot` };
  } catch (e) {
    if (isHubError(e)) return { error: `${e.code}: ${e.message}` };
    throw e;
  }
}

/** created for a subscription the hub lacks, ended for one that ended, else updated (each only if the connector maps it). */
function repairType(plan: BillingPlan, raw: unknown, missing: boolean): string {
  const { types } = plan.source;
  const want = plan.source.ended(raw) ? types.ended : missing ? types.created : types.updated;
  return plan.mapped.has(want) ? want : types.updated;
}
