import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_SECRET } from './hub-config';

/**
 * Signed Stripe `customer.subscription.created` webhooks with fresh ids, built per request by
 * autocannon's setupRequest: each is a new event (no duplicates) for one of 5,000 subscriptions
 * and customers, ~2.4 KB like the real thing.
 */
export function signedEventFactory(root: string): () => { body: string; headers: Record<string, string> } {
  const fixture = JSON.parse(readFileSync(join(root, 'mappings', 'fixtures', 'stripe-subscription-created.json'), 'utf8')) as {
    id: string;
    data: { object: { id: string; customer: string } };
  };
  let n = 0;
  const prefix = `${process.pid}_${Date.now()}`;
  return () => {
    n++;
    const body = JSON.stringify({
      ...fixture,
      id: `evt_bench_${prefix}_${n}`,
      // One customer per subscription: with the Kafka log the customer is the partition key, so the
      // events spread over the partitions (and the hubs normalising them) as real customers' would.
      data: {
        ...fixture.data,
        object: { ...fixture.data.object, id: `sub_bench_${prefix}_${n % 5000}`, customer: `cus_bench_${prefix}_${n % 5000}` },
      },
    });
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', BENCH_SECRET).update(`${t}.${body}`).digest('hex');
    return { body, headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` } };
  };
}
