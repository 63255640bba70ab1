// Events: search by provider event id, subscription, customer or type, then one event's timeline.
import { html, useState } from '/console/vendor/preact.js';
import { qs, useApi, useQueryState } from '../api.js';
import { DecisionTable, ErrorBox, Json, Loading, Pager, Select, Table } from '../components.js';
import { num, time } from '../format.js';

export const title = 'Events';

const FIELDS = [
  ['sourceEventId', 'Provider event id'],
  ['subscription', 'Subscription (hub id)'],
  ['customer', 'Customer (hub id)'],
  ['type', 'Event type'],
];

export function Page() {
  const [params, setParams] = useQueryState();
  const field = params.field || 'sourceEventId';
  const [draft, setDraft] = useState({ field, q: params.q || '' });
  const cursors = params.c ? params.c.split(',') : [];
  const path = `/event-search${qs({ field, q: params.q, cursor: cursors.at(-1), limit: 25 })}`;
  const list = useApi(path);
  const submit = (e) => {
    e.preventDefault();
    setParams({ field: draft.field, q: draft.q.trim(), c: '', inbox: '' });
  };
  return html` <form class="filters" role="search" onSubmit=${submit}>
      <${Select} id="field" label="Search by" value=${draft.field} options=${FIELDS} onChange=${(v) => setDraft({ ...draft, field: v })} />
      <div class="field grow">
        <label for="q">Value</label>
        <input
          id="q"
          value=${draft.q}
          onInput=${(e) => setDraft({ ...draft, q: e.currentTarget.value })}
          placeholder="evt_…, stripe:sub_…, invoice.paid"
        />
      </div>
      <button type="submit">Search</button>
    </form>
    <${ErrorBox} error=${list.error} /><${Loading} loading=${list.loading} /> ${
      list.data &&
      html`<${Table}
          caption=${params.q ? `Events matching “${params.q}”` : 'Latest events'}
          rows=${list.data.items}
          rowKey=${(r) => r.inboxId}
          empty="No event matches."
          columns=${[
            { label: 'Received', value: (r) => time(r.receivedAt) },
            { label: 'Source', value: (r) => r.source },
            {
              label: 'Provider event',
              value: (r) =>
                html`<a
                  href=${`/console/events${qs({ ...params, inbox: r.inboxId })}`}
                  onClick=${(e) => (e.preventDefault(), setParams({ inbox: r.inboxId }))}
                  >${r.sourceEventId}</a
                >`,
            },
            { label: 'Type', value: (r) => r.eventType ?? '–' },
            { label: 'Status', value: (r) => html`<span class=${`badge ${r.status}`}>${r.status}</span>` },
            { label: 'Canonical event', value: (r) => (r.event ? `${r.event.type} · ${r.event.entityKey}` : '–') },
          ]}
        />
        <${Pager} label="Events" cursors=${cursors} next=${list.data.next} onMove=${(s) => setParams({ c: s.join(',') })} />`
    }
    ${params.inbox && html`<${Timeline} inboxId=${params.inbox} />`}`;
}

function Timeline({ inboxId }) {
  const { data, error, loading } = useApi(`/timeline/${encodeURIComponent(inboxId)}`);
  if (!data) return html`<${ErrorBox} error=${error} /><${Loading} loading=${loading} />`;
  const { inbox, event } = data;
  return html`<section class="timeline" aria-labelledby="timeline-title">
    <h2 id="timeline-title">Timeline of ${inbox.source} ${inbox.sourceEventId}</h2>
    <ol class="steps">
      <li>
        <h3>Received</h3>
        <p>
          ${time(inbox.receivedAt)} · ${inbox.eventType ?? 'no type'} · <span class=${`badge ${inbox.status}`}>${inbox.status}</span> ·
          ${num(inbox.attempts)} normalisation attempt(s)
        </p>
        ${inbox.detail && html`<p class="muted">${inbox.detail}</p>`}
        <details>
          <summary>Raw webhook</summary>
          <${Json} text=${inbox.body} label="Raw webhook body" /><${Json} value=${inbox.headers} label="Headers" />
        </details>
      </li>
      <li>
        <h3>Canonical event</h3>
        ${
          event
            ? html`<p>${event.type} · ${event.entityKey} · <code>${event.id}</code> · ${time(event.createdAt)}</p>
                <details>
                  <summary>Canonical JSON</summary>
                  <${Json} text=${event.body} label="Canonical event" />
                </details>`
            : html`<p class="muted">None (${inbox.status}).</p>`
        }
      </li>
      <li>
        <h3>Domain decisions</h3>
        <${DecisionTable} caption="Decisions taken on this event" rows=${data.decisions} />
      </li>
      <li>
        <h3>Deliveries</h3>
        <${Table}
          caption="Deliveries of this event"
          rows=${data.deliveries}
          empty="No delivery."
          rowKey=${(d) => d.id}
          columns=${[
            { label: 'Target', value: (d) => `${d.target} (${d.route})` },
            { label: 'Action', value: (d) => d.action },
            { label: 'Status', value: (d) => html`<span class=${`badge ${d.status}`}>${d.status}</span>` },
            { label: 'Attempts', num: true, value: (d) => num(d.attempts) },
            { label: 'First / last attempt', value: (d) => `${time(d.firstAttemptAt)} / ${time(d.lastAttemptAt)}` },
            { label: 'Next attempt', value: (d) => (d.status === 'pending' ? time(d.nextAttemptAt) : '–') },
            { label: 'Last error', value: (d) => d.lastError ?? '–' },
            { label: 'Idempotency key', value: (d) => html`<code>${d.idempotencyKey}</code>` },
          ]}
        />
      </li>
      ${
        data.deadLetters.length > 0 &&
        html`<li>
          <h3>Dead letters</h3>
          <${Table}
            caption="Dead letters of this event"
            rows=${data.deadLetters}
            rowKey=${(d) => d.id}
            columns=${[
              { label: 'Stage', value: (d) => d.stage },
              { label: 'Error', value: (d) => html`<code>${d.errorCode}</code> ${d.errorMessage}` },
              { label: 'Status', value: (d) => d.status + (d.resolvedBy ? ` by ${d.resolvedBy}` : '') },
              { label: '', value: (d) => html`<a href=${`/console/dead-letters?id=${encodeURIComponent(d.id)}`}>Open</a>` },
            ]}
          />
        </li>`
      }
      ${
        data.audit.length > 0 &&
        html`<li>
          <h3>Operator actions</h3>
          <${Table}
            caption="Audit"
            rows=${data.audit}
            columns=${[
              { label: 'At', value: (a) => time(a.at) },
              { label: 'Who', value: (a) => a.actor },
              { label: 'What', value: (a) => a.action },
            ]}
          />
        </li>`
      }
    </ol>
  </section>`;
}
