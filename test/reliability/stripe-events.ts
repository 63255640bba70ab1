import { fixture } from '../helpers/fixtures';

const FIXTURE = fixture<{
  id: string;
  data: { object: { id: string } };
}>('stripe-subscription-created.json');

/** A Stripe event as a sender posts it: its id and the raw body to sign. */
export interface StripeEvent {
  id: string;
  body: string;
}

/**
 * `events` subscription-created events spread over `subscriptions` queues, one per subscription:
 * `<prefix>_<k>_<seq>` for subscription `sub_<prefix>_<k>`, seq increasing. A sender posts a
 * queue in order; the crash mapping extracts seq from the event id to check order at the target.
 */
export function subscriptionQueues(events: number, subscriptions: number, prefix = 'crash'): StripeEvent[][] {
  const perSub = Math.ceil(events / subscriptions);
  const queues: StripeEvent[][] = [];
  for (let k = 0; k < subscriptions; k++) {
    const q: StripeEvent[] = [];
    for (let s = 0; s < perSub && k * perSub + s < events; s++) {
      const id = `evt_${prefix}_${k}_${s}`;
      q.push({
        id,
        // One customer per subscription: with the Kafka log each customer is a partition key, so the
        // subscriptions spread over the partitions (and their normalisers) as real customers would.
        body: JSON.stringify({
          ...FIXTURE,
          id,
          data: { ...FIXTURE.data, object: { ...FIXTURE.data.object, id: `sub_${prefix}_${k}`, customer: `cus_${prefix}_${k}` } },
        }),
      });
    }
    queues.push(q);
  }
  return queues;
}
