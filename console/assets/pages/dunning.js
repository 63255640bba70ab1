// The dunning board: open cycles per stage (how many, how much is unpaid, oldest first), blacklisted
// customers, and recoveries over the last 30 days as a chart.
import { html } from '/console/vendor/preact.js';
import { qs, useApi, useQueryState } from '../api.js';
import { Chart, ErrorBox, Loading, Pager, Table } from '../components.js';
import { day, money, num, time } from '../format.js';

export const title = 'Dunning board';

export function Page() {
  const [params, setParams] = useQueryState();
  const board = useApi('/dunning-board');
  if (!board.data) return html`<${ErrorBox} error=${board.error} /><${Loading} loading=${board.loading} />`;
  const { stages, recoveries, blacklisted } = board.data;
  const xs = recoveries.map((r) => Date.parse(`${r.day}T12:00:00Z`) / 1000);
  const total = recoveries.reduce((n, r) => n + r.recoveries, 0);
  return html` <section aria-labelledby="stages">
      <h2 id="stages">Open cycles per stage</h2>
      <${Table}
        caption="Dunning stages, largest unpaid amount first"
        rows=${stages}
        rowKey=${(s) => s.stage}
        empty="No open dunning cycle."
        columns=${[
          {
            label: 'Stage',
            value: (s) =>
              html`<a
                href=${`/console/dunning${qs({ stage: s.stage })}`}
                onClick=${(e) => (e.preventDefault(), setParams({ stage: s.stage, c: '' }))}
                >${s.stage}</a
              >`,
          },
          { label: 'Cycles', num: true, value: (s) => num(s.cycles) },
          { label: 'Unpaid', num: true, value: (s) => money(s.unpaidMinor) },
          { label: 'Oldest since', value: (s) => time(s.oldestStartedAt) },
        ]}
      />
    </section>
    ${params.stage && html`<${Cycles} stage=${params.stage} params=${params} setParams=${setParams} />`}
    <section aria-labelledby="recov">
      <h2 id="recov">Recoveries, last 30 days (${num(total)})</h2>
      <${Chart}
        title="Dunning cycles recovered per day"
        yLabel="Recoveries"
        series=${[{ label: 'Recovered', stroke: '#1f7a4d', fill: 'rgba(31,122,77,0.35)', bars: true }]}
        data=${[xs, recoveries.map((r) => r.recoveries)]}
      />
      <details>
        <summary>The numbers</summary>
        <${Table}
          caption="Recoveries per day"
          rows=${recoveries.filter((r) => r.recoveries > 0)}
          empty="No recovery in the last 30 days."
          columns=${[
            { label: 'Day', value: (r) => day(r.day) },
            { label: 'Recovered', num: true, value: (r) => num(r.recoveries) },
          ]}
        />
      </details>
    </section>
    <section aria-labelledby="bl">
      <h2 id="bl">Blacklisted customers</h2>
      <${Table}
        caption="Blacklisted customers, most recent first"
        rows=${blacklisted.items}
        rowKey=${(c) => c.id}
        empty="Nobody is blacklisted."
        columns=${[
          { label: 'Customer', value: (c) => html`<a href=${`/console/subscriptions?customer=${encodeURIComponent(c.id)}`}>${c.id}</a>` },
          { label: 'Since', value: (c) => time(c.blacklistedAt) },
          { label: 'Defaults', num: true, value: (c) => num(c.defaults) },
        ]}
      />
      ${blacklisted.next && html`<p class="muted">More on the following pages of the admin API (<code>/admin/api/blacklisted</code>).</p>`}
    </section>`;
}

function Cycles({ stage, params, setParams }) {
  const cursors = params.c ? params.c.split(',') : [];
  const { data, error, loading } = useApi(`/dunning-cycles${qs({ stage, cursor: cursors.at(-1), limit: 25 })}`);
  return html`<section aria-labelledby="cycles">
    <h2 id="cycles">Stage ${stage}, oldest first</h2>
    <${ErrorBox} error=${error} /><${Loading} loading=${loading} />
    ${
      data &&
      html`<${Table}
          caption=${`Open cycles in ${stage}`}
          rows=${data.items}
          rowKey=${(d) => d.subscriptionId}
          columns=${[
            {
              label: 'Subscription',
              value: (d) => html`<a href=${`/console/subscriptions?id=${encodeURIComponent(d.subscriptionId)}`}>${d.subscriptionId}</a>`,
            },
            {
              label: 'Customer',
              value: (d) => html`<a href=${`/console/subscriptions?customer=${encodeURIComponent(d.customerId)}`}>${d.customerId}</a>`,
            },
            { label: 'Since', value: (d) => time(d.startedAt) },
            { label: 'Unpaid', num: true, value: (d) => money(d.unpaidMinor) },
            { label: 'Attempts', num: true, value: (d) => num(d.attempts) },
            { label: 'Method', value: (d) => d.method },
            { label: 'Deliveries', value: (d) => (d.deliver ? 'continue' : 'held') },
          ]}
        />
        <${Pager} label="Cycles" cursors=${cursors} next=${data.next} onMove=${(s) => setParams({ c: s.join(',') })} />`
    }
  </section>`;
}
