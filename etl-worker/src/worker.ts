/**
 * The worker, assembled: pipeline registry → one group consumer per topic → batch writer, with
 * the dead-letter publisher and the operational endpoints. `startWorker` returns once the HTTP endpoints listen and
 * the first set of pipelines is consuming; `stop` leaves the group cleanly.
 */
import { Kafka } from 'kafkajs';
import type pino from 'pino';
import { createPool, isTransientPgError, query, sql } from '@streamsync/database';
import type { WorkerConfig } from './config.ts';
import { AlertRuleSet } from './alerts/rule-set.ts';
import { DeadLetterPublisher } from './kafka/dead-letters.ts';
import { StallMonitor } from './health/stall-monitor.ts';
import { TopicConsumers } from './kafka/topic-consumers.ts';
import { ensureTopics } from './kafka/topics.ts';
import { BatchWriter } from './load/batch-writer.ts';
import { PipelineRegistry, type LoadedPipeline, type PipelineSet } from './load/registry.ts';
import { startOpsServer } from './ops/http.ts';
import { Republisher } from './ops/replay.ts';
import { kafkaLogCreator } from './ops/log.ts';
import { WorkerMetrics } from './ops/metrics.ts';
import { openBatchTrace } from './ops/batch-trace.ts';

export interface Worker {
  /** the port of /healthz, /readyz, /metrics */
  httpPort: number;
  metrics: WorkerMetrics;
  stop(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, log: pino.Logger): Promise<Worker> {
  const metrics = new WorkerMetrics();
  const pool = createPool({
    connectionString: config.databaseUrl,
    applicationName: 'streamsync-etl',
    max: Math.max(config.poolMax, config.partitionsConcurrency + 2),
    statementTimeoutMs: config.statementTimeoutMs,
  });
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    logCreator: kafkaLogCreator(log),
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: config.retryMaxMs },
  });
  const alertRules = new AlertRuleSet({
    pool,
    connectionString: config.databaseUrl,
    pollMs: config.pipelinePollMs,
    log,
  });
  const writer = new BatchWriter({
    pool,
    groupId: config.groupId,
    notifyChannel: config.notifyChannel,
    alertRules,
    onRowSet: (pipeline, path) => metrics.rowSets.inc({ pipeline, path }),
  });
  const deadLetters = new DeadLetterPublisher(kafka, config.deadLetterTopic);
  const republisher = new Republisher(kafka);
  // pipelines paused by a failure that is not the data's, name → why
  const pipelineErrors = new Map<string, string>();
  let pipelines: PipelineSet | null = null;
  let pgOk = false;

  const batchTrace = openBatchTrace(config.traceFile);
  const consumer = new TopicConsumers({
    trace: batchTrace?.trace,
    kafka,
    groupId: config.groupId,
    batchMaxRows: config.batchMaxRows,
    fetchAheadMessages: config.fetchAheadMessages,
    batchMaxWaitMs: config.batchMaxWaitMs,
    maxMessageBytes: config.maxMessageBytes,
    maxFutureMs: config.maxFutureMs,
    partitionsConcurrency: config.partitionsConcurrency,
    sessionTimeoutMs: config.sessionTimeoutMs,
    retryMaxMs: config.retryMaxMs,
    writer,
    deadLetters,
    metrics,
    log,
    pipelinesFor: (topic): LoadedPipeline[] => pipelines?.byTopic.get(topic) ?? [],
    onPipelineState: (pipeline, error) => {
      if ((pipelineErrors.get(pipeline) ?? null) === error) return;
      if (error) pipelineErrors.set(pipeline, error);
      else pipelineErrors.delete(pipeline);
      metrics.pipelinePaused.set({ pipeline }, error ? 1 : 0);
      updatePipelineGauge();
    },
  });

  const stalls = new StallMonitor({
    kafka,
    pool,
    groupId: config.groupId,
    stallAfterMs: config.stallAfterMs,
    notifyChannel: config.notifyChannel,
    metrics,
    log,
    assigned: () => consumer.state.assigned,
    lastError: (key) => consumer.state.lastErrors.get(key)?.message ?? null,
    pipelinesOf: (topic) => (pipelines?.byTopic.get(topic) ?? []).map((p) => p.pipeline.name),
    storedOffsets: (topics) => writer.storedOffsets(topics),
  });

  const updatePipelineGauge = () => {
    const set = pipelines;
    metrics.pipelines.set({ state: 'running' }, set ? set.pipelines.size - pipelineErrors.size : 0);
    metrics.pipelines.set({ state: 'waiting' }, pipelineErrors.size);
    metrics.pipelines.set({ state: 'rejected' }, set?.errors.length ?? 0);
    metrics.pipelines.set({ state: 'disabled' }, set?.disabled.length ?? 0);
  };

  // subscription changes are applied one at a time, in order; a change that keeps the set of
  // topics (a transform, a mapping) is only the new `pipelines`, which the next batch reads
  let applying: Promise<void> = Promise.resolve();
  let subscribed = '';
  const apply = (set: PipelineSet) => {
    pipelines = set;
    for (const name of [...pipelineErrors.keys()])
      if (!set.pipelines.has(name)) pipelineErrors.delete(name);
    updatePipelineGauge();
    const topics = [...set.byTopic.keys()].sort();
    applying = applying.then(async () => {
      if (topics.join('\n') === subscribed) return;
      try {
        await ensureTopics(kafka, topics, config.topicPartitions);
        await consumer.apply(topics);
        subscribed = topics.join('\n');
      } catch (err) {
        log.error({ err, topics }, 'could not subscribe; retrying');
        setTimeout(() => apply(pipelines!), config.retryMaxMs).unref();
      }
    });
    return applying;
  };

  const registry = new PipelineRegistry({
    pool,
    connectionString: config.databaseUrl,
    pollMs: config.pipelinePollMs,
    log,
    onChange: (set) => void apply(set),
  });

  const ops = await startOpsServer({
    host: config.httpHost,
    port: config.httpPort,
    metrics,
    hooks: {
      pool,
      log: log.child({ component: 'hooks' }),
      secret: config.webhookSecret,
      onAlert: () => metrics.alertsNotified.inc(),
      republish: (topic, messages) => republisher.send(topic, messages),
    },
    readiness: () => {
      const stalled = stalls.stalled();
      return {
        ready: pgOk && consumer.joined && !consumer.crashed && stalled.length === 0,
        detail: {
          postgres: pgOk ? 'ok' : 'unreachable',
          consumer: consumer.crashed
            ? `crashed: ${consumer.crashed.message}`
            : consumer.joined
              ? 'in group'
              : 'joining',
          pipelines: pipelines ? [...pipelines.pipelines.keys()] : [],
          disabled: pipelines?.disabled ?? [],
          rejected: (pipelines?.errors ?? []).map((e) => ({
            pipeline: e.pipeline,
            key: e.key,
            reason: e.reason,
          })),
          waiting: Object.fromEntries(pipelineErrors),
          paused: Object.fromEntries(consumer.state.paused),
          stalled,
        },
      };
    },
  });

  // Postgres reachability for /readyz, probed independently of traffic
  const probe = setInterval(() => {
    query(pool, sql`SELECT 1`).then(
      () => (pgOk = true),
      () => (pgOk = false),
    );
  }, 2000);
  probe.unref();

  // the first load waits for Postgres (it may still be starting)
  let first: PipelineSet | undefined;
  for (let backoff = 200; !first; backoff = Math.min(backoff * 2, config.retryMaxMs)) {
    try {
      first = await registry.start();
      await alertRules.start();
      pgOk = true;
    } catch (err) {
      if (!isTransientPgError(err)) {
        await Promise.all([ops.close(), pool.end()]);
        clearInterval(probe);
        throw err;
      }
      log.warn({ err }, 'postgres not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
  await ensureTopics(kafka, [config.deadLetterTopic], config.topicPartitions);
  await deadLetters.connect();
  await applying;
  stalls.start();

  return {
    httpPort: ops.port,
    metrics,
    async stop() {
      clearInterval(probe);
      await stalls.stop();
      await registry.stop();
      await alertRules.stop();
      await consumer.stop();
      batchTrace?.close();
      await deadLetters.disconnect();
      await republisher.close();
      await ops.close();
      await pool.end();
    },
  };
}
