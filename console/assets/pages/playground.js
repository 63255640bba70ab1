// The mapping playground: pick or paste a mapping, pick or paste a payload, see the output or the
// located error as you type, run the mapping's cases. Nothing is saved: the hub only evaluates.
import { html, useEffect, useRef, useState } from '/console/vendor/preact.js';
import { api, useApi, useQueryState } from '../api.js';
import { ErrorBox, Json, Table } from '../components.js';

export const title = 'Mapping playground';

export function Page() {
  const [params, setParams] = useQueryState();
  const mappings = useApi('/mappings');
  const fixtures = useApi('/fixtures');
  const [source, setSource] = useState('');
  const [input, setInput] = useState('');
  const [result, setResult] = useState(null);
  const [cases, setCases] = useState(null);
  const [failure, setFailure] = useState(null);
  const sourceBox = useRef(null);
  const inputBox = useRef(null);
  const name = params.mapping ?? '';

  // Picking a mapping loads its text (and a fixture its cases use, when there is one).
  useEffect(() => {
    if (!name) return;
    api(`/mappings/${encodeURIComponent(name)}`).then(
      (m) => {
        setSource(m.source);
        setCases(null);
      },
      (e) => setFailure(e),
    );
  }, [name]);

  // Evaluated as you type, a quarter second after the last key.
  useEffect(() => {
    if (!source.trim() || !input.trim()) return setResult(null);
    const t = setTimeout(() => {
      api('/mappings/try', { method: 'POST', body: { source, input } }).then(setResult, (e) =>
        setResult({ ok: false, errors: [{ code: e.code, message: e.message }] }),
      );
    }, 250);
    return () => clearTimeout(t);
  }, [source, input]);

  const jump = (err) => {
    const box = err.where === 'input' ? inputBox.current : sourceBox.current;
    if (!box || !err.line) return;
    const lines = box.value.split('\n');
    const at = lines.slice(0, err.line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, (err.column ?? 1) - 1);
    box.focus();
    box.setSelectionRange(at, Math.min(box.value.length, at + 1));
  };
  const runCases = async () => {
    setFailure(null);
    try {
      setCases(await api(`/mappings/${encodeURIComponent(name)}/cases`, { method: 'POST', body: { source } }));
    } catch (e) {
      setFailure(e);
    }
  };
  const list = mappings.data?.mappings ?? [];
  const fixtureList = fixtures.data?.fixtures ?? [];
  const caseRows = cases?.cases ?? [];
  return html` <p class="muted">Nothing typed here is saved: the hub evaluates the mapping in memory and forgets it.</p>
    <${ErrorBox} error=${mappings.error ?? failure} />
    <div class="filters">
      <div class="field">
        <label for="mapping">Mapping</label>
        <select id="mapping" value=${name} onChange=${(e) => setParams({ mapping: e.currentTarget.value }, true)}>
          <option value="">Paste your own…</option>
          ${list.map((m) => html`<option value=${m.name}>${m.name}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="fixture">Fixture payload</label>
        <select
          id="fixture"
          onChange=${(e) => {
            const picked = e.currentTarget.value;
            if (!picked) return;
            api(`/fixtures/text?name=${encodeURIComponent(picked)}`).then((f) => setInput(f.text), setFailure);
          }}
        >
          <option value="">Pick a fixture…</option>
          ${name && html`<optgroup label="Used by this mapping's cases">${fixtureList.filter((f) => f.mappings.includes(name)).map((f) => html`<option value=${f.name}>${f.name}</option>`)}</optgroup>`}
          <optgroup label=${name ? 'Other fixtures' : 'Fixtures'}>
            ${fixtureList.filter((f) => !name || !f.mappings.includes(name)).map((f) => html`<option value=${f.name}>${f.name}</option>`)}
          </optgroup>
        </select>
      </div>
      ${name && html`<button type="button" onClick=${runCases}>Run the mapping's cases</button>`}
    </div>
    <div class="split">
      <div class="field">
        <label for="source">Mapping (JSON)</label>
        <textarea
          id="source"
          ref=${sourceBox}
          spellcheck="false"
          rows="22"
          value=${source}
          onInput=${(e) => setSource(e.currentTarget.value)}
        ></textarea>
      </div>
      <div class="field">
        <label for="input">Input payload (JSON)</label>
        <textarea
          id="input"
          ref=${inputBox}
          spellcheck="false"
          rows="22"
          value=${input}
          onInput=${(e) => setInput(e.currentTarget.value)}
        ></textarea>
      </div>
    </div>
    <section aria-labelledby="out" aria-live="polite">
      <h2 id="out">Result</h2>
      ${
        !result
          ? html`<p class="muted">Give a mapping and an input.</p>`
          : result.ok
            ? result.dropped !== undefined
              ? html`<p class="ok">Dropped: ${result.dropped}</p>`
              : html`<${Json} value=${result.output} label="Output" />`
            : html`<ul class="errors" role="alert">
                ${result.errors.map(
                  (e) =>
                    html`<li>
                      <code>${e.code}</code>
                      ${e.where ? `${e.where} ` : ''}${e.line ? html`<button type="button" class="link" onClick=${() => jump(e)}>line ${e.line}, column ${e.column}</button>` : ''}:
                      ${e.message}
                    </li>`,
                )}
              </ul>`
      }
    </section>
    ${
      cases &&
      html`<section aria-labelledby="cases-title">
        <h2 id="cases-title">Cases${cases.ok ? `: ${cases.passed} passed, ${cases.failed} failed` : ''}</h2>
        ${
          cases.ok === false &&
          html`<ul class="errors" role="alert">
            ${cases.errors.map((e) => html`<li><code>${e.code}</code> ${e.line ? `line ${e.line}, column ${e.column}: ` : ''}${e.message}</li>`)}
          </ul>`
        }
        <${Table}
          caption="The mapping's cases against the text above"
          rows=${caseRows}
          columns=${[
            { label: 'Case', value: (c) => c.name },
            {
              label: 'Result',
              value: (c) => html`<span class=${`badge ${c.passed ? 'done' : 'dead'}`}>${c.passed ? 'passed' : 'failed'}</span>`,
            },
            { label: 'Problems', value: (c) => (c.problems?.length ? html`<pre class="json">${c.problems.join('\n')}</pre>` : '–') },
          ]}
        />
      </section>`
    }`;
}
