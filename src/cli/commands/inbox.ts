import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { inboxSettlement } from '../../pipeline/normalise-quarantine';
import { openConfiguredStore } from './open-store';
import type { CliIO } from '../io';

export interface InboxOptions {
  config: string;
  format?: 'text' | 'json';
  limit?: string;
  actor?: string;
  reason?: string;
}

/** Registers `subhub inbox` on the program; `done` receives the exit code. */
export function registerInboxCommand(program: Command, io: CliIO, done: (code: number) => void): void {
  program
    .command('inbox')
    .description('inbox entries waiting to be normalised: list, skip <id>, dead-letter <id>')
    .argument('<action>', 'list | skip | dead-letter')
    .argument('[id]', 'inbox entry id')
    .option('-c, --config <path>', 'config file', 'config/hub.json')
    .addOption(new Option('--format <format>', 'output format of list').choices(['text', 'json']).default('text'))
    .option('--limit <n>', 'list: at most n (default 50)')
    .option('--reason <text>', 'skip/dead-letter: why, for the audit trail')
    .option('--actor <name>', 'skip/dead-letter: who, for the audit trail (default cli:<user>)')
    .action(async (action: string, id: string | undefined, opts: InboxOptions) => done(await inboxCommand(action, id, opts, io)));
}

/**
 * `subhub inbox list|skip|dead-letter`: the pending inbox of the configured data folder, for an
 * entry that blocks the pipeline. Works while the hub runs (SQLite WAL). A running hub that is
 * stuck on the entry ends that work when its watchdog budget (pipeline.normaliseBudgetMs) runs
 * out; the admin API (POST /admin/api/inbox/:id/dead-letter) restarts the pipeline at once.
 */
export async function inboxCommand(action: string, id: string | undefined, o: InboxOptions, io: CliIO): Promise<number> {
  const store = await openConfiguredStore(o.config, io);
  if (!store) return 1;
  try {
    if (action === 'list') {
      const limit = o.limit === undefined ? 50 : Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        io.err('subhub inbox list: --limit is an integer from 1 to 1000');
        return 2;
      }
      const rows = await store.listPendingInbox(limit);
      if (o.format === 'json') io.out(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) {
          const held = r.leasedUntil === undefined ? '' : `  claimed until ${new Date(r.leasedUntil).toISOString()}`;
          io.out(
            `${r.id}  ${new Date(r.receivedAt).toISOString()}  ${r.source}/${r.sourceEventId}  ${r.eventType ?? '-'}  attempts ${r.attempts}${held}`,
          );
        }
        io.err(`${rows.length} pending inbox entr${rows.length === 1 ? 'y' : 'ies'}`);
      }
      return 0;
    }
    if (action !== 'skip' && action !== 'dead-letter') {
      io.err(`subhub inbox: unknown action "${action}"; use list, skip or dead-letter`);
      return 2;
    }
    if (!id) {
      io.err('give the id of an inbox entry (subhub inbox list shows them)');
      return 1;
    }
    const actor = o.actor ?? `cli:${userInfo().username}`;
    const r = await store.settleInbox(id, inboxSettlement(action, actor, o.reason ?? ''), actor, Date.now());
    if (r.status === 'skipped') io.out(`skipped ${id} (by ${actor})`);
    else if (r.status === 'dead_lettered')
      io.out(`dead-lettered ${id} as ${r.deadLetterId} (by ${actor}); replay it with: subhub dlq replay ${r.deadLetterId}`);
    else if (r.status === 'not_pending') io.err(`inbox entry ${id} was already normalised, ignored or dead-lettered: nothing changed`);
    else {
      io.err(`no inbox entry ${id}`);
      return 1;
    }
    return 0;
  } finally {
    await store.close();
  }
}
