/**
 * vitest global setup of the integration lane: the services its tests use, started once per run
 * and stopped at the end; nothing at all when the run has only unit projects (vitest.config.ts).
 * Postgres: a fresh embedded server in a temporary folder on a free port (or the server named by
 * DATABASE_URL), with a template database migrated and seeded once, which each test file
 * clones (CREATE DATABASE … TEMPLATE) for isolation. Kafka: a broker in a temporary folder on free
 * ports (or the cluster named by KAFKA_BROKERS). Tests read them through `inject()` (typed in
 * @streamsync/testing, whose createTestDatabase() makes the per-file database).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createPool, query, sql, withDatabase } from '@streamsync/database';
import { startEmbeddedPostgres } from '../src/embedded-postgres.ts';
import { resolveKafka } from '../src/kafka.ts';
import { freePort } from '../src/ports.ts';
import { prepareDatabase } from '../src/postgres.ts';

export const TEMPLATE_DB = 'streamsync_template';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const integration = project.vitest.projects.some((p) => p.config.sequence.groupOrder > 0);
  if (!integration) return async () => {};
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-test-'));
  // the embedded server runs as the postgres user when we are root: it must reach its data folder
  await fs.chmod(root, 0o755);
  const stops: Array<() => Promise<void>> = [];
  const log = process.env.STREAMSYNC_TEST_VERBOSE
    ? (m: string) => console.log(`[setup] ${m}`)
    : () => {};

  try {
    let adminUrl: string;
    if (process.env.DATABASE_URL) {
      adminUrl = process.env.DATABASE_URL;
    } else {
      const pg = await startEmbeddedPostgres({
        dataDir: path.join(root, 'postgres'),
        port: await freePort(),
        database: 'streamsync_admin',
        log,
        serverLog: log,
        // test databases are throwaway: trade durability for speed; crash tests kill processes,
        // not the machine, so nothing written is lost by these settings
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
      });
      stops.push(() => pg.stop());
      adminUrl = pg.url;
    }

    const admin = createPool({
      connectionString: adminUrl,
      applicationName: 'streamsync-test-setup',
      max: 1,
    });
    try {
      await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(TEMPLATE_DB)} WITH (FORCE)`);
      await query(admin, sql`CREATE DATABASE ${sql.ident(TEMPLATE_DB)}`);
    } finally {
      await admin.end();
    }
    const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
    await prepareDatabase(templateUrl, { seeds: true });

    const kafka = await resolveKafka({ dataDir: path.join(root, 'kafka'), log });
    stops.push(() => kafka.stop());

    project.provide('pgAdminUrl', adminUrl);
    project.provide('pgTemplateDb', TEMPLATE_DB);
    project.provide('kafkaBrokers', kafka.brokers);
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }

  return async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error('teardown:', e));
    await fs.rm(root, { recursive: true, force: true });
  };
}
