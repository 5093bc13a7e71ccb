/**
 * Live queries, streams and their WebSocket transport, wired to an engine: options from the
 * environment, the subscriptions state, the WebSocket server, the wake-up listener, the metrics,
 * and the 1012 close on metadata change.
 */
import type { Engine } from '../server.ts';
import { GraphQLWebSocketServer } from '../transport/ws.ts';
import { StandardCloseCode } from '../transport/ws-protocol.ts';
import { createSubscriptionMetrics } from './metrics.ts';
import { loadSubscriptionOptions, type SubscriptionOptions } from './options.ts';
import { SubscriptionsState } from './state.ts';
import { WakeupListener } from './wakeups.ts';

export { streamFieldsExtension } from './stream-args.ts';
export type { SubscriptionOptions } from './options.ts';

export interface LiveServices {
  options: SubscriptionOptions;
  subscriptions: SubscriptionsState;
  ws: GraphQLWebSocketServer;
  wakeups: WakeupListener | null;
  stop(): Promise<void>;
}

export function startLive(engine: Engine): LiveServices {
  const options = loadSubscriptionOptions(engine.config.env);
  const refs: { ws?: GraphQLWebSocketServer; subscriptions?: SubscriptionsState } = {};
  const metrics = createSubscriptionMetrics(engine.metrics.registry, () => ({
    ...refs.subscriptions!.counts(),
    connections: refs.ws?.connectionCount ?? 0,
  }));
  const log = engine.log.child({ component: 'subscriptions' });
  const subscriptions = new SubscriptionsState({
    pool: engine.pool,
    options,
    metrics,
    log,
    includeInternal: engine.config.adminInternalErrors || engine.config.devMode,
    plan: {
      maxDepth: engine.config.maxQueryDepth,
      maxFields: engine.config.maxQueryFields,
      stringifyNumeric: engine.config.stringifyNumericTypes,
      commitColumn: options.commitColumn,
      limits: engine.limits,
    },
  });
  const server = new GraphQLWebSocketServer({ engine, subscriptions, options, metrics });
  refs.ws = server;
  refs.subscriptions = subscriptions;
  engine.onMetadataChange(() => {
    if (!options.closeOnMetadataChange) return;
    log.info('Closing all websocket connections as the metadata has changed');
    server.closeAll(
      StandardCloseCode.ServiceRestart,
      'Server state changed, restarting the server',
    );
  });
  let wakeups: WakeupListener | null = null;
  if (options.eventWakeups) {
    const state = subscriptions;
    wakeups = new WakeupListener({
      connectionString: engine.config.databaseUrl ?? engine.config.metadataDatabaseUrl,
      channel: options.eventChannel,
      debounceMs: options.eventDebounceMs,
      log,
      metrics,
      wake: (changes) => state.wake(changes),
    });
    wakeups.start();
  }
  const subs = subscriptions;
  return {
    options,
    subscriptions,
    ws: server,
    wakeups,
    async stop() {
      await server.shutdown();
      await wakeups?.stop();
      subs.shutdown();
    },
  };
}
