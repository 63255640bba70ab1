// Overview: webhooks per connector, queues, deliveries per target, circuits, dead letters and the
// last nightly run, refreshed every five seconds without reloading the page.
import { html } from '/console/vendor/preact.js';
import { useApi } from '../api.js';
import { ErrorBox, Stat, Table } from '../components.js';
import { num, time } from '../format.js';

export const title = 'Overview';

export function Page() {
  const { data, error } = useApi('/overview', 5000);
  if (!data) return html`<${ErrorBox} error=${error} />${error ? null : html`<p class="muted" role="status">Loading…</p>`}`;
  const c = data.counts;
  const webhooks = Object.entries(data.webhooks).map(([connector, v]) => ({ connector, ...v }));
  const targets = [...new Set([...Object.keys(data.deliveries), ...Object.keys(data.targets)])].sort();
  const last = data.lastReconcile;
  return html` <${ErrorBox} error=${error} />
    <p class="muted" aria-live="polite">Updated ${time(data.at)}</p>
    <section aria-labelledby="queues">
      <h2 id="queues">Queues</h2>
      <div class="stats">
        <${Stat} label="Inbox pending" value=${c.inboxPending} />
        <${Stat} label="Waiting for a retry" value=${c.inboxDeferred} />
        <${Stat} label="Derived events queued" value=${c.outboxPending} />
        <${Stat} label="Deliveries pending" value=${c.deliveriesPending} />
        <${Stat} label="Open dead letters" value=${c.deadLettersOpen} href="/console/dead-letters" />
      </div>
    </section>
    <section aria-labelledby="webhooks">
      <h2 id="webhooks">Webhooks since the hub started</h2>
      <${Table}
        caption="Webhooks per connector"
        rows=${webhooks}
        empty="No webhook received since the hub started."
        columns=${[
          { label: 'Connector', value: (r) => r.connector },
          { label: 'Received', num: true, value: (r) => num(r.received ?? 0) },
          { label: 'Accepted', num: true, value: (r) => num(r.accepted ?? 0) },
          { label: 'Duplicates', num: true, value: (r) => num(r.duplicate ?? 0) },
          { label: 'Refused', num: true, value: (r) => num(r.rejected ?? 0) },
        ]}
      />
    </section>
    <section aria-labelledby="targets">
      <h2 id="targets">Deliveries per target</h2>
      <${Table}
        caption="Delivery attempts per target and outcome, circuit state and rate-limit tokens"
        rows=${targets}
        empty="No delivery attempted since the hub started."
        columns=${[
          { label: 'Target', value: (t) => t },
          { label: 'Done', num: true, value: (t) => num(data.deliveries[t]?.done ?? 0) },
          { label: 'Retried', num: true, value: (t) => num(data.deliveries[t]?.retry ?? 0) },
          { label: 'Dead', num: true, value: (t) => num(data.deliveries[t]?.dead ?? 0) },
          {
            label: 'Circuit',
            value: (t) =>
              html`<span class=${`badge ${data.targets[t]?.circuit ?? 'closed'}`}>${data.targets[t]?.circuit ?? 'closed'}</span>`,
          },
          {
            label: 'Rate-limit tokens',
            num: true,
            value: (t) => (data.targets[t]?.tokens === undefined ? '–' : num(Math.floor(data.targets[t].tokens))),
          },
        ]}
      />
    </section>
    <section aria-labelledby="nightly">
      <h2 id="nightly">Last nightly run</h2>
      ${
        last
          ? html`<p><strong>${time(last.at)}</strong>: ${last.outcome}. <a href="/console/reconciliation">All runs</a></p>
              <p class="muted">${last.rule}</p>`
          : html`<p class="muted">No reconciliation has run yet. <a href="/console/reconciliation">Start a dry run</a></p>`
      }
    </section>`;
}
