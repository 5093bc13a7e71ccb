/**
 * `npm run migrate -- <status|up|down [n]|seed>`: the hasura/ migrations against DATABASE_URL, the
 * same bookkeeping as `hasura migrate` (hdb_catalog.hdb_version), so the two always agree. For a
 * server without the Hasura CLI at hand, and for scripts.
 */
import { ConfigError, databaseSettings } from './config.ts';
import { applySeeds, migrateDown, migrateUp, migrationStatus, MigrationError } from './migrate.ts';
import { createPool } from './pool.ts';

const USAGE = 'usage: npm run migrate -- status | up | down [steps] | seed';

async function main(args: string[]): Promise<number> {
  const [command = 'status', arg] = args;
  const settings = databaseSettings();
  if (!settings.url) throw new ConfigError('DATABASE_URL', 'required: the Postgres to migrate');
  const pool = createPool({
    connectionString: settings.url,
    applicationName: 'streamsync-migrate',
    // the applier holds one connection for its lock and reads state on another
    max: 3,
  });
  const log = (m: string) => console.log(m);
  try {
    switch (command) {
      case 'status':
        for (const m of await migrationStatus(pool)) {
          console.log(`${m.applied ? 'applied' : 'pending'}  ${m.version}_${m.name}`);
        }
        return 0;
      case 'up':
        console.log(`${(await migrateUp(pool, { log })).length} applied`);
        return 0;
      case 'down': {
        const steps = arg === undefined ? 1 : Number(arg);
        if (!Number.isInteger(steps) || steps < 1) {
          console.error(`down: steps must be a positive integer\n${USAGE}`);
          return 2;
        }
        console.log(`${(await migrateDown(pool, { steps, log })).length} reverted`);
        return 0;
      }
      case 'seed':
        for (const f of await applySeeds(pool)) console.log(`seeded ${f}`);
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err instanceof ConfigError || err instanceof MigrationError ? err.message : err);
    process.exit(1);
  },
);
