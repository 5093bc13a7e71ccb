// The demo producer's parts other packages use (bench/ingest preloads topics with them).
export { produceBulk } from './bulk.ts';
export type { BulkOptions, BulkResult } from './bulk.ts';
export { sensorKey } from './sensors.ts';
export type { SensorReading } from './sensors.ts';
