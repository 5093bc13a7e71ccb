/**
 * Postgres for the local stack: the server named by DATABASE_URL when set, otherwise the embedded
 * one. Either way the migrations in hasura/migrations are applied before anything else starts.
 */
import pg from 'pg';
import {
  createPool,
  databaseSettings,
  migrateUp,
  applySeeds,
  type DatabaseSettings,
} from '@streamsync/database';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export interface PostgresHandle {
  url: string;
  external: boolean;
  /** The postmaster, when we started it. */
  pid?: number;
  stop(): Promise<void>;
}

export async function resolvePostgres(
  settings: DatabaseSettings = databaseSettings(),
  log: (msg: string) => void = () => {},
): Promise<PostgresHandle> {
  if (settings.url) {
    await waitForPostgres(settings.url, 30_000);
    return { url: settings.url, external: true, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir: settings.embeddedDataDir,
    port: settings.embeddedPort,
    database: settings.database,
    log: (line) => log(`postgres: ${line}`),
  });
  return { url: server.url, external: false, pid: server.pid, stop: () => server.stop() };
}

/** Retry a connection until the server answers; the error names DATABASE_URL (without password). */
export async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const safe = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  throw new Error(
    `Postgres at DATABASE_URL (${safe}) did not answer within ${timeoutMs} ms: ${(last as Error)?.message}`,
  );
}

/** Apply pending migrations and the (re-runnable) seeds. */
export async function prepareDatabase(
  url: string,
  opts: { seeds?: boolean; log?: (msg: string) => void } = {},
): Promise<{ applied: string[]; seeds: string[] }> {
  const pool = createPool({ connectionString: url, applicationName: 'streamsync-stack', max: 2 });
  try {
    const applied = await migrateUp(pool, { log: opts.log });
    const seeds = opts.seeds === false ? [] : await applySeeds(pool);
    return { applied, seeds };
  } finally {
    await pool.end();
  }
}
