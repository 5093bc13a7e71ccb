/**
 * Prometheus metrics of the worker. Counters are the truth (rate() over them gives rows/s);
 * `etl_rows_per_second` is the same over the last 10 s, for a glance without a Prometheus.
 */
import client from 'prom-client';

export class WorkerMetrics {
  readonly registry = new client.Registry();
  readonly rows: client.Counter<'pipeline'>;
  readonly messages: client.Counter<'topic'>;
  readonly deadLetters: client.Counter<'pipeline' | 'code'>;
  readonly skipped: client.Counter<'pipeline' | 'reason'>;
  readonly alreadyLoaded: client.Counter<'topic'>;
  readonly retries: client.Counter<'kind'>;
  readonly batchSeconds: client.Histogram<'topic'>;
  readonly batchRows: client.Histogram;
  readonly lag: client.Gauge<'topic' | 'partition'>;
  readonly pipelines: client.Gauge<'state'>;
  readonly paused: client.Gauge;
  readonly splits: client.Counter<'topic'>;
  readonly rowSets: client.Counter<'pipeline' | 'path'>;
  readonly stalled: client.Gauge<'topic' | 'partition' | 'pipeline'>;
  readonly stalledPartitions: client.Gauge;
  readonly pipelinePaused: client.Gauge<'pipeline'>;
  readonly alertsNotified: client.Counter;
  private readonly window: Array<{ at: number; pipeline: string; rows: number }> = [];

  constructor() {
    const r = [this.registry];
    // the standard names (process_cpu_user_seconds_total, nodejs_heap_size_used_bytes), as every
    // Node exporter has them: the scrape's job label says which service they are of
    client.collectDefaultMetrics({ register: this.registry });
    this.alertsNotified = new client.Counter({
      name: 'etl_alerts_notified_total',
      help: 'Alerts received on /hooks/alert-fired (the alert_fired event trigger)',
      registers: r,
    });
    this.rows = new client.Counter({
      name: 'etl_rows_loaded_total',
      help: 'Rows written to target tables',
      labelNames: ['pipeline'],
      registers: r,
    });
    this.messages = new client.Counter({
      name: 'etl_messages_total',
      help: 'Kafka messages consumed and committed to Postgres',
      labelNames: ['topic'],
      registers: r,
    });
    this.deadLetters = new client.Counter({
      name: 'etl_dead_letters_total',
      help: 'Messages sent to the dead-letter topic',
      labelNames: ['pipeline', 'code'],
      registers: r,
    });
    this.skipped = new client.Counter({
      name: 'etl_messages_skipped_total',
      help: 'Messages left out by a declaration (filters, dropped late points)',
      labelNames: ['pipeline', 'reason'],
      registers: r,
    });
    this.alreadyLoaded = new client.Counter({
      name: 'etl_messages_already_loaded_total',
      help: 'Redelivered messages the offset fence dropped (loaded by an earlier transaction)',
      labelNames: ['topic'],
      registers: r,
    });
    this.retries = new client.Counter({
      name: 'etl_retries_total',
      help: 'Retries after transient failures, by kind (postgres, kafka, table)',
      labelNames: ['kind'],
      registers: r,
    });
    this.batchSeconds = new client.Histogram({
      name: 'etl_batch_duration_seconds',
      help: 'Time to decode and commit one chunk',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.batchRows = new client.Histogram({
      name: 'etl_batch_messages',
      help: 'Messages per committed chunk',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000],
      registers: r,
    });
    this.lag = new client.Gauge({
      name: 'etl_consumer_lag',
      help: "Messages behind the broker's high watermark, per partition",
      labelNames: ['topic', 'partition'],
      registers: r,
    });
    this.pipelines = new client.Gauge({
      name: 'etl_pipelines',
      help: 'Pipelines by state (running, rejected, disabled, waiting)',
      labelNames: ['state'],
      registers: r,
    });
    this.paused = new client.Gauge({
      name: 'etl_paused_partitions',
      help: 'Partitions paused for back-pressure or a broken target table',
      registers: r,
    });
    this.splits = new client.Counter({
      name: 'etl_chunk_splits_total',
      help: 'Chunks split in two to find the messages a data failure is about',
      labelNames: ['topic'],
      registers: r,
    });
    this.rowSets = new client.Counter({
      name: 'etl_row_sets_total',
      help: 'Row sets written (one per pipeline per chunk attempt) by path: copy, copy_conflict (a key already stored: undone and sent to insert), insert',
      labelNames: ['pipeline', 'path'],
      registers: r,
    });
    this.stalled = new client.Gauge({
      name: 'etl_partition_stalled',
      help: 'Partitions behind the broker that have not advanced for ETL_STALL_AFTER_MS (1 = stalled)',
      labelNames: ['topic', 'partition', 'pipeline'],
      registers: r,
    });
    this.stalledPartitions = new client.Gauge({
      name: 'etl_stalled_partitions',
      help: 'Partitions of this worker stalled now',
      registers: r,
    });
    this.pipelinePaused = new client.Gauge({
      name: 'etl_pipeline_paused',
      help: 'Pipelines paused by a failure that is not the data (1 = paused): a table, a grant',
      labelNames: ['pipeline'],
      registers: r,
    });
    const window = this.window;
    new client.Gauge({
      name: 'etl_rows_per_second',
      help: 'Rows written per second over the last 10 s',
      labelNames: ['pipeline'],
      registers: r,
      collect() {
        const since = Date.now() - 10_000;
        while (window.length > 0 && window[0]!.at < since) window.shift();
        const sums = new Map<string, number>();
        for (const w of window) sums.set(w.pipeline, (sums.get(w.pipeline) ?? 0) + w.rows);
        this.reset();
        for (const [p, n] of sums) this.set({ pipeline: p }, n / 10);
      },
    });
  }

  loaded(pipeline: string, rows: number): void {
    this.rows.inc({ pipeline }, rows);
    this.window.push({ at: Date.now(), pipeline, rows });
    if (this.window.length > 100_000) this.window.splice(0, 50_000);
  }
}
