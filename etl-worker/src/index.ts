export { readWorkerConfig, type WorkerConfig } from './config.ts';
export { startWorker, type Worker } from './worker.ts';
export { createLogger } from './ops/log.ts';
export { DLQ_HEADERS } from './kafka/dead-letters.ts';
export type { ChunkTiming } from './ops/batch-trace.ts';
