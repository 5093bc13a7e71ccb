/**
 * `npm run migrate -- <status|up|down [n]|seed>`: the hasura/ migrations against a Postgres, the
 * same bookkeeping as `hasura migrate` (hdb_catalog.hdb_version), so the two always agree. For a
 * server without the Hasura CLI at hand, and for scripts. Without DATABASE_URL it uses the Postgres
 * of the running `npm start` (local-stack.ts).
 */
import { ConfigError, databaseSettings } from './config.ts';
import { findLocalStack, noLocalStackHint } from './local-stack.ts';
import { applySeeds, migrateDown, migrateUp, migrationStatus, MigrationError } from './migrate.ts';
import { createPool } from './pool.ts';

const USAGE = `usage: npm run migrate -- <command>

  status         list the migrations in hasura/migrations, applied or pending (the default)
  up             apply the pending ones, in order
  down [steps]   revert the last applied one (or the last <steps>)
  seed           apply hasura/seeds (re-runnable)

The database: DATABASE_URL when set, otherwise the Postgres of the running \`npm start\` (found
through its data dir: STREAMSYNC_DATA_DIR, default .data/). A running stack picks up a new table's
pipeline row within seconds; new metadata goes through the engine's /v1/metadata (see the README).`;

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h') || args[0] === 'help') {
    console.log(USAGE);
    return 0;
  }
  const [command = 'status', arg] = args;
  if (!['status', 'up', 'down', 'seed'].includes(command)) {
    console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const url = databaseSettings().url ?? findLocalStack()?.postgresUrl;
  if (!url) {
    throw new ConfigError(
      'DATABASE_URL',
      `not set, and ${noLocalStackHint()} (DATABASE_URL=postgres://…)`,
    );
  }
  const pool = createPool({
    connectionString: url,
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
        return 2; // checked above
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
