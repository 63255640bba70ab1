import Database from 'better-sqlite3';
import { Client } from 'pg';

/** What the database says about the acknowledged events after a crash loop. */
export interface StorageVerdict {
  /** Acknowledged events with exactly one inbox row. */
  storedOnce: number;
  /** Acknowledged events with no inbox row. */
  missing: number;
  /** Source event ids with more than one inbox row. */
  duplicatesStored: number;
  /** 'ok', or what is wrong, `; `-separated. */
  integrity: string;
}

function verdict(acked: ReadonlySet<string>, rows: ReadonlyArray<{ id: string; n: number }>, problems: string[]): StorageVerdict {
  const stored = new Map(rows.map((r) => [r.id, r.n]));
  return {
    storedOnce: [...acked].filter((id) => stored.get(id) === 1).length,
    missing: [...acked].filter((id) => !stored.has(id)).length,
    duplicatesStored: rows.filter((r) => r.n > 1).length,
    integrity: problems.length ? problems.join('; ') : 'ok',
  };
}

/** The SQLite oracle: inbox rows per Stripe event id, and SQLite's own integrity_check. Opens the file read-only. */
export function sqliteVerdict(dbFile: string, acked: ReadonlySet<string>): StorageVerdict {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT source_event_id AS id, COUNT(*) AS n FROM inbox WHERE source = 'stripe' GROUP BY source_event_id`)
      .all() as Array<{ id: string; n: number }>;
    const check = String(db.pragma('integrity_check', { simple: true }));
    return verdict(acked, rows, check === 'ok' ? [] : [check]);
  } finally {
    db.close();
  }
}

/** Counts that are zero in a drained, consistent hub database; each nonzero one is named in `integrity`. */
const PG_INVARIANTS: ReadonlyArray<[string, string]> = [
  ['inbox rows still received', `SELECT COUNT(*) FROM inbox WHERE status = 'received'`],
  ['inbox rows failed or ignored', `SELECT COUNT(*) FROM inbox WHERE status IN ('failed', 'ignored')`],
  ['finished inbox rows with a lease', `SELECT COUNT(*) FROM inbox WHERE status <> 'received' AND lease_until IS NOT NULL`],
  [
    'normalised inbox rows without exactly one event',
    `SELECT COUNT(*) FROM inbox i WHERE i.status = 'normalised' AND (SELECT COUNT(*) FROM events e WHERE e.inbox_id = i.id) <> 1`,
  ],
  [
    'events of an inbox row not normalised',
    `SELECT COUNT(*) FROM events e JOIN inbox i ON i.id = e.inbox_id WHERE i.status <> 'normalised'`,
  ],
  ['deliveries pending or in flight', `SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')`],
  ['deliveries dead', `SELECT COUNT(*) FROM deliveries WHERE status = 'dead'`],
  ['done deliveries with a lease', `SELECT COUNT(*) FROM deliveries WHERE status = 'done' AND lease_until IS NOT NULL`],
  ['open dead letters', `SELECT COUNT(*) FROM dead_letters WHERE status = 'open'`],
  ['outbox rows not relayed', `SELECT COUNT(*) FROM outbox`],
];

/**
 * The PostgreSQL oracle, read after the hubs drained: inbox rows per Stripe event id (the unique
 * constraint should make duplicates impossible; this counts rather than trusts it), and in place
 * of SQLite's page check the invariants of a finished run: nothing left received, pending or in
 * flight, one event per normalised entry, `routes` deliveries per event, no dead letter.
 */
export async function postgresVerdict(url: string, acked: ReadonlySet<string>, routes: number): Promise<StorageVerdict> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; n: string }>(
      `SELECT source_event_id AS id, COUNT(*) AS n FROM inbox WHERE source = 'stripe' GROUP BY source_event_id`,
    );
    const problems: string[] = [];
    for (const [what, sql] of PG_INVARIANTS) {
      const n = Number((await client.query<{ count: string }>(sql)).rows[0]!.count);
      if (n > 0) problems.push(`${n} ${what}`);
    }
    const { rows: c } = await client.query<{ events: string; deliveries: string }>(
      `SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM deliveries) AS deliveries`,
    );
    const events = Number(c[0]!.events);
    const deliveries = Number(c[0]!.deliveries);
    if (deliveries !== events * routes) problems.push(`${deliveries} deliveries for ${events} events × ${routes} routes`);
    return verdict(
      acked,
      rows.map((r) => ({ id: r.id, n: Number(r.n) })),
      problems,
    );
  } finally {
    await client.end();
  }
}

/** Distinct Stripe events in the inbox (landed from the Kafka log, or appended). */
export async function postgresLanded(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT COUNT(DISTINCT source_event_id) AS n FROM inbox WHERE source = 'stripe'`);
    return Number(rows[0]!.n);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Inbox entries still to normalise plus deliveries still open: 0 once every hub has drained. */
export async function postgresBacklog(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'received') + (SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')) AS n`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end().catch(() => {});
  }
}
