/**
 * Prometheus metrics of event delivery, under Hasura's names (its `/v1/metrics`), so dashboards
 * built for Hasura read the engine too. Per-trigger labels are bounded by the metadata.
 */
import client from 'prom-client';

export interface EventMetrics {
  fetched: client.Counter;
  fetchSeconds: client.Histogram;
  invocations: client.Counter<'trigger_name' | 'status'>;
  processed: client.Counter<'trigger_name' | 'status'>;
  webhookSeconds: client.Histogram<'trigger_name'>;
  processingSeconds: client.Histogram<'trigger_name'>;
  queueSeconds: client.Histogram<'trigger_name'>;
  httpWorkers: client.Gauge;
  requestBytes: client.Counter;
  responseBytes: client.Counter;
  locked: client.Gauge;
  scheduledInvocations: client.Counter<'type' | 'status'>;
  scheduledProcessed: client.Counter<'type' | 'status'>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createEventMetrics(registry: client.Registry): EventMetrics {
  const registers = [registry];
  return {
    fetched: new client.Counter({
      name: 'hasura_events_fetched_total',
      help: 'Events locked for delivery',
      registers,
    }),
    fetchSeconds: new client.Histogram({
      name: 'hasura_event_fetch_time_per_batch_seconds',
      help: 'Time to lock one batch of events',
      buckets: SECONDS,
      registers,
    }),
    invocations: new client.Counter({
      name: 'hasura_event_invocations_total',
      help: 'Webhook calls made for events, by trigger and outcome (success: a 2xx answer)',
      labelNames: ['trigger_name', 'status'],
      registers,
    }),
    processed: new client.Counter({
      name: 'hasura_event_processed_total',
      help: 'Events finished, by trigger: delivered (success) or failed for good (failed)',
      labelNames: ['trigger_name', 'status'],
      registers,
    }),
    webhookSeconds: new client.Histogram({
      name: 'hasura_event_webhook_processing_time_seconds',
      help: 'Duration of the webhook call of an event',
      labelNames: ['trigger_name'],
      buckets: SECONDS,
      registers,
    }),
    processingSeconds: new client.Histogram({
      name: 'hasura_event_processing_time_seconds',
      help: 'From the row change (or the planned retry) to the end of the webhook call',
      labelNames: ['trigger_name'],
      buckets: SECONDS,
      registers,
    }),
    queueSeconds: new client.Histogram({
      name: 'hasura_event_queue_time_seconds',
      help: 'From an event being locked to its webhook call starting',
      labelNames: ['trigger_name'],
      buckets: SECONDS,
      registers,
    }),
    httpWorkers: new client.Gauge({
      name: 'hasura_event_trigger_http_workers',
      help: 'Webhook calls for events in flight',
      registers,
    }),
    requestBytes: new client.Counter({
      name: 'hasura_event_trigger_request_bytes_total',
      help: 'Bytes sent to event webhooks',
      registers,
    }),
    responseBytes: new client.Counter({
      name: 'hasura_event_trigger_response_bytes_total',
      help: 'Bytes received from event webhooks',
      registers,
    }),
    locked: new client.Gauge({
      name: 'streamsync_events_locked',
      help: 'Events this engine holds (fetched, in flight or waiting for a free HTTP worker)',
      registers,
    }),
    scheduledInvocations: new client.Counter({
      name: 'hasura_scheduled_trigger_invocations_total',
      help: 'Webhook calls for cron and one-off scheduled events, by type and outcome',
      labelNames: ['type', 'status'],
      registers,
    }),
    scheduledProcessed: new client.Counter({
      name: 'hasura_scheduled_trigger_processed_total',
      help: 'Cron and one-off scheduled events finished: delivered, error or dead',
      labelNames: ['type', 'status'],
      registers,
    }),
  };
}
