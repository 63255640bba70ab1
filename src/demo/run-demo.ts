import { MONTH, monthContext, type MonthContext } from './month';
import { marks, namer, stepEffects, summarise, summaryTable, type MonthSummary } from './report';
import { startDemoWorld, type DemoWorld, type DemoWorldOptions } from './world';

export interface DemoResult {
  summary: MonthSummary;
  world: DemoWorld;
  ctx: MonthContext;
}

/**
 * Plays the scripted month against a fresh hub and simulators, printing each step's effects in
 * every system, then the summary table. The world stays up for the caller (reconcile, asserts):
 * close it with `result.world.close()`.
 */
export async function playMonth(
  print: (line: string) => void,
  options: Pick<DemoWorldOptions, 'dataDir' | 'adminToken' | 'configure'> = {},
): Promise<DemoResult> {
  const world = await startDemoWorld(options);
  try {
    const ctx = monthContext(world);
    print(`subhub demo: hub ${world.hub.url}, data in ${world.dataDir}`);
    print(
      `simulators: stripe ${world.stripe.url}, shopify ${world.shopify.url}, odoo ${world.odoo.url}, warehouse ${world.warehouse.url}, mail ${world.mailbox.url}`,
    );
    for (const step of MONTH) {
      world.clock.at(step.day);
      const before = await marks(world, ctx);
      await step.run(world, ctx);
      await world.settle();
      print('');
      print(`Day ${String(step.day).padStart(2)} (${new Date(world.clock.now()).toISOString().slice(0, 10)}): ${step.title}`);
      for (const l of await stepEffects(world, before, namer(ctx))) print(l);
    }
    const summary = await summarise(world, ctx);
    for (const l of summaryTable(summary)) print(l);
    return { summary, world, ctx };
  } catch (e) {
    await world.close();
    throw e;
  }
}
