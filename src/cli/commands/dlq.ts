import { userInfo } from 'node:os';
import type { DeadLetter, DeadLetterFilter } from '../../store/ports';
import { openConfiguredStore } from './open-store';
import type { CliIO } from '../io';

export interface DlqOptions {
  config: string;
  format?: 'text' | 'json';
  status?: string;
  stage?: string;
  source?: string;
  limit?: string;
  actor?: string;
}

/**
 * `subhub dlq list|show|replay|discard`: the dead letters of the configured data folder. Works
 * while the hub runs (SQLite WAL); the running hub picks replayed work up on its next poll.
 * Replays and discards are audited with the actor (default: the OS user).
 */
export async function dlqCommand(action: string, id: string | undefined, o: DlqOptions, io: CliIO): Promise<number> {
  const store = await openConfiguredStore(o.config, io);
  if (!store) return 1;
  try {
    const now = Date.now();
    const actor = o.actor ?? `cli:${userInfo().username}`;
    switch (action) {
      case 'list': {
        const limit = o.limit === undefined ? 50 : Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          io.err('subhub dlq list: --limit is an integer from 1 to 1000');
          return 2;
        }
        const filter: DeadLetterFilter = { limit };
        if (o.status) filter.status = o.status as DeadLetterFilter['status'];
        if (o.stage) filter.stage = o.stage as DeadLetterFilter['stage'];
        if (o.source) filter.source = o.source;
        const rows = await store.listDeadLetters(filter);
        if (o.format === 'json') io.out(JSON.stringify(rows, null, 2));
        else {
          for (const d of rows) io.out(summary(d));
          io.err(`${rows.length} dead letter(s)`);
        }
        return 0;
      }
      case 'show': {
        const d = id ? await store.getDeadLetter(id) : undefined;
        if (!d) return notFound(io, id);
        io.out(JSON.stringify({ ...d, payload: tryParse(d.payload) }, null, 2));
        return 0;
      }
      case 'replay':
      case 'discard': {
        if (!id) return notFound(io, id);
        const r = action === 'replay' ? await store.replayDeadLetter(id, actor, now) : await store.discardDeadLetter(id, actor, now);
        if (r === 'not_found') return notFound(io, id);
        if (r === 'not_open') {
          io.err(`dead letter ${id} was already replayed or discarded: nothing changed`);
          return 0;
        }
        io.out(`${r} ${id} (by ${actor})`);
        return 0;
      }
      default:
        io.err(`subhub dlq: unknown action "${action}"; use list, show, replay or discard`);
        return 2;
    }
  } finally {
    await store.close();
  }
}

function summary(d: DeadLetter): string {
  const where = [d.stage, d.route, d.target].filter(Boolean).join(' ');
  return `${d.id}  ${d.status.padEnd(9)} ${new Date(d.createdAt).toISOString()}  ${d.source}/${d.sourceEventId}  ${where}  ${d.errorCode}: ${d.errorMessage.slice(0, 120)}`;
}

function notFound(io: CliIO, id: string | undefined): number {
  io.err(id ? `no dead letter ${id}` : 'give the id of a dead letter');
  return 1;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
