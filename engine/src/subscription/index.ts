/**
 * Live queries and streams, wired to the parts they use: options from the environment, the
 * subscriptions state, the wake-up listener and the metrics. The WebSocket transport that feeds
 * them is built beside them by server.ts (transport sits above this layer).
 */
import type pg from 'pg';
import type pino from 'pino';
import type client from 'prom-client';
import type { ReadRouter } from '../replicas/read-replicas.ts';
import { createSubscriptionMetrics, type SubscriptionMetrics } from './metrics.ts';
import { loadSubscriptionOptions, type SubscriptionOptions } from './options.ts';
import type { PlanContext } from './plan.ts';
import { SubscriptionsState } from './state.ts';
import { WakeupListener } from './wakeups.ts';

export type { SubscriptionOptions } from './options.ts';

export interface SubscriptionsDeps {
  env: NodeJS.ProcessEnv;
  /** the `default` source */
  pool: pg.Pool;
  /** where polls read: a read replica when one is up, else `pool` */
  reads?: ReadRouter;
  /** where the wake-up LISTEN connects */
  connectionString: string;
  registry: client.Registry;
  log: pino.Logger;
  includeInternal: boolean;
  plan: Omit<PlanContext, 'commitColumn'>;
  /** open WebSocket connections, for the gauge */
  connections: () => number;
}

export interface Subscriptions {
  options: SubscriptionOptions;
  subscriptions: SubscriptionsState;
  metrics: SubscriptionMetrics;
  wakeups: WakeupListener | null;
  log: pino.Logger;
  stop(): Promise<void>;
}

export function startSubscriptions(deps: SubscriptionsDeps): Subscriptions {
  const options = loadSubscriptionOptions(deps.env);
  const refs: { subscriptions?: SubscriptionsState } = {};
  const metrics = createSubscriptionMetrics(deps.registry, () => ({
    ...refs.subscriptions!.counts(),
    connections: deps.connections(),
  }));
  const log = deps.log.child({ component: 'subscriptions' });
  const subscriptions = new SubscriptionsState({
    pool: deps.pool,
    reads: deps.reads,
    options,
    metrics,
    log,
    includeInternal: deps.includeInternal,
    plan: { ...deps.plan, commitColumn: options.commitColumn },
  });
  refs.subscriptions = subscriptions;
  let wakeups: WakeupListener | null = null;
  if (options.eventWakeups) {
    wakeups = new WakeupListener({
      connectionString: deps.connectionString,
      channel: options.eventChannel,
      debounceMs: options.eventDebounceMs,
      log,
      metrics,
      wake: (changes, notifiedAt) => subscriptions.wake(changes, notifiedAt),
    });
    wakeups.start();
  }
  return {
    options,
    subscriptions,
    metrics,
    wakeups,
    log,
    async stop() {
      await wakeups?.stop();
      subscriptions.shutdown();
    },
  };
}
