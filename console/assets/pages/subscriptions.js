// Subscriptions and customers: the projection, the next delivery's demand per SKU, the dunning cycle
// and stage, the decision trail with the rule that fired; clear a blacklist, set goodwill or grace days.
import { html, useState } from '/console/vendor/preact.js';
import { api, qs, useApi, useQueryState } from '../api.js';
import { DecisionTable, ErrorBox, Json, Loading, Pager, Stat, Table, useConfirm } from '../components.js';
import { day, money, num, time } from '../format.js';

export const title = 'Subscriptions and customers';

export function Page({ session }) {
  const [params, setParams] = useQueryState();
  if (params.customer) return html`<${Customer} id=${params.customer} session=${session} setParams=${setParams} />`;
  if (params.id) return html`<${Subscription} id=${params.id} setParams=${setParams} />`;
  return html`<${List} params=${params} setParams=${setParams} />`;
}

function List({ params, setParams }) {
  const [q, setQ] = useState(params.q ?? '');
  const cursors = params.c ? params.c.split(',') : [];
  const counts = useApi('/subscription-counts');
  const list = useApi(`/subscription-page${qs({ q: params.q, status: params.status, cursor: cursors.at(-1), limit: 50 })}`);
  const statuses = Object.entries(counts.data?.counts ?? {}).sort(([, a], [, b]) => b - a);
  return html` <div class="stats">${statuses.map(([s, n]) => html`<${Stat} label=${s} value=${n} />`)}</div>
    <form class="filters" role="search" onSubmit=${(e) => (e.preventDefault(), setParams({ q: q.trim(), c: '' }))}>
      <div class="field grow">
        <label for="q">Subscription, provider id or customer (prefix)</label>
        <input id="q" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} placeholder="stripe:sub_…, sub_…, stripe:cus_…" />
      </div>
      <div class="field">
        <label for="status">Status</label>
        <select id="status" value=${params.status ?? ''} onChange=${(e) => setParams({ status: e.currentTarget.value, c: '' })}>
          <option value="">Every status</option>
          ${statuses.map(([s]) => html`<option value=${s}>${s}</option>`)}
        </select>
      </div>
      <button type="submit">Search</button>
    </form>
    <${ErrorBox} error=${list.error} /><${Loading} loading=${list.loading} /> ${
      list.data &&
      html`<${Table}
          caption="Subscriptions"
          rows=${list.data.items}
          rowKey=${(s) => s.id}
          empty="No subscription matches."
          columns=${[
            { label: 'Subscription', value: (s) => html`<a href=${`/console/subscriptions?id=${encodeURIComponent(s.id)}`}>${s.id}</a>` },
            {
              label: 'Customer',
              value: (s) => html`<a href=${`/console/subscriptions?customer=${encodeURIComponent(s.customerId)}`}>${s.customerId}</a>`,
            },
            { label: 'Status', value: (s) => html`<span class=${`badge ${s.status}`}>${s.status}</span>` },
            { label: 'Next delivery', value: (s) => day(s.nextDelivery) },
          ]}
        />
        <${Pager} label="Subscriptions" cursors=${cursors} next=${list.data.next} onMove=${(s) => setParams({ c: s.join(',') })} />`
    }`;
}

function Subscription({ id }) {
  const { data, error, loading } = useApi(`/subscriptions/${encodeURIComponent(id)}`);
  if (!data) return html`<${ErrorBox} error=${error} /><${Loading} loading=${loading} />`;
  const s = data.subscription.snapshot;
  const dunning = data.dunning;
  const unpaid = dunning ? Object.values(dunning.unpaid).reduce((n, u) => n + u.amountMinor, 0) : 0;
  return html` <p><a href="/console/subscriptions">All subscriptions</a></p>
    <h2>${id}</h2>
    <div class="stats">
      <${Stat} label="Status" value=${s.status} />
      <${Stat} label="Provider status" value=${s.providerStatus} />
      <${Stat} label="Next renewal" value=${day(s.nextRenewalAt ?? s.currentPeriodEnd)} />
      <${Stat}
        label="Customer"
        value=${data.subscription.hubCustomerId}
        href=${`/console/subscriptions?customer=${encodeURIComponent(data.subscription.hubCustomerId)}`}
      />
      <${Stat} label="Dunning stage" value=${dunning ? dunning.stage : 'none'} />
    </div>
    <section aria-labelledby="items">
      <h3 id="items">Items</h3>
      <${Table}
        caption="Subscription items"
        rows=${s.items ?? []}
        columns=${[
          { label: 'Product', value: (i) => i.sku ?? i.productId ?? i.priceId ?? '–' },
          { label: 'Quantity', num: true, value: (i) => num(i.quantity) },
        ]}
      />
    </section>
    <section aria-labelledby="demand">
      <h3 id="demand">Next delivery's demand</h3>
      ${
        data.nextDelivery
          ? html`<p>
                ${day(data.nextDelivery.period)} from ${data.nextDelivery.location ?? 'the default location'} · ${data.nextDelivery.status}
                · ${data.nextDelivery.reason}
              </p>
              <${Table}
                caption="Demand per SKU"
                rows=${data.nextDelivery.lines}
                columns=${[
                  { label: 'SKU', value: (l) => l.sku },
                  { label: 'Units', num: true, value: (l) => num(l.quantity) },
                ]}
              />`
          : html`<p class="muted">No demand recorded for the next delivery.</p>`
      }
    </section>
    <section aria-labelledby="dunning">
      <h3 id="dunning">Dunning</h3>
      ${
        dunning
          ? html`<dl class="facts">
              <dt>Stage</dt>
              <dd>${dunning.stage}</dd>
              <dt>Started</dt>
              <dd>${time(dunning.startedAt)}</dd>
              <dt>Unpaid</dt>
              <dd>${money(unpaid)} on ${num(Object.keys(dunning.unpaid).length)} invoice(s)</dd>
              <dt>Attempts</dt>
              <dd>${num(dunning.attempts)}</dd>
              <dt>Method</dt>
              <dd>${dunning.method}${dunning.category ? ` (${dunning.category})` : ''}</dd>
              <dt>Deliveries</dt>
              <dd>${dunning.deliver ? 'continue' : 'held'}</dd>
            </dl>`
          : html`<p class="muted">No open dunning cycle.</p>`
      }
    </section>
    <${Decisions} rows=${data.decisions} />
    <details>
      <summary>The projection as stored</summary>
      <${Json} value=${data.subscription} label="Subscription state" />
    </details>`;
}

function Decisions({ rows }) {
  return html`<section aria-labelledby="trail">
    <h3 id="trail">Decision trail</h3>
    <${DecisionTable} caption="Decisions, newest first" rows=${rows} empty="No decision yet." />
  </section>`;
}

function Customer({ id, session }) {
  const { data, error, loading, reload } = useApi(`/customers/${encodeURIComponent(id)}`);
  const [confirm, dialog] = useConfirm();
  const [message, setMessage] = useState(null);
  const [failure, setFailure] = useState(null);
  const [form, setForm] = useState(null);
  if (!data) return html`<${ErrorBox} error=${error} /><${Loading} loading=${loading} />`;
  const c = data.customer;
  const effective = { ...(data.overrides?.config ?? {}), ...(data.overrides?.operator ?? {}) };
  const overrides = form ?? { goodwill: effective.goodwill ?? false, graceDays: String(effective.graceDays ?? 0) };
  const clear = async () => {
    if (
      !(await confirm(
        `Clear the blacklist of ${id}? Held shipments are released and the shop and the ERP are told. Recorded with your name, ${session.actor}.`,
        'Clear blacklist',
      ))
    )
      return;
    setFailure(null);
    try {
      await api(`/customers/${encodeURIComponent(id)}/clear-blacklist`, { method: 'POST' });
      setMessage('Blacklist cleared.');
      reload();
    } catch (e) {
      setFailure(e);
    }
  };
  const save = async (e) => {
    e.preventDefault();
    setFailure(null);
    try {
      await api(`/customers/${encodeURIComponent(id)}/overrides`, {
        method: 'PUT',
        body: { goodwill: overrides.goodwill, graceDays: Number(overrides.graceDays) },
      });
      setMessage('Overrides saved; open dunning cycles were decided again.');
      setForm(null);
      reload();
    } catch (err) {
      setFailure(err);
    }
  };
  return html` <p><a href="/console/subscriptions">All subscriptions</a></p>
    <h2>Customer ${id}</h2>
    ${message && html`<p class="ok" role="status">${message}</p>`}<${ErrorBox} error=${failure} />
    <div class="stats">
      <${Stat} label="Blacklisted" value=${c.blacklisted ? `yes, since ${time(c.blacklistedAt)}` : 'no'} />
      <${Stat} label="Defaults counted" value=${c.defaults.length} />
      <${Stat} label="Email" value=${c.email ?? '–'} />
    </div>
    ${c.blacklisted && html`<div class="actions"><button type="button" class="danger" onClick=${clear}>Clear blacklist</button></div>`}
    <form class="card" onSubmit=${save} aria-labelledby="ov-title">
      <h3 id="ov-title">Dunning overrides</h3>
      ${data.overrides?.operator?.setBy && html`<p class="muted">Last set by ${data.overrides.operator.setBy} at ${time(data.overrides.operator.setAt)}.</p>`}
      ${data.overrides?.config && html`<p class="muted">The config sets ${JSON.stringify(data.overrides.config)}; what you save here wins.</p>`}
      <div class="check">
        <input
          id="goodwill"
          type="checkbox"
          checked=${overrides.goodwill}
          onChange=${(e) => setForm({ ...overrides, goodwill: e.currentTarget.checked })}
        />
        <label for="goodwill">Goodwill: no escalation (deliveries continue)</label>
      </div>
      <div class="field">
        <label for="grace">Grace days (every stage comes this many days later)</label>
        <input
          id="grace"
          type="number"
          min="0"
          max="365"
          step="1"
          value=${overrides.graceDays}
          onInput=${(e) => setForm({ ...overrides, graceDays: e.currentTarget.value })}
        />
      </div>
      <button type="submit">Save overrides</button>
    </form>
    <section aria-labelledby="subs">
      <h3 id="subs">Subscriptions</h3>
      <${Table}
        caption="The customer's subscriptions"
        rows=${data.subscriptions}
        columns=${[
          {
            label: 'Subscription',
            value: (s) =>
              html`<a href=${`/console/subscriptions?id=${encodeURIComponent(s.hubSubscriptionId)}`}>${s.hubSubscriptionId}</a>`,
          },
          { label: 'Status', value: (s) => s.snapshot.status },
          { label: 'Dunning stage', value: (s) => data.dunning.find((d) => d.subscriptionId === s.hubSubscriptionId)?.stage ?? '–' },
        ]}
      />
    </section>
    <${Decisions} rows=${data.decisions} />
    ${dialog}`;
}
