import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { renewalDay } from '../../bench/renewal-day.bench';

/**
 * A small renewal day (1,000 subscriptions, 5 % failing) through the real hub process and the
 * simulators: every webhook acknowledged, and the end state right (one sale order per paid
 * renewal, reservations and Shopify moves adding up to the renewals' demand per SKU, a dunning
 * mail per failed payment). Runs `dist/` (the hub is started from bin/subhub.js): build first.
 * Not part of `npm test` (its suffix is .bench-test.ts): `npm run test:renewal-day` (.ci/run runs it).
 */
beforeAll(() => {
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: join(__dirname, '..', '..'),
  });
}, 300_000);

test('a renewal day of 1,000 subscriptions ends in the right state', async () => {
  const lines: string[] = [];
  const { figures, problems } = await renewalDay({ subscriptions: 1_000, drainTimeoutMs: 180_000, log: (l) => lines.push(l) });
  expect(problems).toEqual([]);
  expect(figures).toMatchObject({ bench: 'renewal-day', subscriptions: 1_000, ok: true });
  // 950 paid renewals × 5 webhooks + 50 failed × 4.
  expect(figures.webhooks).toBe(950 * 5 + 50 * 4);
  expect(figures.deliveries).toBeGreaterThanOrEqual(950 + 1_000 + 50);
}, 600_000);
