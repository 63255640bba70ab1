import type { DunningRecord } from '../domain/ports';

/**
 * A dunning row as both adapters write it: the record (JSON) and the columns the operator views'
 * board reads (stage, start, unpaid sum in minor units), always written together.
 */
export function dunningRow(x: DunningRecord): {
  subscriptionId: string;
  customerId: string;
  record: string;
  stage: string;
  startedAt: string;
  unpaidMinor: number;
} {
  return {
    subscriptionId: x.subscriptionId,
    customerId: x.customerId,
    record: JSON.stringify(x),
    stage: x.stage,
    startedAt: x.startedAt,
    unpaidMinor: Object.values(x.unpaid).reduce((sum, u) => sum + u.amountMinor, 0),
  };
}
