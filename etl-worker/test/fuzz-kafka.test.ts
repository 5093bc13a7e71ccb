/**
 * A bounded Kafka fuzz campaign (bench/fuzz: the same generator and driver as the
 * `bench:fuzz-kafka` runner) against a worker process, the real broker and Postgres: good messages
 * mixed with every bad kind over three partitions. Every good one is loaded, every bad one is a
 * dead letter with a code that describes it and a reason, no partition stalls, and the stored
 * offsets reach the broker's end offsets.
 */
import { describe, expect, inject, it } from 'vitest';
import { runKafkaCampaign } from '@streamsync/bench/fuzz/kafka-campaign.ts';
import { BAD_MAKERS } from '@streamsync/bench/fuzz/kafka-cases.ts';
import { freshDatabase, startWorker, useWorkerCleanup } from './harness.ts';

useWorkerCleanup();

const MAX_MESSAGE_BYTES = 65_536;

describe('ETL worker > Kafka fuzzing', () => {
  it('should load every good message and dead-letter every bad one with its reason, without a stall', async () => {
    const seed = Date.now() % 1_000_000;
    console.log(`fuzz-kafka: seed ${seed}`);
    const db = await freshDatabase();
    const brokers = inject('kafkaBrokers');
    const result = await runKafkaCampaign({
      db: db.pool,
      brokers,
      messages: 1500,
      partitions: 3,
      seed,
      badRatio: 0.4,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      timeoutMs: 90_000,
      log: () => {},
      startWorker: async ({ groupId, deadLetterTopic }) => {
        const w = await startWorker({
          databaseUrl: db.url,
          brokers,
          groupId,
          deadLetterTopic,
          name: 'fuzz',
          env: {
            ETL_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
            ETL_BATCH_MAX_ROWS: '500',
            ETL_STALL_AFTER_MS: '5000',
          },
        });
        return {
          readyz: () => w.readyz(),
          metrics: async () => (await w.get('/metrics')).text,
          alive: () => w.exit === null,
        };
      },
    });
    const { by_kind: byKind, examples, ...counts } = result;
    if (!result.ok) console.error(JSON.stringify({ counts, examples }, null, 2));
    expect(examples).toEqual([]);
    expect(counts).toMatchObject({
      reached_end_offsets: true,
      checksum_matches: true,
      good_not_loaded: 0,
      good_dead_lettered: 0,
      bad_not_dead_lettered: 0,
      bad_with_unexpected_code: 0,
      dead_letters_without_reason: 0,
      stalled_samples: 0,
      worker_alive: true,
      ok: true,
    });
    expect(counts.rows_loaded).toBe(counts.good);
    expect(counts.good + counts.bad).toBe(1500);
    // every bad kind was sent (and so dead-lettered)
    const badKinds = Object.keys(byKind).filter((k) => !k.startsWith('good'));
    expect(badKinds.length).toBe(BAD_MAKERS.length);
    expect(counts.stored_offsets).toEqual(counts.end_offsets);
  }, 180_000);
});
