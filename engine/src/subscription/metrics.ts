/** Prometheus metrics of subscriptions and WebSockets, on the engine's /metrics registry. */
import client from 'prom-client';

export interface SubscriptionMetrics {
  connections: client.Gauge;
  subscribers: client.Gauge<'kind'>;
  pollers: client.Gauge<'kind'>;
  cohorts: client.Gauge<'kind'>;
  pollDuration: client.Histogram<'kind'>;
  polls: client.Counter<'kind' | 'trigger'>;
  /** cohorts read by poll statements (a statement reads a batch of them) */
  cohortPolls: client.Counter<'kind'>;
  wakeups: client.Counter<'outcome'>;
  notifications: client.Counter;
  framesSent: client.Counter;
  framesDropped: client.Counter;
  slowConsumerCloses: client.Counter;
  /** stream cohorts held back a poll because the read replica had not replayed their window */
  streamReplicaWaits: client.Counter;
}

export function createSubscriptionMetrics(
  registry: client.Registry,
  counts: () => {
    subscribers: Record<'live' | 'stream', number>;
    pollers: Record<'live' | 'stream', number>;
    cohorts: Record<'live' | 'stream', number>;
    connections: number;
  },
): SubscriptionMetrics {
  const registers = [registry];
  const byKind = (
    name: string,
    help: string,
    pick: (c: ReturnType<typeof counts>) => Record<'live' | 'stream', number>,
  ) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers,
      collect() {
        const c = pick(counts());
        this.set({ kind: 'live' }, c.live);
        this.set({ kind: 'stream' }, c.stream);
      },
    });
  return {
    connections: new client.Gauge({
      name: 'engine_websocket_connections',
      help: 'Open WebSocket connections',
      registers,
      collect() {
        this.set(counts().connections);
      },
    }),
    subscribers: byKind(
      'engine_subscription_subscribers',
      'Active subscriptions (live queries and streams)',
      (c) => c.subscribers,
    ),
    pollers: byKind(
      'engine_subscription_pollers',
      'Pollers (one per role and parameterized query)',
      (c) => c.pollers,
    ),
    cohorts: byKind(
      'engine_subscription_cohorts',
      'Cohorts (subscribers sharing variables)',
      (c) => c.cohorts,
    ),
    pollDuration: new client.Histogram({
      name: 'engine_subscription_poll_duration_seconds',
      help: 'Time of one multiplexed statement (a batch of cohorts), by kind',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    streamReplicaWaits: new client.Counter({
      name: 'engine_subscription_stream_replica_waits_total',
      help: 'Stream cohorts held back a poll because the read replica had not yet replayed their last window',
      registers,
    }),
    polls: new client.Counter({
      name: 'engine_subscription_polls_total',
      help: 'Polls by kind and what triggered them (interval, wakeup, subscribe, catchup)',
      labelNames: ['kind', 'trigger'],
      registers,
    }),
    cohortPolls: new client.Counter({
      name: 'engine_subscription_cohort_polls_total',
      help: 'Cohorts read by poll statements, by kind (what a poll costs is per cohort, not per statement)',
      labelNames: ['kind'],
      registers,
    }),
    wakeups: new client.Counter({
      name: 'engine_subscription_wakeups_total',
      help: 'Change notifications applied to pollers: matched a poller, or matched none',
      labelNames: ['outcome'],
      registers,
    }),
    notifications: new client.Counter({
      name: 'engine_subscription_notifications_total',
      help: 'Change notifications received on the LISTEN connection',
      registers,
    }),
    framesSent: new client.Counter({
      name: 'engine_websocket_frames_sent_total',
      help: 'Frames written to WebSockets',
      registers,
    }),
    framesDropped: new client.Counter({
      name: 'engine_websocket_frames_dropped_total',
      help: 'Live-query results replaced by a newer one while the socket was congested',
      registers,
    }),
    slowConsumerCloses: new client.Counter({
      name: 'engine_websocket_slow_consumer_closes_total',
      help: 'Sockets closed because their send queue outgrew STREAMSYNC_ENGINE_WS_MAX_QUEUED_BYTES',
      registers,
    }),
  };
}
