// Stock per SKU and location: on hand, reserved, the hub's demand per day over the next eight weeks,
// the reorder point and maximum, incoming proposals, and the subscriptions that drove them.
import { html } from '/console/vendor/preact.js';
import { qs, useApi, useQueryState } from '../api.js';
import { Chart, ErrorBox, Loading, Select, Stat, Table } from '../components.js';
import { day, num, time } from '../format.js';

export const title = 'Stock';

const DAY = 86_400_000;

export function Page() {
  const [params, setParams] = useQueryState();
  const list = useApi('/stock');
  if (!list.data) return html`<${ErrorBox} error=${list.error} /><${Loading} loading=${list.loading} />`;
  const items = list.data.items;
  if (items.length === 0) return html`<p class="muted">No stocked SKU: no reorder rule and no demand recorded.</p>`;
  const chosen = items.find((i) => i.sku === params.sku && i.location === params.location) ?? items[0];
  const key = (i) => `${i.sku}@${i.location}`;
  return html` <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <${Select}
        id="sku"
        label="SKU at location"
        value=${key(chosen)}
        options=${items.map((i) => [key(i), `${i.sku} at ${i.location}`])}
        onChange=${(v) => {
          const i = items.find((x) => key(x) === v);
          setParams({ sku: i.sku, location: i.location });
        }}
      />
    </form>
    <${Detail} sku=${chosen.sku} location=${chosen.location} />`;
}

function Detail({ sku, location }) {
  const { data, error, loading } = useApi(`/stock/detail${qs({ sku, location })}`);
  if (!data) return html`<${ErrorBox} error=${error} /><${Loading} loading=${loading} />`;
  const firstDay = Date.parse(data.from);
  const byDay = new Map(data.demand.map((d) => [d.day, d.quantity]));
  const incoming = new Map();
  for (const p of data.proposals.filter((p) => p.confirmed && !p.received)) {
    const d = (p.expectedAt ?? p.neededBy ?? '').slice(0, 10);
    if (d) incoming.set(d, (incoming.get(d) ?? 0) + p.quantity);
  }
  const w = 'error' in data.warehouse ? undefined : data.warehouse;
  const xs = [];
  const demand = [];
  const projected = [];
  let level = w ? w.onHand : null;
  for (let i = 0; i <= 56; i++) {
    const d = new Date(firstDay + i * DAY).toISOString().slice(0, 10);
    xs.push(Date.parse(`${d}T12:00:00Z`) / 1000);
    demand.push(byDay.get(d) ?? 0);
    if (level !== null) level = level + (incoming.get(d) ?? 0) - (byDay.get(d) ?? 0);
    projected.push(level);
  }
  const series = [
    { label: 'Hub demand per day', stroke: '#6b5bd2', fill: 'rgba(107,91,210,0.35)', bars: true },
    { label: 'On hand after hub demand and incoming', stroke: '#1f6fb2' },
  ];
  const data2 = [xs, demand, projected];
  if (data.rule) {
    series.push({ label: 'Reorder point (min)', stroke: '#c0392b', dash: [6, 4] }, { label: 'Maximum', stroke: '#7f8c8d', dash: [2, 4] });
    data2.push(
      xs.map(() => data.rule.min),
      xs.map(() => data.rule.max),
    );
  }
  const total = data.demand.reduce((n, d) => n + d.quantity, 0);
  return html` <div class="stats">
      <${Stat} label="On hand" value=${w ? w.onHand : 'unavailable'} />
      <${Stat} label="Reserved at the warehouse" value=${w ? w.reserved : 'unavailable'} />
      <${Stat} label="Hub demand, next 8 weeks" value=${total} />
      <${Stat} label="Reorder point (min)" value=${data.rule ? data.rule.min : 'no rule'} />
      <${Stat} label="Maximum" value=${data.rule ? data.rule.max : 'no rule'} />
    </div>
    ${'error' in data.warehouse && html`<p class="error" role="alert">Warehouse levels unavailable: ${data.warehouse.error}</p>`}
    <${Chart} title=${`${sku} at ${location}: the next eight weeks`} yLabel="Units" series=${series} data=${data2} height=${300} />
    <details>
      <summary>Demand per delivery date</summary>
      <${Table}
        caption="Hub demand per day"
        rows=${data.demand}
        empty="No demand in the next eight weeks."
        columns=${[
          { label: 'Day', value: (d) => day(d.day) },
          { label: 'Units', num: true, value: (d) => num(d.quantity) },
        ]}
      />
    </details>
    <section aria-labelledby="props">
      <h2 id="props">Proposals</h2>
      <${Table}
        caption="Open and incoming purchase proposals"
        rows=${data.proposals}
        rowKey=${(p) => p.id}
        empty="No open or incoming proposal."
        columns=${[
          { label: 'Proposed', value: (p) => time(p.proposedAt) },
          { label: 'Units', num: true, value: (p) => num(p.quantity) },
          { label: 'State', value: (p) => (p.status === 'open' ? 'open' : p.confirmed ? 'confirmed, incoming' : p.status) },
          { label: 'Needed by', value: (p) => day(p.expectedAt ?? p.neededBy) },
          { label: 'Why', value: (p) => p.reason },
          {
            label: 'Subscriptions that drove it',
            value: (p) =>
              html`<details>
                <summary>${num(p.trail.length)}</summary>
                <ul class="plain">
                  ${p.trail
                    .slice(0, 50)
                    .map((s) => html`<li><a href=${`/console/subscriptions?id=${encodeURIComponent(s)}`}>${s}</a></li>`)}
                </ul>
                ${p.trail.length > 50 ? html`<p class="muted">and ${num(p.trail.length - 50)} more</p>` : null}
              </details>`,
          },
        ]}
      />
    </section>`;
}
