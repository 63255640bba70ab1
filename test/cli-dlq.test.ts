import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli/main';
import { captureIO } from './helpers/capture-io';
import { eventually, startTarget } from './helpers/target-server';
import { startTestHub } from './helpers/test-hub';

const event = JSON.parse(readFileSync(join(__dirname, '..', 'mappings', 'fixtures', 'stripe-subscription-created.json'), 'utf8')) as {
  id: string;
};

describe('subhub dlq', () => {
  it('lists, shows, replays once (audited) and discards dead letters of the configured data folder', async () => {
    const target = await startTarget(() => ({ status: 422 }));
    const hub = await startTestHub({ targetUrl: target.url });
    try {
      await hub.postStripe(event);
      await eventually(async () => (await hub.store.counts()).deadLettersOpen === 1);
    } finally {
      await hub.stop();
      await target.close();
    }
    const cfg = hub.configPath;

    const list = captureIO();
    expect(await main(['dlq', 'list', '--config', cfg, '--format', 'json'], list)).toBe(0);
    const [dl] = JSON.parse(list.stdout()) as Array<{ id: string; stage: string; errorCode: string; sourceEventId: string }>;
    expect(dl).toMatchObject({ stage: 'deliver', errorCode: 'DELIVERY_REJECTED', sourceEventId: event.id });

    const text = captureIO();
    expect(await main(['dlq', 'list', '--config', cfg, '--stage', 'deliver', '--status', 'open'], text)).toBe(0);
    expect(text.stdout()).toContain(`${dl!.id}  open`);
    expect(text.stdout()).toContain('DELIVERY_REJECTED');

    const show = captureIO();
    expect(await main(['dlq', 'show', dl!.id, '--config', cfg], show)).toBe(0);
    expect(JSON.parse(show.stdout())).toMatchObject({
      id: dl!.id,
      target: 'target',
      route: 'to-target',
      payload: { type: 'subscription.created' },
    });

    const replay = captureIO();
    expect(await main(['dlq', 'replay', dl!.id, '--config', cfg, '--actor', 'ana'], replay)).toBe(0);
    expect(replay.stdout()).toContain(`replayed ${dl!.id} (by ana)`);
    const again = captureIO();
    expect(await main(['dlq', 'replay', dl!.id, '--config', cfg], again)).toBe(0);
    expect(again.stderr()).toContain('already replayed or discarded: nothing changed');

    const after = captureIO();
    await main(['dlq', 'show', dl!.id, '--config', cfg], after);
    expect(JSON.parse(after.stdout())).toMatchObject({ status: 'replayed', resolvedBy: 'ana' });

    expect(await main(['dlq', 'discard', dl!.id, '--config', cfg], captureIO())).toBe(0);
    expect(await main(['dlq', 'show', 'nope', '--config', cfg], captureIO())).toBe(1);
    expect(await main(['dlq', 'list', '--config', cfg, '--limit', 'lots'], captureIO())).toBe(2);
    expect(await main(['dlq', 'frob', '--config', cfg], captureIO())).toBe(2);
  });
});
