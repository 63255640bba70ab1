// Reconciliation: past runs with the drift found and repaired per kind; start a dry run.
import { html, useState } from '/console/vendor/preact.js';
import { api, useApi } from '../api.js';
import { ErrorBox, Loading, Table } from '../components.js';
import { num, time } from '../format.js';

export const title = 'Reconciliation';

export function Page() {
  const runs = useApi('/decisions?kind=reconcile&limit=50');
  const [report, setReport] = useState(null);
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState(null);
  const dryRun = async () => {
    setRunning(true);
    setFailure(null);
    try {
      setReport((await api('/reconcile/dry-run', { method: 'POST' })).report);
    } catch (e) {
      setFailure(e);
    } finally {
      setRunning(false);
    }
  };
  const kindsOf = (byKind) =>
    Object.entries(byKind ?? {})
      .map(([k, c]) => `${k}: ${num(c.found)} found, ${num(c.repaired)} repaired`)
      .join('; ') || 'no drift';
  return html` <div class="actions">
      <button type="button" onClick=${dryRun} disabled=${running} aria-describedby="dry-note">
        ${running ? 'Running…' : 'Start a dry run'}
      </button>
      <span id="dry-note" class="muted">Compares every system with the hub and repairs nothing.</span>
    </div>
    <${ErrorBox} error=${failure} />
    ${
      report &&
      html`<section class="card" aria-labelledby="dry">
        <h2 id="dry">Dry run ${time(report.finishedAt)} (${num(report.seconds)} s)</h2>
        <p>
          ${num(report.drift.total)} drift found; nothing repaired (dry run). Checked ${num(report.checked.billingSubscriptions)} billing
          subscriptions, ${num(report.checked.hubSubscriptions)} hub subscriptions, ${num(report.checked.reservations)} reservations,
          ${num(report.checked.openProposals)} open proposals.
        </p>
        ${report.skipped.length > 0 && html`<p class="muted">Skipped: ${report.skipped.join(', ')}</p>`}
        <${Table}
          caption="Drift per kind"
          rows=${Object.entries(report.drift.byKind)}
          empty="No drift."
          columns=${[
            { label: 'Kind', value: ([k]) => k },
            { label: 'Found', num: true, value: ([, c]) => num(c.found) },
            {
              label: 'Examples',
              value: ([, c]) =>
                html`<ul class="plain">
                  ${c.examples.map((x) => html`<li><code>${x.subject}</code> ${x.detail ?? ''}</li>`)}
                </ul>`,
            },
          ]}
        />
      </section>`
    }
    <section aria-labelledby="past">
      <h2 id="past">Past runs</h2>
      <${ErrorBox} error=${runs.error} /><${Loading} loading=${runs.loading} />
      ${
        runs.data &&
        html`<${Table}
          caption="Reconciliation runs, newest first"
          rows=${runs.data.decisions}
          empty="No run yet: the nightly job records one each night."
          columns=${[
            { label: 'Finished', value: (d) => time(d.at) },
            { label: 'Outcome', value: (d) => d.outcome },
            { label: 'Per kind', value: (d) => kindsOf(d.detail?.byKind) },
            { label: 'Checked', value: (d) => (d.detail?.checked ? `${num(d.detail.checked.hubSubscriptions)} subscriptions` : '–') },
          ]}
        />`
      }
    </section>`;
}
