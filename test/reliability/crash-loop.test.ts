import { expectR1, expectR23 } from './crash-scenarios';

// R1–R3 against a real hub process that is SIGKILLed at random. `npm test` runs small variants;
// `npm run test:reliability` (SUBHUB_RELIABILITY=full, also run by .ci/run) runs the full sizes of
// the plan: 10,000 webhooks and 20+ kills for R1, 10,000 events × 3 targets for R2/R3.
const full = process.env.SUBHUB_RELIABILITY === 'full';
jest.setTimeout(full ? 1_800_000 : 180_000);

describe('crash loops against a real hub process (SIGKILL)', () => {
  it('R1: every acknowledged webhook is stored exactly once across kills; the database stays intact', async () => {
    await expectR1('R1', { full, kills: full ? 20 : 4 });
  });

  it('R2/R3: every effect exactly once at an idempotent target, in order per subscription, under 30 % 5xx and kills after 2xx', async () => {
    await expectR23('R2/R3', { full, kills: full ? 20 : 4 });
  });
});
