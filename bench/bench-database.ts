import { Client } from 'pg';
import { parentOf } from './cpu-time';

export interface BenchDatabase {
  url: string;
  /** The PostgreSQL server's postmaster (for its CPU time); undefined when it does not run here. */
  postmasterPid(): Promise<number | undefined>;
  drop(): Promise<void>;
}

/** A fresh database on the server of DATABASE_URL, dropped after the run. */
export async function benchDatabase(): Promise<BenchDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('--backend postgres and --log kafka need DATABASE_URL (a server where the benchmark may create a database)');
  // Several per second (one per measured variant): the time alone could repeat.
  const name = `subhub_bench_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    postmasterPid: async () => {
      const c = new Client({ connectionString: base });
      await c.connect();
      try {
        return parentOf(Number((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
