import type { DunningDecision, FailureCategory } from '../events';

/**
 * The dunning policy engine (docs/dunning.md §4): a pure decision from a subscription's payment
 * state, its customer's overrides and a staged policy (Kill Bill style, most severe stage first).
 * Every decision names the rule that produced it, for the audit trail an operator reads.
 */

/** The canonical failure categories (hub-event.schema.json). */
export type { FailureCategory };

export type PaymentMethod = 'card' | 'sepa_debit' | 'other';

export interface Stage {
  name: string;
  when: { daysSinceEarliestUnpaid?: number; unpaidInvoices?: number; unpaidBalanceMinor?: number };
  deliver: boolean;
  blockChanges?: boolean;
  pauseBilling?: boolean;
  cancel?: 'none' | 'immediate' | 'end_of_term';
  notify?: string;
}

export interface DunningPolicy {
  id: string;
  stages: Stage[];
  /** Retry days after the failure notification, per kind; SEPA soft failures are capped low (bank fees). */
  retries: { soft: number[]; sepaSoft: number[]; technical: number[]; inventory: number[] };
  /** A provider that retries by itself (Stripe): the hub schedules no retries of its own. */
  providerRetries: boolean;
  blacklist: { defaults: number; windowDays: number };
}

export interface PaymentState {
  daysSinceEarliestUnpaid: number;
  unpaidInvoices: number;
  unpaidBalanceMinor: number;
  category?: FailureCategory;
  method: PaymentMethod;
  /** Failed attempts so far for the current unpaid period. */
  attempts: number;
  defaultsInWindow: number;
}

export interface CustomerOverrides {
  goodwill?: boolean;
  graceDays?: number;
  blacklisted?: boolean;
}

/**
 * A decision: the stage, and what the hub does about it. The fields it shares with the canonical
 * event's `dunning.decision` (hub-event.schema.json) are typed from there, so the two never drift.
 */
export interface Decision extends Pick<
  DunningDecision,
  'rule' | 'deliver' | 'blockChanges' | 'pauseBilling' | 'cancel' | 'notify' | 'sendPaymentUpdateLink' | 'sendPayLink'
> {
  stage: string;
  /** Days from the failure notification to the next hub-driven retry; undefined: none. */
  retryInDays?: number;
  blacklist: boolean;
}

const HARD: ReadonlySet<FailureCategory> = new Set(['invalid_account', 'account_closed', 'expired_or_invalid_card', 'no_payment_method']);
const CLEAR: Omit<Decision, 'rule'> = {
  stage: 'CLEAR',
  deliver: true,
  blockChanges: false,
  pauseBilling: false,
  cancel: 'none',
  sendPaymentUpdateLink: false,
  sendPayLink: false,
  blacklist: false,
};

export function decide(policy: DunningPolicy, s: PaymentState, o: CustomerOverrides = {}): Decision {
  const blacklist = o.blacklisted === true || s.defaultsInWindow >= policy.blacklist.defaults;
  if (s.unpaidInvoices === 0) {
    return {
      ...CLEAR,
      blacklist,
      deliver: !blacklist,
      rule: blacklist
        ? 'nothing unpaid, but the customer is blacklisted: shipments held until cleared'
        : 'nothing unpaid: recovered or never late',
    };
  }
  const category = s.category ?? 'unknown';
  const hard = HARD.has(category);
  const links = {
    sendPaymentUpdateLink: hard,
    sendPayLink: category === 'authentication_required' || category === 'customer_refusal' || category === 'fraud_suspected',
  };
  const retryInDays = nextRetry(policy, category, s);

  // Stock-outs are not the customer's fault: no customer dunning, never a default (docs/dunning.md §4.7).
  if (category === 'insufficient_inventory') {
    return {
      ...CLEAR,
      stage: 'STOCK_OUT',
      deliver: false,
      retryInDays,
      blacklist,
      rule: 'insufficient inventory: retry on the stock-out schedule, no customer dunning',
    };
  }
  if (o.goodwill) {
    // Goodwill stops escalation; an operator's blacklist still holds until it is cleared.
    const held = o.blacklisted === true;
    return {
      ...CLEAR,
      ...links,
      stage: 'GOODWILL',
      retryInDays,
      deliver: !held,
      blacklist: held,
      rule: `goodwill override: no escalation${held ? ' (the customer is blacklisted: shipments stay held)' : ''}`,
    };
  }
  const days = s.daysSinceEarliestUnpaid - (o.graceDays ?? 0);
  for (const stage of policy.stages) {
    const w = stage.when;
    const hit =
      (w.daysSinceEarliestUnpaid === undefined || days >= w.daysSinceEarliestUnpaid) &&
      (w.unpaidInvoices === undefined || s.unpaidInvoices >= w.unpaidInvoices) &&
      (w.unpaidBalanceMinor === undefined || s.unpaidBalanceMinor >= w.unpaidBalanceMinor);
    if (!hit) continue;
    return {
      stage: stage.name,
      rule: `stage ${stage.name}: ${describeWhen(w)}${o.graceDays ? ` (after ${o.graceDays} grace days)` : ''}`,
      deliver: stage.deliver && !blacklist,
      blockChanges: stage.blockChanges ?? false,
      pauseBilling: stage.pauseBilling ?? false,
      cancel: stage.cancel ?? 'none',
      notify: stage.notify,
      ...links,
      retryInDays,
      blacklist,
    };
  }
  return {
    ...CLEAR,
    ...links,
    stage: 'LATE',
    deliver: !blacklist,
    retryInDays,
    blacklist,
    rule: `unpaid, but no stage applies yet (${category})`,
  };
}

/** Hard failures wait for a new payment method; providers that retry by themselves are left to it. */
function nextRetry(policy: DunningPolicy, category: FailureCategory, s: PaymentState): number | undefined {
  if (HARD.has(category) || category === 'authentication_required' || category === 'customer_refusal' || category === 'fraud_suspected')
    return undefined;
  const schedule =
    category === 'insufficient_inventory'
      ? policy.retries.inventory
      : category === 'technical'
        ? policy.retries.technical
        : policy.providerRetries
          ? []
          : s.method === 'sepa_debit'
            ? policy.retries.sepaSoft
            : policy.retries.soft;
  return schedule[s.attempts - 1];
}

function describeWhen(w: Stage['when']): string {
  const parts = [];
  if (w.daysSinceEarliestUnpaid !== undefined) parts.push(`≥ ${w.daysSinceEarliestUnpaid} days since the earliest unpaid invoice`);
  if (w.unpaidInvoices !== undefined) parts.push(`≥ ${w.unpaidInvoices} unpaid invoices`);
  if (w.unpaidBalanceMinor !== undefined) parts.push(`≥ ${w.unpaidBalanceMinor} unpaid (minor units)`);
  return parts.join(' and ') || 'always';
}
