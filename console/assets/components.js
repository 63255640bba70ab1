// Small shared views: tables, pagers, JSON, charts (uPlot), confirmations, errors.
import { html, useEffect, useRef, useState } from '/console/vendor/preact.js';
import uPlot from '/console/vendor/uplot.js';
import { num, time } from './format.js';

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.code ? html`<code>${error.code}</code> ` : ''}${error.message}</p>`;
}

export function Loading({ loading }) {
  return loading ? html`<p class="muted" role="status">Loading…</p>` : null;
}

/** columns: [{ label, value(row) → text|vnode, num?: true }]. */
export function Table({ caption, columns, rows, empty = 'Nothing here.', rowKey }) {
  if (!rows || rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="scroll" tabindex="0" role="region" aria-label=${caption}>
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${columns.map((c) => html`<th scope="col" class=${c.num ? 'num' : ''}>${c.label}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r, i) =>
            html`<tr key=${rowKey ? rowKey(r) : i}>
              ${columns.map((c) => html`<td class=${c.num ? 'num' : ''}>${c.value(r)}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/**
 * Cursor pages: `cursors` is the stack of cursors that led here (the first page has none).
 * onMove(newStack) asks for another page.
 */
export function Pager({ cursors, next, onMove, label }) {
  return html`<nav class="pager" aria-label=${`${label} pages`}>
    <button type="button" disabled=${cursors.length === 0} onClick=${() => onMove([])}>First</button>
    <button type="button" disabled=${cursors.length === 0} onClick=${() => onMove(cursors.slice(0, -1))}>Previous</button>
    <span class="muted">Page ${num(cursors.length + 1)}</span>
    <button type="button" disabled=${!next} onClick=${() => onMove([...cursors, next])}>Next</button>
  </nav>`;
}

/** Pretty JSON (text or value), in a region a keyboard can scroll. */
export function Json({ value, text, label }) {
  let shown = text;
  if (value !== undefined) shown = JSON.stringify(value, null, 2);
  else if (typeof text === 'string') {
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      shown = text;
    }
  }
  return html`<pre class="json" tabindex="0" aria-label=${label}>${shown}</pre>`;
}

/**
 * A uPlot chart: `series` [{ label, stroke, fill?, bars?, dash? }], `data` [xs, ...ys] (x in epoch
 * seconds). The figure has a label and a caption for screen readers; the table next to it has the numbers.
 */
export function Chart({ title, series, data, height = 260, yLabel }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = Math.max(280, Math.min(el.clientWidth || 640, 1100));
    const bars = uPlot.paths.bars({ size: [0.6, 24] });
    const plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time: true } },
        axes: [{}, { label: yLabel, values: (_u, ticks) => ticks.map((t) => num(t)) }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.stroke,
            fill: s.fill,
            width: 2,
            dash: s.dash,
            points: { show: false },
            paths: s.bars ? bars : undefined,
          })),
        ],
        legend: { live: true },
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [JSON.stringify(data), JSON.stringify(series.map((s) => s.label))]);
  return html`<figure class="chart" aria-label=${title}>
    <figcaption>${title}</figcaption>
    <div ref=${box}></div>
  </figure>`;
}

/** A confirmation dialog (the native dialog: Escape cancels, focus stays inside). */
export function useConfirm() {
  const [ask, setAsk] = useState(null);
  const dialog = useRef(null);
  useEffect(() => {
    if (ask && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [ask]);
  const confirm = (message, confirmLabel) => new Promise((resolve) => setAsk({ message, confirmLabel, resolve }));
  const close = (ok) => {
    dialog.current?.close();
    ask?.resolve(ok);
    setAsk(null);
  };
  const view = ask
    ? html`<dialog ref=${dialog} aria-labelledby="confirm-text" onCancel=${(e) => (e.preventDefault(), close(false))}>
        <p id="confirm-text">${ask.message}</p>
        <div class="buttons">
          <button type="button" onClick=${() => close(false)}>Cancel</button>
          <button type="button" class="danger" onClick=${() => close(true)}>${ask.confirmLabel}</button>
        </div>
      </dialog>`
    : null;
  return [confirm, view];
}

/** A labelled select of `options` ([value, text]). */
export function Select({ id, label, value, options, onChange }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, t]) => html`<option value=${v}>${t}</option>`)}
    </select>
  </div>`;
}

export function Stat({ label, value, href }) {
  const shown = typeof value === 'number' ? num(value) : value;
  return html`<div class="stat">
    <div class="stat-label">${label}</div>
    <div class="stat-value">${href ? html`<a href=${href}>${shown}</a>` : shown}</div>
  </div>`;
}

/** Decisions of the domain with the rule that fired (a subscription's trail, an event's decisions). */
export function DecisionTable({ caption, rows, empty = 'No decision.' }) {
  return html`<${Table}
    caption=${caption}
    rows=${rows}
    empty=${empty}
    columns=${[
      { label: 'At', value: (d) => time(d.at) },
      { label: 'Kind', value: (d) => d.kind },
      { label: 'Subject', value: (d) => d.subject },
      { label: 'Outcome', value: (d) => d.outcome },
      { label: 'Rule that fired', value: (d) => d.rule },
    ]}
  />`;
}
