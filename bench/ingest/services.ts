/**
 * The services of one benchmark run, private to it: an embedded Postgres (migrated and seeded, as
 * in production: same tables, same indexes) and a Kafka broker, both in a fresh data folder on
 * free ports, stopped at the end. The Postgres is ours and local because the COPY side reads a
 * file on the server's disk. KAFKA_BROKERS names an existing cluster instead of a local broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createPool, query, REPO_ROOT, sql } from '@streamsync/database';
import { startEmbeddedPostgres } from '@streamsync/stack/embedded-postgres';
import { resolveKafka } from '@streamsync/stack/kafka';
import { freePort } from '@streamsync/stack/ports';
import { prepareDatabase } from '@streamsync/stack/postgres';

export interface BenchServices {
  dataDir: string;
  postgresUrl: string;
  postgresDataDir: string;
  /** the server settings that matter for a load, as Postgres reports them */
  postgresSettings: Record<string, string>;
  brokers: string[];
  kafkaPid: number | undefined;
  stop(): Promise<void>;
}

const REPORTED_SETTINGS = [
  'server_version',
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'shared_buffers',
  'max_wal_size',
  'checkpoint_timeout',
  'work_mem',
  'maintenance_work_mem',
];

export async function startServices(
  dataDir: string,
  log: (line: string) => void,
): Promise<BenchServices> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  // the embedded server runs as the postgres user when we are root: it must reach its data
  // folder and the CSV file of the COPY side
  fs.chmodSync(dataDir, 0o755);
  const top = path.join(REPO_ROOT, '.data');
  for (let d = path.dirname(dataDir); d.startsWith(top); d = path.dirname(d))
    fs.chmodSync(d, 0o755);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (stops.length) await stops.pop()!().catch((e: Error) => log(`stop: ${e.message}`));
  };
  try {
    const postgresDataDir = path.join(dataDir, 'postgres');
    const pg = await startEmbeddedPostgres({
      dataDir: postgresDataDir,
      port: await freePort(),
      database: 'streamsync',
    });
    stops.push(() => pg.stop());
    log(`Postgres on ${pg.url.replace(/:[^:@/]*@/, ':***@')}`);
    await prepareDatabase(pg.url, { seeds: true });

    const pool = createPool({ connectionString: pg.url, applicationName: 'bench-ingest', max: 1 });
    const postgresSettings: Record<string, string> = {};
    try {
      const { rows } = await query<{ name: string; setting: string }>(
        pool,
        sql`SELECT name, current_setting(name) AS setting FROM unnest(${sql.value(REPORTED_SETTINGS, 'text[]')}) AS name`,
      );
      for (const r of rows) postgresSettings[r.name] = r.setting;
    } finally {
      await pool.end();
    }

    const kafka = await resolveKafka({ dataDir: path.join(dataDir, 'kafka'), port: 0, log });
    stops.push(() => kafka.stop());
    return {
      dataDir,
      postgresUrl: pg.url,
      postgresDataDir,
      postgresSettings,
      brokers: kafka.brokers,
      kafkaPid: kafka.pid,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
