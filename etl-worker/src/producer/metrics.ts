/** Prometheus metrics of the demo producer. */
import client from 'prom-client';

export interface ProducerMetrics {
  registry: client.Registry;
  /** messages the broker acknowledged, broken ones included */
  sent: client.Counter<'stream'>;
  /** the broken share of `sent`, by what is wrong with them */
  bad: client.Counter<'stream' | 'kind'>;
  /** sendBatch() calls that failed (their messages are not retried) */
  sendErrors: client.Counter;
  /** ticks skipped because the previous batch was still in flight (a slow or absent broker) */
  droppedTicks: client.Counter;
}

export function createMetrics(): ProducerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    sent: new client.Counter({
      name: 'producer_messages_sent_total',
      help: 'Messages acknowledged by the broker, by stream (broken ones included)',
      labelNames: ['stream'],
      registers: [registry],
    }),
    bad: new client.Counter({
      name: 'producer_bad_messages_total',
      help: 'Deliberately broken messages acknowledged by the broker, by stream and kind',
      labelNames: ['stream', 'kind'],
      registers: [registry],
    }),
    sendErrors: new client.Counter({
      name: 'producer_send_errors_total',
      help: 'Batches the broker did not take (their messages are dropped)',
      registers: [registry],
    }),
    droppedTicks: new client.Counter({
      name: 'producer_dropped_ticks_total',
      help: 'Ticks skipped because the previous batch was still in flight',
      registers: [registry],
    }),
  };
}
