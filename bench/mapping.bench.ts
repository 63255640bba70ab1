import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonata from 'jsonata';
import { compileMapping } from '../src/mapping/compile-mapping';
import { jsonDiff, formatDiff } from '../src/json/json-diff';
import { handwrittenErpOrder } from './mapping/handwritten';
import { measure, round } from './measure';

/**
 * `npm run bench -- mapping`: the same Stripe subscription event → ERP order mapping done by
 * (a) subhub's compiled mapping, (b) the equivalent precompiled JSONata expression, (c) a
 * hand-written function. Outputs are checked equal first, then each is measured in this run.
 */
export async function mappingBench(options: { budgetMs: number; rounds: number }): Promise<Record<string, unknown>> {
  const dir = join(__dirname, '..', '..', 'bench', 'mapping');
  const event: unknown = JSON.parse(readFileSync(join(dir, 'stripe-subscription-updated.json'), 'utf8'));
  const mapping = compileMapping({ name: 'erp-order', value: JSON.parse(readFileSync(join(dir, 'erp-order.json'), 'utf8')) });
  const expr = jsonata(readFileSync(join(dir, 'erp-order.jsonata'), 'utf8'));
  const skus = { price_1QbColombia1kg: 'COF-COL-1KG', price_1QbFilterPaper100: 'FLT-100', price_1QbDescalerKit: 'KIT-DESCALE' };
  const bindings = { skus };

  const ours = mapping.runSync(event);
  if (ours.dropped) throw new Error('benchmark mapping dropped the event');
  const theirs: unknown = JSON.parse(JSON.stringify(await expr.evaluate(event, bindings)));
  const hand = handwrittenErpOrder(event);
  for (const [name, other] of [
    ['jsonata', theirs],
    ['handwritten', hand],
  ] as const) {
    const diffs = jsonDiff(ours.output, other);
    if (diffs.length > 0) throw new Error(`outputs differ (subhub vs ${name}):\n${formatDiff(diffs).join('\n')}`);
  }
  console.log(`input ${JSON.stringify(event).length} bytes; outputs of subhub, JSONata and hand-written code are equal`);

  const subhub = await measure(() => mapping.runSync(event), options);
  console.log(`subhub compiled mapping  ${round(subhub.opsPerSec, 0)} ops/s`);
  const jn = await measure(() => expr.evaluate(event, bindings), { ...options, async: true });
  console.log(`JSONata (precompiled)    ${round(jn.opsPerSec, 0)} ops/s`);
  const hw = await measure(() => handwrittenErpOrder(event), options);
  console.log(`hand-written function    ${round(hw.opsPerSec, 0)} ops/s`);
  return {
    bench: 'mapping',
    subhub_ops_s: Math.round(subhub.opsPerSec),
    jsonata_ops_s: Math.round(jn.opsPerSec),
    handwritten_ops_s: Math.round(hw.opsPerSec),
    vs_jsonata: round(subhub.opsPerSec / jn.opsPerSec, 2),
    vs_handwritten: round(subhub.opsPerSec / hw.opsPerSec, 3),
  };
}
