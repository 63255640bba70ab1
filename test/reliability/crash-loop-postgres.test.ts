import { expectR1, expectR23 } from './crash-scenarios';

// R1–R3 on PostgreSQL (issue 11): three real hub processes share one database (a private
// cluster), the senders spread webhooks over them, and random hubs are SIGKILLed and restarted.
// `npm test` runs small variants; `npm run test:reliability` (SUBHUB_RELIABILITY=full) the full
// sizes: 10,000 webhooks and 20+ kills for R1, 10,000 events × 3 routes for R2/R3.
const full = process.env.SUBHUB_RELIABILITY === 'full';
jest.setTimeout(full ? 1_800_000 : 180_000);

describe('crash loops against three hub processes on one PostgreSQL database (SIGKILL)', () => {
  it('R1: every acknowledged webhook is stored exactly once across kills of any hub; the drained database is consistent', async () => {
    await expectR1('R1-pg', { backend: 'postgres', hubs: 3, full, kills: full ? 24 : 6 });
  });

  it('R2/R3: every effect exactly once at an idempotent target, in order per subscription, under 30 % 5xx and kills after 2xx', async () => {
    await expectR23('R2/R3-pg', { backend: 'postgres', hubs: 3, full, kills: full ? 24 : 6 });
  });
});
