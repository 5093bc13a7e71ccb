/**
 * Event delivery settings, under Hasura's variable names where Hasura has one (and with Hasura's
 * defaults). A bad value stops the engine at start with the key named.
 */
import { readBool, readInt } from '@streamsync/database';

export interface EventsConfig {
  /** Deliver events at all (off: the API still records them; another engine delivers). */
  enabled: boolean;
  /** Webhook calls in flight at once (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE). */
  httpPoolSize: number;
  /** Events locked per fetch (HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE). */
  fetchBatchSize: number;
  /** Pause between fetches while there is nothing to do, ms (HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL). */
  fetchIntervalMs: number;
  /**
   * How long a lock taken by an engine holds without being renewed. A live engine renews the
   * locks of what it holds every third of this; events of an engine that died are taken over
   * after it (Hasura: 30 minutes, without renewal).
   */
  lockLeaseSeconds: number;
  /** How often scheduled and cron events are looked for, ms (Hasura: 10 s). */
  scheduledFetchIntervalMs: number;
  /** How long shutdown waits for deliveries in flight before unlocking them, s. */
  shutdownTimeoutSeconds: number;
}

export function loadEventsConfig(env: NodeJS.ProcessEnv): EventsConfig {
  return {
    enabled: readBool(env, 'STREAMSYNC_EVENTS_ENABLED', true),
    httpPoolSize: readInt(env, 'HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE', 100, 1, 10_000),
    fetchBatchSize: readInt(env, 'HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE', 100, 1, 100_000),
    fetchIntervalMs: readInt(env, 'HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL', 1000, 0, 3_600_000),
    lockLeaseSeconds: readInt(env, 'STREAMSYNC_EVENTS_LOCK_LEASE_SECONDS', 60, 3, 86_400),
    scheduledFetchIntervalMs: readInt(
      env,
      'STREAMSYNC_SCHEDULED_EVENTS_FETCH_INTERVAL',
      10_000,
      100,
      3_600_000,
    ),
    shutdownTimeoutSeconds: readInt(env, 'HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT', 60, 0, 3600),
  };
}
