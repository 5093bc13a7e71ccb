/**
 * `npm start`: the whole platform on this machine with demo data. Ctrl-C (SIGINT) or SIGTERM to
 * this process alone stops everything, services first, Postgres last. package.json runs it with
 * `exec`, so the signal a process manager sends to `npm start` reaches this process and not only
 * the shell between them.
 */
import { ConfigError } from '@streamsync/database';
import { EmbeddedPostgresError } from './embedded-postgres.ts';
import { startStack } from './stack.ts';

const USAGE = `usage: npm start [-- --help]

Starts Postgres, the Kafka broker, the engine (GraphQL), the ETL worker, the demo producer and the
web dashboard on this machine, with demo data. Ctrl-C (or SIGTERM) stops everything. The dashboard
is served from its production build, made first when web/ changed since the last one.

Settings (environment): STREAMSYNC_DATA_DIR (default .data/), STREAMSYNC_SERVICES (a subset:
engine,worker,producer,web, or none), DATABASE_URL / KAFKA_BROKERS (use servers of your own),
HASURA_GRAPHQL_SERVER_PORT, ETL_HTTP_PORT, PRODUCER_HTTP_PORT, WEB_PORT, STREAMSYNC_PG_PORT,
STREAMSYNC_KAFKA_PORT, STREAMSYNC_KAFKA_BROKERS=3 (a three-broker Kafka cluster),
STREAMSYNC_WEB_DEV=1 (the dashboard's dev server instead of its build),
STREAMSYNC_ENGINES=N (N engines behind HAProxy on the engine port; needs /usr/sbin/haproxy),
STREAMSYNC_PG_REPLICA=1 (a streaming read replica of the embedded Postgres, which the engine's
queries and subscriptions read from; STREAMSYNC_PG_REPLICA_PORT, default 54330), LOG_LEVEL.
See the README's "Settings".`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

const t0 = Date.now();
const log = (line: string) => process.stdout.write(`[stack] ${line}\n`);

let stopping = false;
const starting = startStack({ log, output: (line) => process.stdout.write(`${line}\n`) });

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  // a signal during the start waits for it, so what was started is stopped in order too
  const stack = await starting.catch(() => undefined);
  await stack?.stop();
  log('stopped');
  process.exit(0);
}
// SIGHUP: the terminal went away
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(signal));
}

let stack: Awaited<typeof starting>;
try {
  stack = await starting;
} catch (err) {
  if (err instanceof ConfigError || err instanceof EmbeddedPostgresError) {
    log(err.message);
  } else {
    log(`failed to start: ${(err as Error).stack ?? String(err)}`);
  }
  process.exit(1);
}

if (!stopping) {
  const width = Math.max(...Object.keys(stack.endpoints).map((k) => k.length));
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const [name, url] of Object.entries(stack.endpoints)) log(`  ${name.padEnd(width)}  ${url}`);
  log(
    process.env.HASURA_GRAPHQL_ADMIN_SECRET
      ? '  admin secret: HASURA_GRAPHQL_ADMIN_SECRET; Ctrl-C stops everything'
      : `  admin secret in ${stack.secretsFile} (console, hasura CLI); Ctrl-C stops everything`,
  );
}
