import { expectR1, expectR23 } from '../reliability/crash-scenarios';

// R7 and R1–R3 on Kafka + PostgreSQL (issue 12): three real hub processes, a private Kafka broker
// (the inbox topic with 6 partitions, keyed by customer) and a private PostgreSQL cluster. The
// senders spread webhooks over the hubs; random hubs (each one a member of the normalisers'
// consumer group) are SIGKILLed and restarted. SUBHUB_RELIABILITY=full runs the full sizes.
const full = process.env.SUBHUB_RELIABILITY === 'full';
jest.setTimeout(full ? 1_800_000 : 300_000);

describe('crash loops against three hubs on Kafka + PostgreSQL (SIGKILL)', () => {
  it('R7: every acknowledged webhook normalised exactly once in effect, in order per subscription, across kills of normalisers and a hub joining mid-run', async () => {
    await expectR23('R7-kafka', { backend: 'postgres', log: 'kafka', hubs: 3, joinMidRun: true, full, kills: full ? 24 : 6 });
  });

  it('R1: every acknowledged webhook is landed exactly once across kills of any hub', async () => {
    await expectR1('R1-kafka', { backend: 'postgres', log: 'kafka', hubs: 3, full, kills: full ? 24 : 6 });
  });
});
