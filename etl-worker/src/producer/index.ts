// The demo producer's parts other packages use (bench/ingest preloads topics with them).
export { produceBulk } from './bulk.ts';
export type { BulkOptions, BulkResult } from './bulk.ts';
export { sensorKey } from './sensors.ts';
export type { SensorReading } from './sensors.ts';
// the live feed, which bench/web drives at its own rate
export { ensureTopics } from '../kafka/topics.ts';
export { connectProducer, createKafka } from './kafka-client.ts';
export { startLive } from './live.ts';
export { createMetrics } from './metrics.ts';
export { createRng } from './random.ts';
export { createStream, STREAM_TOPICS } from './streams.ts';
