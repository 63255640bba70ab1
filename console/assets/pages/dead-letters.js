// Dead letters: filter by status, stage, source, target and error code; full context; replay or
// discard one, the selected ones or every match, after a confirmation, recorded with the operator's name.
import { html, useState } from '/console/vendor/preact.js';
import { api, qs, useApi, useQueryState } from '../api.js';
import { ErrorBox, Json, Loading, Pager, Select, Table, useConfirm } from '../components.js';
import { num, time } from '../format.js';

export const title = 'Dead letters';

const STAGES = ['verify', 'map', 'route', 'deliver'];

export function Page({ session }) {
  const [params, setParams] = useQueryState();
  const status = params.status || 'open';
  const filter = { status, stage: params.stage, source: params.source, target: params.target, errorCode: params.errorCode };
  const cursors = params.c ? params.c.split(',') : [];
  const list = useApi(`/dead-letter-page${qs({ ...filter, cursor: cursors.at(-1), limit: 50 })}`);
  const facets = useApi(`/dead-letter-facets${qs({ status })}`);
  const [selected, setSelected] = useState(new Set());
  const [result, setResult] = useState(null);
  const [failure, setFailure] = useState(null);
  const [confirm, dialog] = useConfirm();
  const f = facets.data ?? { stage: {}, source: {}, target: {}, errorCode: {} };
  const opts = (counts, all) => [['', all], ...Object.entries(counts).map(([k, n]) => [k, `${k} (${num(n)})`])];
  const setFilter = (k, v) => (setSelected(new Set()), setParams({ [k]: v, c: '' }));
  const refresh = () => (setSelected(new Set()), list.reload(), facets.reload());

  const act = async (action, what) => {
    const words = action === 'replay' ? 'Replay' : 'Discard';
    const message =
      what === 'selected'
        ? `${words} ${num(selected.size)} selected dead letter(s)? This is recorded with your name, ${session.actor}.`
        : `${words} every open dead letter matching these filters (up to 1,000 per step)? This is recorded with your name, ${session.actor}.`;
    if (!(await confirm(message, words))) return;
    setFailure(null);
    try {
      const body = what === 'selected' ? { action, ids: [...selected] } : { action, filter: { ...filter, status: 'open' } };
      const r = await api('/dead-letters/bulk', { method: 'POST', body });
      setResult(
        `${words}: ${
          Object.entries(r.outcomes)
            .map(([k, n]) => `${num(n)} ${k.replace('_', ' ')}`)
            .join(', ') || 'nothing matched'
        }${r.remaining ? ' (more match: run it again)' : ''}.`,
      );
      refresh();
    } catch (e) {
      setFailure(e);
    }
  };
  const actOne = async (id, action) => {
    const words = action === 'replay' ? 'Replay' : 'Discard';
    if (!(await confirm(`${words} dead letter ${id}? This is recorded with your name, ${session.actor}.`, words))) return;
    setFailure(null);
    try {
      await api(`/dead-letters/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
      setResult(`${words}: ${id} done.`);
      refresh();
    } catch (e) {
      setFailure(e);
    }
  };
  const toggle = (id) => {
    const s = new Set(selected);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setSelected(s);
  };
  const items = list.data?.items ?? [];
  return html` <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <${Select}
        id="status"
        label="Status"
        value=${status}
        options=${[
          ['open', 'Open'],
          ['replayed', 'Replayed'],
          ['discarded', 'Discarded'],
        ]}
        onChange=${(v) => setFilter('status', v)}
      />
      <${Select}
        id="stage"
        label="Stage"
        value=${params.stage ?? ''}
        options=${opts(Object.fromEntries(STAGES.map((s) => [s, f.stage[s] ?? 0])), 'Every stage')}
        onChange=${(v) => setFilter('stage', v)}
      />
      <${Select}
        id="source"
        label="Source"
        value=${params.source ?? ''}
        options=${opts(f.source, 'Every source')}
        onChange=${(v) => setFilter('source', v)}
      />
      <${Select}
        id="target"
        label="Target"
        value=${params.target ?? ''}
        options=${opts(f.target, 'Every target')}
        onChange=${(v) => setFilter('target', v)}
      />
      <${Select}
        id="errorCode"
        label="Error code"
        value=${params.errorCode ?? ''}
        options=${opts(f.errorCode, 'Every code')}
        onChange=${(v) => setFilter('errorCode', v)}
      />
    </form>
    ${
      status === 'open' &&
      html`<div class="actions" role="group" aria-label="Actions on dead letters">
        <button type="button" disabled=${selected.size === 0} onClick=${() => act('replay', 'selected')}>
          Replay selected (${num(selected.size)})
        </button>
        <button type="button" class="danger" disabled=${selected.size === 0} onClick=${() => act('discard', 'selected')}>
          Discard selected
        </button>
        <button type="button" disabled=${items.length === 0} onClick=${() => act('replay', 'all')}>Replay all matching</button>
        <button type="button" class="danger" disabled=${items.length === 0} onClick=${() => act('discard', 'all')}>
          Discard all matching
        </button>
      </div>`
    }
    ${result && html`<p class="ok" role="status">${result}</p>`}
    <${ErrorBox} error=${failure} /><${ErrorBox} error=${list.error} /><${Loading} loading=${list.loading} /> ${
      list.data &&
      html`<${Table}
          caption="Dead letters, newest first"
          rows=${items}
          rowKey=${(d) => d.id}
          empty="No dead letter matches."
          columns=${[
            ...(status === 'open'
              ? [
                  {
                    label: html`<span class="sr-only">Select</span>`,
                    value: (d) =>
                      html`<input
                        type="checkbox"
                        aria-label=${`Select ${d.id}`}
                        checked=${selected.has(d.id)}
                        onChange=${() => toggle(d.id)}
                      />`,
                  },
                ]
              : []),
            { label: 'Created', value: (d) => time(d.createdAt) },
            { label: 'Stage', value: (d) => d.stage },
            { label: 'Source', value: (d) => `${d.source} ${d.sourceEventId}` },
            { label: 'Target', value: (d) => d.target ?? '–' },
            { label: 'Error', value: (d) => html`<code>${d.errorCode}</code> <span class="clip">${d.errorMessage}</span>` },
            { label: 'Attempts', num: true, value: (d) => num(d.attempts) },
            { label: 'Status', value: (d) => d.status + (d.resolvedBy ? ` by ${d.resolvedBy}` : '') },
            {
              label: 'Details',
              value: (d) =>
                html`<a
                  href=${`/console/dead-letters${qs({ ...params, id: d.id })}`}
                  onClick=${(e) => (e.preventDefault(), setParams({ id: d.id }))}
                  >Open</a
                >`,
            },
          ]}
        />
        <${Pager} label="Dead letters" cursors=${cursors} next=${list.data.next} onMove=${(s) => setParams({ c: s.join(',') })} />`
    }
    ${params.id && html`<${Detail} id=${params.id} onAct=${actOne} />`} ${dialog}`;
}

function Detail({ id, onAct }) {
  const { data, error, loading } = useApi(`/dead-letters/${encodeURIComponent(id)}`);
  if (!data) return html`<${ErrorBox} error=${error} /><${Loading} loading=${loading} />`;
  const d = data;
  const rows = [
    ['Stage', d.stage],
    ['Source event', `${d.source} ${d.sourceEventId}`],
    ['Inbox entry', d.inboxId],
    ['Canonical event', d.eventId],
    ['Delivery', d.deliveryId],
    ['Route / target', d.route ? `${d.route} → ${d.target}` : undefined],
    ['Mapping', d.mapping],
    ['Idempotency key', d.idempotencyKey],
    ['Error', `${d.errorCode}: ${d.errorMessage}`],
    ['Attempts', `${num(d.attempts)} (first ${time(d.firstAttemptAt)}, last ${time(d.lastAttemptAt)})`],
    ['Status', d.status + (d.resolvedBy ? ` by ${d.resolvedBy} at ${time(d.resolvedAt)}` : '')],
  ].filter(([, v]) => v !== undefined && v !== null);
  return html`<section aria-labelledby="dl-title" class="card">
    <h2 id="dl-title">Dead letter ${d.id}</h2>
    <dl class="facts">
      ${rows.map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
    </dl>
    ${
      d.status === 'open' &&
      html`<div class="actions">
        <button type="button" onClick=${() => onAct(d.id, 'replay')}>Replay</button>
        <button type="button" class="danger" onClick=${() => onAct(d.id, 'discard')}>Discard</button>
      </div>`
    }
    <p><a href=${`/console/events?field=sourceEventId&q=${encodeURIComponent(d.sourceEventId)}`}>The event and its timeline</a></p>
    <h3>Payload at the failing stage</h3>
    <${Json} text=${d.payload} label="Payload" />
  </section>`;
}
