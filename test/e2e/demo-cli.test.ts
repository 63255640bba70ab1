/** `subhub demo` through the CLI (in process): the story, the summary, and a reconciliation without drift. */
import { main } from '../../src/cli/main';
import { captureIO } from '../helpers/capture-io';

jest.setTimeout(60_000);

it('subhub demo tells the month, prints the summary and exits 0 because the end state has no drift', async () => {
  const io = captureIO();
  expect(await main(['demo'], io)).toBe(0);
  const out = io.stdout();
  expect(out).toMatch(/^Day {2}1 \(2026-12-01\): Five customers sign up/m);
  expect(out).toContain('Summary at the end of the month');
  expect(out).toMatch(/COF-FLT-250 +AMS1 +48 units {2}open\/draft \(receipt type 1\) {2}driven by dirk, eva, finn/);
  expect(out).toMatch(/DUS1 COF-FLT-250 +120 +0/);
  expect(out).toContain('eva: released for 2026-12-29 (was 1×COF-FLT-250)');
  expect(out).toContain('Blacklisted customers: eva');
  // The Mollie customers: the hub's own retry for Sanne, the payment-details link for Bram in Ghent, both in the billing table.
  expect(out).toContain('sanne: dunning retry requested');
  expect(out).toMatch(/bram-ghent: payment tr_\w+ \(first, ideal, EUR 0\.01\) created, paid/);
  expect(out).toMatch(/^ {4}sanne +mollie +active, next debit 2027-01-14/m);
  expect(out).toMatch(/^ {4}bram-ghent +mollie +active, next debit 2027-01-01/m);
  expect(out).toMatch(/Nightly reconciliation of the demo state \(dry run\):[\s\S]*no drift/);
});

it('subhub demo with an unknown option is a usage error (exit 2)', async () => {
  const io = captureIO();
  expect(await main(['demo', '--nope'], io)).toBe(2);
  expect(io.stderr()).toContain("unknown option '--nope'");
});
