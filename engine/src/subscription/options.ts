/**
 * Subscription settings. Hasura's own variables keep Hasura's names, units and defaults; the
 * rest are ours (STREAMSYNC_ENGINE_*). A bad value stops the engine at start (ConfigError).
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL | 1000 | ms between two polls of a live-query poller |
 * | HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE | 100 | cohorts per multiplexed statement |
 * | HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL | 1000 | ms between two polls of a streaming poller |
 * | HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE | 100 | cohorts per streaming statement |
 * | HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE | 5 | seconds between keep-alives (`ka` / `ping`) |
 * | HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT | 3 | seconds a graphql-transport-ws client has to send connection_init |
 * | HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE | true | close every socket with 1012 when the metadata changes |
 * | STREAMSYNC_ENGINE_EVENT_WAKEUPS | true | LISTEN on `streamsync_changes` and poll on notifications |
 * | STREAMSYNC_ENGINE_EVENT_DEBOUNCE_MS | 5 | notifications arriving within this window are coalesced |
 * | STREAMSYNC_ENGINE_EVENT_CHANNEL | streamsync_changes | the channel the ETL worker notifies |
 * | STREAMSYNC_ENGINE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION | 200 | operations one socket may run at once |
 * | STREAMSYNC_ENGINE_MAX_SUBSCRIPTIONS | 100000 | subscriptions the engine serves at once |
 * | STREAMSYNC_ENGINE_WS_SEND_BUFFER_BYTES | 1048576 | a socket with more unsent bytes is congested: live results are coalesced (latest kept), streams wait |
 * | STREAMSYNC_ENGINE_WS_MAX_QUEUED_BYTES | 16777216 | a congested socket whose queue grows past this is closed (1013) |
 * | STREAMSYNC_ENGINE_STREAM_COMMIT_COLUMN | ingest_xid | the xid8 column that makes a stream complete under concurrent writers |
 * | STREAMSYNC_ENGINE_DEBUG_TIMINGS | false | frames carry `extensions.timings` (when the poll was asked for, started, read, sent): for the freshness bench, not for clients |
 */
import {
  ConfigError,
  DEFAULT_CHANGE_CHANNEL,
  isChangeChannelName,
  readBool,
  readInt,
} from '@streamsync/database';

export interface SubscriptionOptions {
  live: { refetchIntervalMs: number; batchSize: number };
  stream: { refetchIntervalMs: number; batchSize: number };
  keepAliveSec: number;
  initTimeoutSec: number;
  closeOnMetadataChange: boolean;
  eventWakeups: boolean;
  eventDebounceMs: number;
  eventChannel: string;
  maxPerConnection: number;
  maxTotal: number;
  sendBufferBytes: number;
  maxQueuedBytes: number;
  commitColumn: string;
  /** subscription frames carry `extensions.timings` (off: Hasura's frames, byte for byte) */
  debugTimings: boolean;
}

export function loadSubscriptionOptions(env: NodeJS.ProcessEnv): SubscriptionOptions {
  const channel = env.STREAMSYNC_ENGINE_EVENT_CHANNEL || DEFAULT_CHANGE_CHANNEL;
  if (!isChangeChannelName(channel))
    throw new ConfigError('STREAMSYNC_ENGINE_EVENT_CHANNEL', 'expected a lower-case identifier');
  const commitColumn = env.STREAMSYNC_ENGINE_STREAM_COMMIT_COLUMN || 'ingest_xid';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(commitColumn))
    throw new ConfigError('STREAMSYNC_ENGINE_STREAM_COMMIT_COLUMN', 'expected a column name');
  const sendBufferBytes = readInt(
    env,
    'STREAMSYNC_ENGINE_WS_SEND_BUFFER_BYTES',
    1 << 20,
    1024,
    1 << 30,
  );
  return {
    live: {
      refetchIntervalMs: readInt(
        env,
        'HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL',
        1000,
        1,
        3_600_000,
      ),
      batchSize: readInt(
        env,
        'HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE',
        100,
        1,
        100_000,
      ),
    },
    stream: {
      refetchIntervalMs: readInt(
        env,
        'HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL',
        1000,
        1,
        3_600_000,
      ),
      batchSize: readInt(
        env,
        'HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE',
        100,
        1,
        100_000,
      ),
    },
    keepAliveSec: readInt(env, 'HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE', 5, 1, 86_400),
    initTimeoutSec: readInt(env, 'HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT', 3, 1, 86_400),
    closeOnMetadataChange: readBool(
      env,
      'HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE',
      true,
    ),
    eventWakeups: readBool(env, 'STREAMSYNC_ENGINE_EVENT_WAKEUPS', true),
    eventDebounceMs: readInt(env, 'STREAMSYNC_ENGINE_EVENT_DEBOUNCE_MS', 5, 0, 10_000),
    eventChannel: channel,
    maxPerConnection: readInt(
      env,
      'STREAMSYNC_ENGINE_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION',
      200,
      1,
      1_000_000,
    ),
    maxTotal: readInt(env, 'STREAMSYNC_ENGINE_MAX_SUBSCRIPTIONS', 100_000, 1, 100_000_000),
    sendBufferBytes,
    maxQueuedBytes: readInt(
      env,
      'STREAMSYNC_ENGINE_WS_MAX_QUEUED_BYTES',
      16 << 20,
      sendBufferBytes,
      1 << 30,
    ),
    commitColumn,
    debugTimings: readBool(env, 'STREAMSYNC_ENGINE_DEBUG_TIMINGS', false),
  };
}
