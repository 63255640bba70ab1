import { randomBytes } from 'node:crypto';
import type { DemandLine, DunningSnapshot, HubEvent, SubscriptionSnapshot } from '../events';
import {
  decide,
  type CustomerOverrides,
  type Decision,
  type DunningPolicy,
  type FailureCategory,
  type PaymentMethod,
  type PaymentState,
} from '../dunning/policy';
import { deliveryDemand, renewalShips, type BillOfMaterials } from './demand';
import { ulid } from '../util/ids';
import { noChanges, type CustomerRecord, type DemandRecord, type DomainChanges, type DomainReader, type DunningRecord } from './ports';
import { applyEvent, remember, type SubscriptionState } from './subscription-projection';

export interface DomainSettings {
  bom: BillOfMaterials;
  /** Without a policy the hub records payment failures but decides nothing (the provider dunns). */
  policy?: DunningPolicy;
  overrides: Readonly<Record<string, CustomerOverrides>>;
  /** Link template with {customer} and {subscription}. */
  paymentUpdateUrl?: string;
  /**
   * Per provider (the hub id's prefix): the base URL of the hub's own payment-details link
   * (`<base>/<token>`, GET /links/payment-update/<token>), used instead of `paymentUpdateUrl` for
   * that provider's subscriptions (Mollie: the link creates a first payment, which yields a new mandate).
   */
  paymentUpdateLinks?: Readonly<Record<string, string>>;
  /** Per provider (the hub id's prefix, e.g. mollie): whether it retries failed payments by itself; absent providers follow `policy.providerRetries`. */
  providerRetries?: Readonly<Record<string, boolean>>;
  /**
   * Whether some enabled route takes events of this type. Derived events nobody routes are not
   * emitted (the domain tables and the decision trail still record everything); default: all.
   */
  routed?: (type: string) => boolean;
  /** The hub location a tenant's subscriptions ship from (tables/tenants.json); without it demand records no location (the default one). */
  locationOf?: (tenantId: string | undefined) => string;
}

/** Events that count as a default by themselves (a written-off invoice, a chargeback). */
const WRITE_OFFS = new Set(['invoice.uncollectible', 'payment.chargeback']);
/** 3-D Secure / SCA: the customer must act (docs/dunning.md §3); Stripe sends invoice.payment_failed for the same attempt too. */
const ACTION_REQUIRED = 'invoice.payment_action_required';
const FAILURES = new Set(['invoice.payment_failed', 'payment.failed', ACTION_REQUIRED, ...WRITE_OFFS]);
const RECOVERIES = new Set(['invoice.paid', 'payment.succeeded', 'payment_method.updated']);
/** Failures that are not the customer's fault (or not known to be: an unexpanded payment) never count as defaults (docs/dunning.md §4.6). */
const NOT_A_DEFAULT = new Set<FailureCategory>(['insufficient_inventory', 'technical', 'unknown']);
const DAY = 86_400_000;
/** Subscriptions that will never bill again: their dunning cycles end. */
const TERMINAL = new Set(['canceled', 'expired']);

/**
 * The subscription domain: for each canonical event, the projection, the dunning decision, the
 * blacklist and the stock demand of the subscription's next delivery, as one set of changes
 * committed with the event (so a crash loses all or nothing and a replay recomputes the same).
 * Effects on other systems leave as derived hub events (stock.demand_changed, dunning.*,
 * customer.risk_changed) that the routes deliver, so they get retries, order and dead letters.
 *
 * Pure: every call reads only the reader it is given (a unit the pipeline loaded first) and
 * returns changes; nothing is kept between calls. Within one call, reads see the call's own
 * earlier changes (an overlay cleared at the start of the next call).
 */
export class DomainService {
  readonly #pending = {
    subscriptions: new Map<string, SubscriptionState>(),
    customers: new Map<string, CustomerRecord>(),
    dunning: new Map<string, DunningRecord | null>(),
    demand: new Map<string, DemandRecord>(),
  };
  #reader: DomainReader = NO_STATE;

  constructor(private readonly settings: DomainSettings) {}

  /** The unit an event reads and writes: its customer (and subscription); undefined when the domain ignores the event. */
  static unitOf(event: Readonly<HubEvent>): { customerId: string; subscriptionId?: string } | undefined {
    if (event.source.provider === 'hub' || !event.customer) return undefined;
    const subscriptionId = event.subscription?.hubSubscriptionId;
    return { customerId: event.customer.hubCustomerId, ...(subscriptionId ? { subscriptionId } : {}) };
  }

  /** Starts a call: reads go to `reader`, the overlay is empty. */
  #begin(reader: DomainReader): void {
    this.#reader = reader;
    for (const m of Object.values(this.#pending)) m.clear();
  }

  handle(event: Readonly<HubEvent>, reader: DomainReader, now: number): DomainChanges {
    this.#begin(reader);
    const c = noChanges();
    // The hub's own events are outputs of this service, never inputs.
    if (event.source.provider === 'hub' || !event.customer) return c;
    const subId = event.subscription?.hubSubscriptionId;
    let state = subId ? this.#subscription(subId) : undefined;
    let customer = this.#customer(event.customer.hubCustomerId, event.customer, c);

    const paymentFact = FAILURES.has(event.type) || isRecovery(event);
    if (event.subscription && state && WRITE_OFFS.has(event.type)) {
      // A write-off or chargeback says nothing about the subscription's status (the provider's
      // own subscription events do): its payment facts count, its snapshot is not taken.
      if (state.applied.includes(event.source.dedupeKey)) return this.#routedOnly(c);
      state = remember(state, event);
      this.#put(c, 'subscriptions', state.hubSubscriptionId, state);
    } else if (event.subscription) {
      const r = applyEvent(state, event);
      if (r.changed) state = r.state!;
      else {
        c.decisions.push({
          at: event.occurredAt,
          kind: 'projection',
          subject: subId!,
          eventId: event.id,
          outcome: 'ignored',
          rule: r.reason,
        });
        // A duplicate changes nothing. A late event's snapshot is older than the state and is
        // not taken, but its payment facts still count (a failure reported after the status
        // change it caused): it is remembered, so a replay of it is a no-op.
        if (!state || state.applied.includes(event.source.dedupeKey) || !paymentFact) return this.#routedOnly(c);
        state = remember(state, event);
      }
      this.#put(c, 'subscriptions', state.hubSubscriptionId, state);
    }
    if (state && TERMINAL.has(state.snapshot.status) && this.#dunning(state.hubSubscriptionId)) {
      // Nothing left to collect or deliver: the cycle ends without a notice.
      this.#put(c, 'dunning', state.hubSubscriptionId, null);
      c.decisions.push({
        at: event.occurredAt,
        kind: 'dunning',
        subject: state.hubSubscriptionId,
        eventId: event.id,
        outcome: 'closed',
        rule: `the subscription is ${state.snapshot.status}: the dunning cycle ends`,
      });
    } else if (state && this.settings.policy) {
      if (FAILURES.has(event.type)) customer = this.#failure(event, state, customer, this.settings.policy, c, now);
      else if (isRecovery(event)) this.#recover(event, state, customer, c, now);
    } else if (!state && this.settings.policy && WRITE_OFFS.has(event.type)) {
      customer = this.#customerDefault(event, customer, c, now);
    }
    if (state) this.#demand(state, customer, event, c, now);
    return this.#routedOnly(c);
  }

  #routedOnly(c: DomainChanges): DomainChanges {
    const routed = this.settings.routed;
    if (routed) c.derived = c.derived.filter((e) => routed(e.type));
    return c;
  }

  /**
   * The hub's own payment retries (providers without retries, `dunning.providerRetries`): every open
   * cycle whose scheduled retry is due at `now` and not yet requested gets a `payment.retry_requested`
   * event (routed to the billing connector's charge action) and a decision. Idempotent: the record
   * notes the request, and the event's dedupe key is (subscription, invoice, attempt), so a repeat
   * (two hubs, a crash before the commit) queues nothing twice. A cycle that recovered meanwhile
   * has no record, and its retry is gone with it.
   */
  retriesDue(open: readonly DunningRecord[], reader: DomainReader, now: number): DomainChanges {
    this.#begin(reader);
    const c = noChanges();
    if (!this.settings.policy) return c;
    const at = new Date(now).toISOString();
    for (const before of open) {
      const retry = before.retry;
      if (!retry || retry.requestedAt || Date.parse(retry.at) > now) continue;
      const state = this.#subscription(before.subscriptionId);
      if (!state || TERMINAL.has(state.snapshot.status)) continue;
      const customer = this.#pending.customers.get(before.customerId) ??
        this.#reader.customer(before.customerId) ?? { id: before.customerId, defaults: [], blacklisted: false };
      this.#put(c, 'dunning', before.subscriptionId, { ...before, retry: { ...retry, requestedAt: at } });
      const key = `retry:${before.subscriptionId}:${retry.invoice}:${retry.attempt}`;
      c.decisions.push({
        at,
        kind: 'dunning',
        subject: before.subscriptionId,
        outcome: 'retry requested',
        rule: `hub-scheduled retry ${retry.attempt} of ${retry.invoice} (${retry.amountMinor} ${retry.currency}, due ${retry.at}): the provider does not retry by itself`,
        detail: { retry },
      });
      const dedupeKey = `hub:${key}`;
      c.derived.push({
        id: ulid(now),
        type: 'payment.retry_requested',
        schemaVersion: 1,
        occurredAt: at,
        receivedAt: at,
        effectiveAt: at,
        actionType: 'effective',
        source: { provider: 'hub', eventId: key, eventType: 'retry', dedupeKey },
        tenantId: state.tenantId ?? 'default',
        customer: { hubCustomerId: customer.id, ...idsOf(customer) },
        subscription: state.snapshot,
        retry: {
          invoiceId: retry.invoice,
          attempt: retry.attempt,
          amountMinor: retry.amountMinor,
          currency: retry.currency,
          scheduledAt: retry.at,
          ...(retry.mandateId ? { mandateId: retry.mandateId } : {}),
        },
      });
    }
    return this.#routedOnly(c);
  }

  /** The base of the hub's own payment-details link for a subscription's provider, if it has one. */
  #linkBaseOf(subscriptionId: string): string | undefined {
    return this.settings.paymentUpdateLinks?.[subscriptionId.slice(0, subscriptionId.indexOf(':'))];
  }

  /** The dunning policy for a subscription: whether its provider retries (`dunning.providerRetries`) depends on the provider (the hub id's prefix). */
  #policyOf(subscriptionId: string): DunningPolicy {
    const policy = this.settings.policy!;
    const provider = subscriptionId.slice(0, subscriptionId.indexOf(':'));
    const own = this.settings.providerRetries?.[provider];
    return own === undefined ? policy : { ...policy, providerRetries: own };
  }

  /**
   * Time moves stages on without any event (14 days unpaid → SUSPENDED): re-decides every open
   * dunning cycle at `now` and returns the changes of the cycles whose stage moved (the nightly
   * job commits them per customer with `DomainStore.commitUnit`). Idempotent per day: the derived events are keyed
   * by the review date.
   */
  reviewDunning(open: readonly DunningRecord[], reader: DomainReader, now: number): DomainChanges {
    this.#begin(reader);
    const c = noChanges();
    if (!this.settings.policy) return c;
    for (const before of open) {
      const customer = this.#pending.customers.get(before.customerId) ??
        this.#reader.customer(before.customerId) ?? { id: before.customerId, defaults: [], blacklisted: false };
      this.#redecide(before, customer, now, 'nightly review', c);
    }
    return this.#routedOnly(c);
  }

  /**
   * Decides an open cycle again at `now` (time passed, or the customer's blacklist changed).
   * A new stage is announced (stage_changed: notice, billing actions); a changed deliver flag
   * alone is recorded and moves the demand, without a notice.
   */
  #redecide(before: DunningRecord, customer: CustomerRecord, now: number, why: string, c: DomainChanges, causeKey?: string): void {
    const state = this.#subscription(before.subscriptionId);
    if (!state || TERMINAL.has(state.snapshot.status)) return;
    const at = new Date(now).toISOString();
    const decision = this.#decideCycle(
      before.subscriptionId,
      before.unpaid,
      { category: before.category as FailureCategory | undefined, method: before.method, attempts: before.attempts },
      customer,
      now,
    );
    if (decision.stage === before.stage && decision.deliver === before.deliver) return;
    // Billing paused by an earlier stage resumes when a lighter stage takes over.
    const resumeBilling = before.billingPaused === true && !decision.pauseBilling;
    const record: DunningRecord = {
      ...before,
      stage: decision.stage,
      deliver: decision.deliver,
      billingPaused: (before.billingPaused === true && !resumeBilling) || decision.pauseBilling,
    };
    this.#put(c, 'dunning', before.subscriptionId, record);
    const cause: HubEvent = {
      id: ulid(now),
      type: 'dunning.stage_changed',
      schemaVersion: 1,
      occurredAt: at,
      receivedAt: at,
      effectiveAt: at,
      actionType: 'effective',
      // A review is once a day; an operator's change has a key of its own, so a second change on
      // the same day is announced too (the derived event's dedupe key is built from this one).
      source: {
        provider: 'hub',
        eventId: causeKey ?? `review:${at.slice(0, 10)}`,
        eventType: 'dunning_review',
        dedupeKey: causeKey ?? `review:${at.slice(0, 10)}`,
      },
      tenantId: 'default',
      customer: { hubCustomerId: customer.id, ...idsOf(customer) },
    };
    c.decisions.push({
      at,
      kind: 'dunning',
      subject: before.subscriptionId,
      outcome: `${decision.stage}${decision.deliver ? '' : ' (shipments held)'}`,
      rule: `${why}: ${decision.rule}`,
    });
    if (decision.stage !== before.stage)
      c.derived.push(this.#dunningEvent('dunning.stage_changed', cause, state, record, decision, customer, now, resumeBilling));
    this.#demand(state, customer, cause, c, now);
  }

  /**
   * An operator clears a customer's blacklist: the flag goes, defaults before now stop counting,
   * held shipments of their subscriptions are reserved again, and a customer.risk_changed tells
   * the shop and the ERP. Undefined when the customer is unknown or not blacklisted.
   */
  clearBlacklist(customerId: string, actor: string, reader: DomainReader, now: number): DomainChanges | undefined {
    this.#begin(reader);
    const before = this.#pending.customers.get(customerId) ?? this.#reader.customer(customerId);
    if (!before?.blacklisted) return undefined;
    const c = noChanges();
    const at = new Date(now).toISOString();
    const updated: CustomerRecord = { ...before, blacklisted: false, clearedAt: at };
    this.#put(c, 'customers', customerId, updated);
    const rule = `blacklist cleared by ${actor}; earlier defaults no longer count`;
    const cause: HubEvent = {
      id: ulid(now),
      type: 'customer.risk_changed',
      schemaVersion: 1,
      occurredAt: at,
      receivedAt: at,
      effectiveAt: at,
      actionType: 'effective',
      source: {
        provider: 'hub',
        eventId: `clear:${customerId}:${at}`,
        eventType: 'blacklist_cleared',
        dedupeKey: `clear:${customerId}:${at}`,
      },
      tenantId: 'default',
      customer: { hubCustomerId: customerId, ...idsOf(updated) },
    };
    c.decisions.push({ at, kind: 'blacklist', subject: `customer:${customerId}`, outcome: 'cleared', rule });
    c.derived.push({
      ...this.#derivedBase(cause, now, `blacklist-cleared:${customerId}`),
      type: 'customer.risk_changed',
      customer: cause.customer,
      risk: { blacklisted: false, reason: rule },
    });
    for (const s of this.#subscriptionsOfCustomer(customerId)) {
      const open = this.#dunning(s.hubSubscriptionId);
      // A stage that delivers held shipments only because of the blacklist delivers again.
      if (open) this.#redecide(open, updated, now, 'blacklist cleared', c);
      this.#demand(this.#subscription(s.hubSubscriptionId) ?? s, updated, cause, c, now);
    }
    return this.#routedOnly(c);
  }

  /**
   * An operator sets a customer's dunning overrides (goodwill, grace days): they replace the
   * operator's earlier ones as a whole (a field left out falls back to config's
   * `dunning.customers`; none at all removes them) and every open dunning cycle of the customer is
   * decided again at `now`, so the board shows the effect at once. The decision trail and the
   * audit name the actor. Undefined when the customer is unknown.
   */
  setOverrides(
    customerId: string,
    set: { goodwill?: boolean; graceDays?: number },
    actor: string,
    reader: DomainReader,
    now: number,
  ): DomainChanges | undefined {
    this.#begin(reader);
    const before = this.#pending.customers.get(customerId) ?? this.#reader.customer(customerId);
    if (!before) return undefined;
    const c = noChanges();
    const at = new Date(now).toISOString();
    const fields = {
      ...(set.goodwill !== undefined ? { goodwill: set.goodwill } : {}),
      ...(set.graceDays !== undefined ? { graceDays: set.graceDays } : {}),
    };
    const { overrides: _previous, ...rest } = before;
    const updated: CustomerRecord = Object.keys(fields).length ? { ...rest, overrides: { ...fields, setBy: actor, setAt: at } } : rest;
    this.#put(c, 'customers', customerId, updated);
    const what = [
      ...(set.goodwill !== undefined ? [`goodwill ${set.goodwill ? 'on' : 'off'}`] : []),
      ...(set.graceDays !== undefined ? [`${set.graceDays} grace days`] : []),
    ];
    const rule = what.length
      ? `operator ${actor} set ${what.join(' and ')} (over config's overrides)`
      : `operator ${actor} removed the operator overrides (config's apply)`;
    c.decisions.push({
      at,
      kind: 'dunning',
      subject: `customer:${customerId}`,
      outcome: what.length ? 'overrides set' : 'overrides removed',
      rule,
      detail: { before: before.overrides ?? null, after: updated.overrides ?? null },
    });
    c.audit = [{ actor, action: 'customer.overrides', subject: customerId, detail: { set: fields } }];
    if (!this.settings.policy) return this.#routedOnly(c);
    for (const s of this.#subscriptionsOfCustomer(customerId)) {
      const open = this.#dunning(s.hubSubscriptionId);
      if (open) this.#redecide(open, updated, now, rule, c, `overrides:${customerId}:${at}`);
    }
    return this.#routedOnly(c);
  }

  // ——— dunning ———

  /**
   * The policy's decision on a cycle at `now`, with the customer's overrides and defaults. The
   * overrides merge field by field: config's `dunning.customers` first, then the operator's on
   * the customer record, which win (an operator acts on today's situation; config is the standing rule).
   */
  #decideCycle(
    subscriptionId: string,
    unpaid: DunningRecord['unpaid'],
    payment: Pick<PaymentState, 'category' | 'method' | 'attempts'>,
    customer: CustomerRecord,
    now: number,
  ): Decision {
    const policy = this.#policyOf(subscriptionId);
    return decide(
      policy,
      { ...unpaidFacts(unpaid, now), ...payment, defaultsInWindow: defaultsInWindow(customer, now, policy) },
      { ...this.settings.overrides[customer.id], ...operatorOverrides(customer), blacklisted: customer.blacklisted },
    );
  }

  #failure(
    event: Readonly<HubEvent>,
    state: SubscriptionState,
    customer: CustomerRecord,
    policy: DunningPolicy,
    c: DomainChanges,
    now: number,
  ): CustomerRecord {
    const subId = state.hubSubscriptionId;
    const before = this.#dunning(subId);
    const at = event.occurredAt;
    const invoiceId = event.invoice?.id ?? event.payment?.id ?? event.id;
    const amount = event.invoice ? event.invoice.amountDueMinor - event.invoice.amountPaidMinor : (event.payment?.amountMinor ?? 0);
    const category = (event.payment?.failure?.category ??
      (event.type === ACTION_REQUIRED ? 'authentication_required' : 'unknown')) as FailureCategory;
    const method: PaymentMethod =
      event.payment?.method === 'sepa_debit' ? 'sepa_debit' : event.payment?.method === 'card' ? 'card' : 'other';
    const firstFailureOfInvoice = !before?.unpaid[invoiceId];
    // Stripe reports one failed attempt of an invoice twice when the customer must authenticate
    // (invoice.payment_failed and invoice.payment_action_required, same attempt_count): it counts once.
    const invoiceAttempt = event.invoice?.attemptCount;
    const notice = event.type === ACTION_REQUIRED;
    const last = before?.unpaid[invoiceId];
    const sameAttempt = invoiceAttempt !== undefined && last?.attempt === invoiceAttempt && (last.actionRequired ?? false) !== notice;
    const entry = {
      ...(last ?? { amountMinor: amount, failedAt: at }),
      ...(invoiceAttempt !== undefined ? { attempt: invoiceAttempt, actionRequired: notice } : {}),
    };
    const unpaid = { ...before?.unpaid, [invoiceId]: entry };
    // A default (docs/dunning.md §4.6): an invoice the provider gave up on after a customer-caused
    // soft failure (no next attempt), written off, or charged back. Once per invoice; hard
    // failures wait for a new payment method and count only when written off.
    // Waiting for the customer to authenticate is not giving up.
    const givenUp =
      event.type !== ACTION_REQUIRED &&
      event.invoice?.nextAttemptAt === null &&
      !(event.payment?.failure?.hard ?? false) &&
      !NOT_A_DEFAULT.has(category);
    const attempts = (before?.attempts ?? 0) + (sameAttempt ? 0 : 1);
    const first = this.#decideCycle(subId, unpaid, { category, method, attempts }, customer, Date.parse(at));
    // The hub retries for providers that do not (Mollie): the charge is requested at `retry.at` by
    // the retry scheduler (`retriesDue`). Its schedule run out after a soft failure of the
    // customer's own is a default, like a provider that gave up.
    const hubRetries = !this.#policyOf(subId).providerRetries;
    const hubGaveUp =
      hubRetries &&
      event.type !== ACTION_REQUIRED &&
      first.retryInDays === undefined &&
      !(event.payment?.failure?.hard ?? false) &&
      !NOT_A_DEFAULT.has(category) &&
      category !== 'authentication_required' &&
      category !== 'customer_refusal' &&
      category !== 'fraud_suspected';
    const currency = event.invoice?.currency ?? event.payment?.currency;
    const retry: DunningRecord['retry'] =
      hubRetries && first.retryInDays !== undefined && currency
        ? {
            at: new Date(Date.parse(at) + first.retryInDays * DAY).toISOString(),
            attempt: attempts + 1,
            invoice: invoiceId,
            amountMinor: entry.amountMinor,
            currency: currency.toUpperCase(),
            ...(event.payment?.mandateId ? { mandateId: event.payment.mandateId } : {}),
          }
        : undefined;
    const isDefault = !before?.defaulted?.includes(invoiceId) && (WRITE_OFFS.has(event.type) || givenUp || hubGaveUp);
    if (isDefault) {
      customer = { ...customer, defaults: [...customer.defaults, at] };
      this.#put(c, 'customers', customer.id, customer);
    }
    // Counted after this failure: the blacklist may follow from it at once.
    const decision = isDefault ? this.#decideCycle(subId, unpaid, { category, method, attempts }, customer, Date.parse(at)) : first;
    const record: DunningRecord = {
      subscriptionId: subId,
      customerId: customer.id,
      policyId: policy.id,
      stage: decision.stage,
      startedAt: before?.startedAt ?? at,
      unpaid,
      attempts,
      category,
      method,
      deliver: decision.deliver,
      billingPaused: before?.billingPaused === true || decision.pauseBilling,
      defaulted: [...(before?.defaulted ?? []), ...(isDefault ? [invoiceId] : [])],
      ...(retry ? { retry } : {}),
      ...(this.#linkBaseOf(subId) && decision.sendPaymentUpdateLink
        ? { updateToken: before?.updateToken ?? randomBytes(24).toString('base64url') }
        : before?.updateToken
          ? { updateToken: before.updateToken }
          : {}),
      ...(event.invoice?.payUrl ? { payUrl: event.invoice.payUrl } : before?.payUrl ? { payUrl: before.payUrl } : {}),
    };
    this.#put(c, 'dunning', subId, record);
    c.decisions.push({
      at,
      kind: 'dunning',
      subject: subId,
      eventId: event.id,
      outcome: `${decision.stage}${decision.deliver ? '' : ' (shipments held)'}`,
      rule: retry ? `${decision.rule}; the hub retries the charge at ${retry.at} (attempt ${retry.attempt})` : decision.rule,
      detail: { category, method, attempts, unpaid: Object.keys(unpaid).length, ...(retry ? { retry } : {}) },
    });
    if (isDefault) {
      const why = WRITE_OFFS.has(event.type)
        ? event.type === 'payment.chargeback'
          ? 'charged back'
          : 'written off'
        : hubGaveUp
          ? "the hub's retries ran out"
          : 'the provider gave up retrying it';
      c.decisions.push({
        at,
        kind: 'dunning',
        subject: subId,
        eventId: event.id,
        outcome: 'default recorded',
        rule: `invoice ${invoiceId}: ${why} (${category})`,
      });
    }
    if (!before || before.stage !== decision.stage || firstFailureOfInvoice) {
      c.derived.push(
        this.#dunningEvent(before ? 'dunning.stage_changed' : 'dunning.started', event, state, record, decision, customer, now),
      );
    }
    if (decision.blacklist && !customer.blacklisted) customer = this.#blacklist(event, customer, decision, c, now);
    return customer;
  }

  /**
   * A write-off or chargeback that names no subscription the hub knows (a dispute names only its
   * payment): a default of the customer all the same. Once per provider event: the inbox stores
   * each event once, and Stripe opens one dispute per charge.
   */
  #customerDefault(event: Readonly<HubEvent>, customer: CustomerRecord, c: DomainChanges, now: number): CustomerRecord {
    const policy = this.settings.policy!;
    const ref = event.invoice?.id ?? event.payment?.id ?? event.id;
    const subject = `customer:${customer.id}`;
    const updated = { ...customer, defaults: [...customer.defaults, event.occurredAt] };
    this.#put(c, 'customers', customer.id, updated);
    const why = event.type === 'payment.chargeback' ? 'charged back' : 'written off';
    c.decisions.push({
      at: event.occurredAt,
      kind: 'dunning',
      subject,
      eventId: event.id,
      outcome: 'default recorded',
      rule: `${ref}: ${why}, no subscription known (${event.payment?.failure?.providerCode ?? event.type})`,
    });
    const counted = defaultsInWindow(updated, Date.parse(event.occurredAt), policy);
    if (updated.blacklisted || counted < policy.blacklist.defaults) return updated;
    return this.#blacklist(event, updated, undefined, c, now);
  }

  #recover(event: Readonly<HubEvent>, state: SubscriptionState, customer: CustomerRecord, c: DomainChanges, now: number): void {
    const subId = state.hubSubscriptionId;
    const before = this.#dunning(subId);
    if (!before) return;
    // A paid invoice settles itself; the cycle ends when nothing is left unpaid, or when the
    // customer fixed the payment method (the provider retries what is open).
    const unpaid = { ...before.unpaid };
    if (event.invoice) delete unpaid[event.invoice.id];
    if (Object.keys(unpaid).length > 0 && event.type !== 'payment_method.updated') {
      if (Object.keys(unpaid).length < Object.keys(before.unpaid).length) this.#put(c, 'dunning', subId, { ...before, unpaid });
      return;
    }
    this.#put(c, 'dunning', subId, null);
    const rule = `recovered: ${event.type === 'payment_method.updated' ? 'the payment method was updated' : 'a payment succeeded'}${customer.blacklisted ? ' (the customer stays blacklisted: shipments stay held until cleared)' : ''}`;
    c.decisions.push({ at: event.occurredAt, kind: 'dunning', subject: subId, eventId: event.id, outcome: 'CLEAR', rule });
    const cleared: DunningRecord = { ...before, stage: 'CLEAR', deliver: !customer.blacklisted, unpaid: {} };
    const decision = decide(
      this.settings.policy!,
      { daysSinceEarliestUnpaid: 0, unpaidInvoices: 0, unpaidBalanceMinor: 0, method: before.method, attempts: 0, defaultsInWindow: 0 },
      { blacklisted: customer.blacklisted },
    );
    const resumeBilling = before.billingPaused === true;
    c.derived.push(this.#dunningEvent('dunning.resolved', event, state, cleared, { ...decision, rule }, customer, now, resumeBilling));
  }

  #blacklist(
    event: Readonly<HubEvent>,
    customer: CustomerRecord,
    decision: Decision | undefined,
    c: DomainChanges,
    now: number,
  ): CustomerRecord {
    const updated = { ...customer, blacklisted: true, blacklistedAt: event.occurredAt };
    this.#put(c, 'customers', updated.id, updated);
    const policy = this.settings.policy!;
    const counted = defaultsInWindow(customer, Date.parse(event.occurredAt), policy);
    const rule = `${counted} defaults within ${policy.blacklist.windowDays} days (policy: ${policy.blacklist.defaults}): blacklisted, shipments of every subscription held until cleared`;
    c.decisions.push({
      at: event.occurredAt,
      kind: 'blacklist',
      subject: `customer:${customer.id}`,
      eventId: event.id,
      outcome: 'blacklisted',
      rule,
    });
    c.derived.push({
      ...this.#derivedBase(event, now, `blacklist:${customer.id}`),
      type: 'customer.risk_changed',
      customer: { ...event.customer!, ...idsOf(updated) },
      risk: { blacklisted: true, reason: rule, defaultsInWindow: defaultsInWindow(updated, Date.parse(event.occurredAt), policy) },
    });
    // Hold the shipments of the customer's other subscriptions too (this one is recomputed by the caller).
    for (const other of this.#subscriptionsOfCustomer(customer.id)) {
      if (other.hubSubscriptionId === event.subscription?.hubSubscriptionId) continue;
      this.#demand(other, updated, event, c, now);
    }
    void decision;
    return updated;
  }

  #dunningEvent(
    type: 'dunning.started' | 'dunning.stage_changed' | 'dunning.resolved',
    cause: Readonly<HubEvent>,
    state: SubscriptionState,
    d: DunningRecord,
    decision: Decision,
    customer: CustomerRecord,
    now: number,
    resumeBilling = false,
  ): HubEvent {
    const policy = this.settings.policy!;
    const fill = (t: string) =>
      t
        .replace('{customer}', encodeURIComponent(customer.providerCustomerId ?? customer.id))
        .replace('{subscription}', encodeURIComponent(state.snapshot.providerSubscriptionId));
    const retryDays = decision.retryInDays;
    const dunning: DunningSnapshot = {
      policyId: policy.id,
      stage: d.stage,
      attempt: d.attempts,
      maxAttempts: (d.method === 'sepa_debit' ? policy.retries.sepaSoft : policy.retries.soft).length,
      startedAt: d.startedAt,
      ...unpaidFacts(d.unpaid, Date.parse(cause.occurredAt)),
      defaultsInWindow: defaultsInWindow(customer, Date.parse(cause.occurredAt), policy),
      decision: {
        rule: decision.rule,
        deliver: decision.deliver,
        blockChanges: decision.blockChanges,
        pauseBilling: decision.pauseBilling,
        cancel: decision.cancel,
        ...(decision.notify ? { notify: decision.notify } : {}),
        sendPaymentUpdateLink: decision.sendPaymentUpdateLink,
        sendPayLink: decision.sendPayLink,
        ...(decision.sendPaymentUpdateLink && this.#linkBaseOf(state.hubSubscriptionId) && d.updateToken
          ? { paymentUpdateUrl: `${this.#linkBaseOf(state.hubSubscriptionId)!.replace(/\/$/, '')}/${d.updateToken}` }
          : decision.sendPaymentUpdateLink && this.settings.paymentUpdateUrl
            ? { paymentUpdateUrl: fill(this.settings.paymentUpdateUrl) }
            : {}),
        ...(decision.sendPayLink && d.payUrl ? { payUrl: d.payUrl } : {}),
        ...(retryDays !== undefined ? { retryAt: new Date(Date.parse(cause.occurredAt) + retryDays * DAY).toISOString() } : {}),
        blacklisted: customer.blacklisted || decision.blacklist,
        ...(resumeBilling ? { resumeBilling } : {}),
      },
    };
    return {
      ...this.#derivedBase(cause, now, `dunning:${state.hubSubscriptionId}`),
      type,
      customer: { ...cause.customer!, ...idsOf(customer) },
      subscription: withDelivery(state.snapshot, decision.deliver, decision.blockChanges),
      ...(cause.invoice ? { invoice: cause.invoice } : {}),
      ...(cause.payment ? { payment: cause.payment } : {}),
      dunning,
    };
  }

  // ——— stock demand ———

  /** Records the demand of the subscription's next delivery when it changed, and derives its event. */
  #demand(state: SubscriptionState, customer: CustomerRecord, cause: Readonly<HubEvent>, c: DomainChanges, now: number): void {
    const s = state.snapshot;
    const next = s.nextRenewalAt ?? s.currentPeriodEnd;
    if (!next) return;
    const period = next.slice(0, 10);
    const dunning = this.#dunning(state.hubSubscriptionId);
    const hold = customer.blacklisted
      ? 'the customer is blacklisted: shipments held until cleared'
      : dunning && !dunning.deliver
        ? `dunning stage ${dunning.stage} holds shipments`
        : undefined;
    const ships = !hold && renewalShips(s, dunning ? dunning.deliver : true);
    const lines: DemandLine[] = ships
      ? [...deliveryDemand(s, this.settings.bom)]
          .filter(([, q]) => q > 0)
          .map(([sku, quantity]) => ({ sku, quantity }))
          .sort((a, b) => a.sku.localeCompare(b.sku))
      : [];
    const status = ships ? 'reserved' : 'released';
    const reason = ships
      ? `${s.status}: the delivery of ${period} ships`
      : (hold ?? `${s.pause ? 'paused' : s.cancel ? 'canceled or cancel scheduled' : s.status}: the delivery of ${period} does not ship`);
    this.#record(state, customer, cause, c, now, { period, status, lines, reason }, ships);
    // A delivery date that moved without a renewal (a new billing anchor, a longer trial) leaves
    // the old, still future, delivery reserved: release it, or it is counted twice. A hold stops
    // every box the warehouse has not shipped yet, the one due today included (it ships at the
    // end of its day); a box that already left is answered 409 already_shipped and recorded so.
    const today = new Date(now).toISOString().slice(0, 10);
    for (const other of this.#demandsOf(state.hubSubscriptionId)) {
      if (other.period === period || other.status !== 'reserved') continue;
      if (other.period > today)
        this.#record(
          state,
          customer,
          cause,
          c,
          now,
          { period: other.period, status: 'released', lines: [], reason: `the delivery moved to ${period}` },
          false,
        );
      else if (hold && other.period === today)
        this.#record(
          state,
          customer,
          cause,
          c,
          now,
          {
            period: other.period,
            status: 'released',
            lines: [],
            reason: `${hold}: the delivery due today is stopped unless it already shipped`,
          },
          false,
        );
    }
  }

  /** Records one delivery's demand when it changed, and derives its event. */
  #record(
    state: SubscriptionState,
    customer: CustomerRecord,
    cause: Readonly<HubEvent>,
    c: DomainChanges,
    now: number,
    d: { period: string; status: DemandRecord['status']; lines: DemandLine[]; reason: string },
    ships: boolean,
  ): void {
    const { period, status, lines, reason } = d;
    const before = this.#demandOf(state.hubSubscriptionId, period);
    if (
      before &&
      before.status === status &&
      sameLines(before.lines, lines) &&
      (before.location ?? undefined) === this.settings.locationOf?.(state.tenantId)
    )
      return;
    const location = this.settings.locationOf?.(state.tenantId);
    const record: DemandRecord = {
      subscriptionId: state.hubSubscriptionId,
      customerId: state.hubCustomerId,
      period,
      ...(location ? { location } : {}),
      status,
      lines,
      revision: (before?.revision ?? 0) + 1,
      eventId: cause.id,
      reason,
    };
    this.#put(c, 'demand', `${record.subscriptionId}|${period}`, record);
    const units = (ls: DemandLine[]) => ls.map((l) => `${l.quantity}×${l.sku}`).join(', ');
    const outcome = ships
      ? `reserved ${units(lines)} for ${period}`
      : `released for ${period}${before?.lines.length ? ` (was ${units(before.lines)})` : ' (nothing was reserved)'}`;
    c.decisions.push({ at: cause.occurredAt, kind: 'demand', subject: state.hubSubscriptionId, eventId: cause.id, outcome, rule: reason });
    // Nothing was reserved for a delivery that never shipped: no release to send.
    if (!before && status === 'released') return;
    c.derived.push({
      ...this.#derivedBase(cause, now, `demand:${state.hubSubscriptionId}:${period}:r${record.revision}`),
      // The reservation goes to the warehouse of the subscription's tenant, also when the cause is the hub's own (a review).
      tenantId: state.tenantId ?? cause.tenantId,
      type: 'stock.demand_changed',
      customer: { ...cause.customer!, ...idsOf(customer) },
      subscription: withDelivery(state.snapshot, ships, state.snapshot.entitlement.blockChanges),
      demand: { period, status, lines, reason },
    });
  }

  /** Every recorded delivery of a subscription, with this batch's changes. */
  #demandsOf(subId: string): DemandRecord[] {
    const byPeriod = new Map(this.#reader.demandOfSubscription(subId).map((d) => [d.period, d]));
    for (const [k, d] of this.#pending.demand) if (k.startsWith(`${subId}|`)) byPeriod.set(d.period, d);
    return [...byPeriod.values()];
  }

  // ——— plumbing ———

  #derivedBase(cause: Readonly<HubEvent>, now: number, key: string) {
    const dedupeKey = `hub:${key}:${cause.source.dedupeKey}`;
    return {
      id: ulid(now),
      schemaVersion: 1 as const,
      occurredAt: cause.occurredAt,
      receivedAt: new Date(now).toISOString(),
      effectiveAt: cause.occurredAt,
      actionType: 'effective' as const,
      source: { provider: 'hub' as const, eventId: dedupeKey.slice(4), eventType: key.split(':')[0]!, dedupeKey },
      tenantId: cause.tenantId,
      correlationId: cause.correlationId ?? cause.id,
      causationId: cause.id,
    };
  }

  #customer(id: string, seen: NonNullable<HubEvent['customer']>, c: DomainChanges): CustomerRecord {
    const known = this.#pending.customers.get(id) ?? this.#reader.customer(id);
    const base: CustomerRecord = known ?? { id, defaults: [], blacklisted: false };
    const merged: CustomerRecord = {
      ...base,
      ...(seen.email ? { email: seen.email } : {}),
      ...(seen.shopifyCustomerId ? { shopifyCustomerId: seen.shopifyCustomerId } : {}),
      ...(seen.erpCustomerId ? { erpCustomerId: seen.erpCustomerId } : {}),
      ...(seen.providerCustomerId ? { providerCustomerId: seen.providerCustomerId } : {}),
    };
    if (!known || JSON.stringify(merged) !== JSON.stringify(known)) this.#put(c, 'customers', id, merged);
    return merged;
  }

  /** A customer's subscriptions, committed or changed earlier in this batch (the batch's version wins). */
  #subscriptionsOfCustomer(customerId: string): SubscriptionState[] {
    const byId = new Map(this.#reader.subscriptionsOfCustomer(customerId).map((s) => [s.hubSubscriptionId, s]));
    for (const s of this.#pending.subscriptions.values()) if (s.hubCustomerId === customerId) byId.set(s.hubSubscriptionId, s);
    return [...byId.values()];
  }

  #subscription(id: string): SubscriptionState | undefined {
    return this.#pending.subscriptions.get(id) ?? this.#reader.subscription(id);
  }

  #dunning(subId: string): DunningRecord | undefined {
    const p = this.#pending.dunning.get(subId);
    return p === null ? undefined : (p ?? this.#reader.dunning(subId));
  }

  #demandOf(subId: string, period: string): DemandRecord | undefined {
    return this.#pending.demand.get(`${subId}|${period}`) ?? this.#reader.demand(subId, period);
  }

  /** Records a change for the commit and in the overlay; the latest value per key wins. */
  #put(c: DomainChanges, what: 'subscriptions' | 'customers' | 'dunning' | 'demand', key: string, value: unknown): void {
    if (what === 'dunning') {
      this.#pending.dunning.set(key, value as DunningRecord | null);
      c.dunning = c.dunning.filter((d) => d.subscriptionId !== key);
      c.dunningCleared = c.dunningCleared.filter((d) => d !== key);
      if (value === null) c.dunningCleared.push(key);
      else c.dunning.push(value as DunningRecord);
      return;
    }
    if (what === 'subscriptions') {
      this.#pending.subscriptions.set(key, value as SubscriptionState);
      c.subscriptions = [...c.subscriptions.filter((s) => s.hubSubscriptionId !== key), value as SubscriptionState];
    } else if (what === 'customers') {
      this.#pending.customers.set(key, value as CustomerRecord);
      c.customers = [...c.customers.filter((x) => x.id !== key), value as CustomerRecord];
    } else {
      this.#pending.demand.set(key, value as DemandRecord);
      c.demand = [...c.demand.filter((d) => `${d.subscriptionId}|${d.period}` !== key), value as DemandRecord];
    }
  }
}

/** The fields an operator set on the customer record (setBy/setAt are not decision inputs). */
function operatorOverrides(customer: CustomerRecord): CustomerOverrides {
  const o = customer.overrides;
  if (!o) return {};
  return {
    ...(o.goodwill !== undefined ? { goodwill: o.goodwill } : {}),
    ...(o.graceDays !== undefined ? { graceDays: o.graceDays } : {}),
  };
}

function isRecovery(event: Readonly<HubEvent>): boolean {
  return RECOVERIES.has(event.type) || event.invoice?.status === 'paid';
}

/** Defaults within the blacklist window, counted only after the blacklist was last cleared. */
function defaultsInWindow(customer: CustomerRecord, now: number, policy: DunningPolicy): number {
  const from = Math.max(now - policy.blacklist.windowDays * DAY, customer.clearedAt ? Date.parse(customer.clearedAt) : -Infinity);
  return customer.defaults.filter((d) => Date.parse(d) > from).length;
}

/** What the stage conditions look at: days since the earliest unpaid invoice, how many, how much. */
function unpaidFacts(
  unpaid: DunningRecord['unpaid'],
  now: number,
): Pick<PaymentState, 'daysSinceEarliestUnpaid' | 'unpaidInvoices' | 'unpaidBalanceMinor'> {
  const open = Object.values(unpaid);
  const earliest = open.length ? Math.min(...open.map((u) => Date.parse(u.failedAt))) : now;
  return {
    daysSinceEarliestUnpaid: Math.max(0, Math.floor((now - earliest) / DAY)),
    unpaidInvoices: open.length,
    unpaidBalanceMinor: open.reduce((n, u) => n + u.amountMinor, 0),
  };
}

function sameLines(a: DemandLine[], b: DemandLine[]): boolean {
  return a.length === b.length && a.every((l, i) => l.sku === b[i]!.sku && l.quantity === b[i]!.quantity);
}

/** The snapshot as the hub applies it: entitlement reflects holds by dunning or the blacklist. */
function withDelivery(s: SubscriptionSnapshot, deliver: boolean, blockChanges: boolean): SubscriptionSnapshot {
  if (s.entitlement.deliver === deliver && s.entitlement.blockChanges === blockChanges) return s;
  const others = s.entitlement.blockedBy.filter((b) => b !== 'dunning');
  return { ...s, entitlement: { deliver, blockChanges, blockedBy: deliver && !blockChanges ? others : [...others, 'dunning'] } };
}

function idsOf(c: CustomerRecord): Partial<NonNullable<HubEvent['customer']>> {
  return {
    ...(c.email ? { email: c.email } : {}),
    ...(c.shopifyCustomerId ? { shopifyCustomerId: c.shopifyCustomerId } : {}),
    ...(c.erpCustomerId ? { erpCustomerId: c.erpCustomerId } : {}),
    ...(c.providerCustomerId ? { providerCustomerId: c.providerCustomerId } : {}),
  };
}

/** A reader with nothing in it: what the service sees outside a call. */
const NO_STATE: DomainReader = {
  subscription: () => undefined,
  customer: () => undefined,
  dunning: () => undefined,
  demand: () => undefined,
  demandOfSubscription: () => [],
  subscriptionsOfCustomer: () => [],
};
