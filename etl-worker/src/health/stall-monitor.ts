/**
 * Stalls made visible. Every few seconds, for each partition this member holds: how far the
 * stored offset (etl.consumer_offsets, committed with the rows) is behind the broker's high
 * watermark, read from the broker itself (admin fetchTopicOffsets), never from the worker's own
 * record — a worker stuck on one offset used to store that offset as the high watermark and report
 * a lag of 0. A partition that is behind and whose stored offset has not moved for
 * ETL_STALL_AFTER_MS is stalled: /readyz reports it (partition, pipelines, last error), the
 * metrics say so, and its row in etl.consumer_offsets gets `stalled_since` and `last_error` (with
 * the broker's high watermark), which the dashboard shows. The next commit of the partition clears
 * both.
 */
import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import type pino from 'pino';
import { encodeChangeNotice, query, sql, transaction } from '@streamsync/database';
import type { WorkerMetrics } from '../ops/metrics.ts';
import { diagnosticText } from '../pipeline/strings.ts';

export interface StalledPartition {
  topic: string;
  partition: number;
  pipelines: string[];
  /** messages between the stored offset and the broker's high watermark */
  behind: number;
  /** the stored offset has not moved since */
  since: string;
  lastError: string | null;
}

export interface StallMonitorOptions {
  kafka: Kafka;
  pool: pg.Pool;
  groupId: string;
  stallAfterMs: number;
  notifyChannel: string;
  metrics: WorkerMetrics;
  log: pino.Logger;
  /** the partitions this member holds now, topic → partitions */
  assigned(): ReadonlyMap<string, readonly number[]>;
  /** the last failure of a partition since its last commit ("topic:partition") */
  lastError(key: string): string | null;
  /** the pipelines a topic feeds */
  pipelinesOf(topic: string): string[];
  /** stored next offsets of the group, "topic:partition" → offset */
  storedOffsets(topics: string[]): Promise<Map<string, number>>;
}

interface Tracked {
  topic: string;
  partition: number;
  next: number;
  high: number;
  advancedAt: number;
  stalled: boolean;
}

export class StallMonitor {
  private readonly tracked = new Map<string, Tracked>();
  private admin: Admin | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly o: StallMonitorOptions) {}

  /** how often the broker and the stored offsets are compared: a third of the stall time, ≤ 5 s */
  get intervalMs(): number {
    return Math.max(250, Math.min(5000, Math.floor(this.o.stallAfterMs / 3)));
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick()
        .catch((err: Error) => this.o.log.debug({ err }, 'stall check failed; next time'))
        .finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.admin?.disconnect().catch(() => {});
    this.admin = null;
  }

  /** Stalled partitions as of the last check. */
  stalled(): StalledPartition[] {
    const out: StalledPartition[] = [];
    for (const [key, t] of this.tracked) {
      if (!t.stalled) continue;
      out.push({
        topic: t.topic,
        partition: t.partition,
        pipelines: this.o.pipelinesOf(t.topic),
        behind: t.high - t.next,
        since: new Date(t.advancedAt).toISOString(),
        lastError: this.o.lastError(key),
      });
    }
    return out;
  }

  /** One comparison of the stored offsets with the broker's. */
  async tick(now = Date.now()): Promise<void> {
    const assigned = this.o.assigned();
    const m = this.o.metrics;
    for (const [key, t] of this.tracked) {
      if (!assigned.get(t.topic)?.includes(t.partition)) {
        this.tracked.delete(key);
        this.forget(t);
      }
    }
    if (assigned.size === 0) {
      m.stalledPartitions.set(0);
      return;
    }
    if (!this.admin) {
      const admin = this.o.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const topics = [...assigned.keys()];
    const stored = await this.o.storedOffsets(topics);
    const updates: Array<{ t: Tracked; lastError: string | null }> = [];
    for (const topic of topics) {
      let offsets;
      try {
        offsets = await this.admin.fetchTopicOffsets(topic);
      } catch (err) {
        await this.admin.disconnect().catch(() => {});
        this.admin = null;
        throw err;
      }
      const byPartition = new Map(offsets.map((p) => [p.partition, p]));
      for (const partition of assigned.get(topic)!) {
        const broker = byPartition.get(partition);
        if (!broker) continue;
        const key = `${topic}:${partition}`;
        const stored_ = stored.get(key);
        const next = stored_ ?? Number(broker.low);
        const high = Number(broker.high);
        const prev = this.tracked.get(key);
        const behind = Math.max(0, high - next);
        const advancedAt = !prev || prev.next !== next || behind === 0 ? now : prev.advancedAt;
        const t: Tracked = {
          topic,
          partition,
          next,
          high,
          advancedAt,
          stalled: behind > 0 && now - advancedAt >= this.o.stallAfterMs,
        };
        this.tracked.set(key, t);
        m.lag.set({ topic, partition: String(partition) }, behind);
        for (const pipeline of this.o.pipelinesOf(topic)) {
          m.stalled.set({ topic, partition: String(partition), pipeline }, t.stalled ? 1 : 0);
        }
        if (t.stalled && !prev?.stalled) {
          this.o.log.error(
            {
              topic,
              partition,
              behind,
              since: new Date(advancedAt).toISOString(),
              lastError: this.o.lastError(key),
            },
            'partition stalled: behind the broker and not advancing',
          );
        }
        if (stored_ !== undefined) {
          const e = this.o.lastError(key);
          updates.push({ t, lastError: e === null ? null : diagnosticText(e).slice(0, 2000) });
        }
      }
    }
    m.stalledPartitions.set([...this.tracked.values()].filter((t) => t.stalled).length);
    if (updates.length > 0) await this.record(updates);
  }

  private forget(t: Tracked): void {
    const partition = String(t.partition);
    this.o.metrics.lag.remove({ topic: t.topic, partition });
    for (const pipeline of this.o.pipelinesOf(t.topic)) {
      this.o.metrics.stalled.remove({ topic: t.topic, partition, pipeline });
    }
  }

  /**
   * The broker's high watermark and the stall state into etl.consumer_offsets, for the dashboard.
   * A batch transaction holds a partition's row locked while it writes; this waits for none
   * (lock_timeout) and tries again next time. `updated_at` stays the time of the last commit.
   */
  private async record(updates: Array<{ t: Tracked; lastError: string | null }>): Promise<void> {
    const payload = encodeChangeNotice({ tables: ['etl.consumer_offsets'], series: {} });
    await transaction(this.o.pool, async (client) => {
      await query(client, sql`SET LOCAL lock_timeout = '200ms'`);
      await query(
        client,
        sql`WITH u AS (
              SELECT * FROM unnest(${sql.value(
                updates.map((u) => u.t.topic),
                'text[]',
              )},
                                   ${sql.value(
                                     updates.map((u) => u.t.partition),
                                     'int4[]',
                                   )},
                                   ${sql.value(
                                     updates.map((u) => u.t.high),
                                     'int8[]',
                                   )},
                                   ${sql.value(
                                     updates.map((u) =>
                                       u.t.stalled ? new Date(u.t.advancedAt).toISOString() : null,
                                     ),
                                     'timestamptz[]',
                                   )},
                                   ${sql.value(
                                     updates.map((u) => u.lastError),
                                     'text[]',
                                   )})
                       AS u(topic, partition, high, stalled_since, last_error)
            ), changed AS (
              UPDATE etl.consumer_offsets o
                 SET high_watermark = greatest(o.high_watermark, u.high),
                     stalled_since = u.stalled_since,
                     last_error = u.last_error
                FROM u
               WHERE o.consumer_group = ${sql.value(this.o.groupId)}
                 AND o.topic = u.topic AND o.partition = u.partition
                 AND (o.high_watermark IS DISTINCT FROM greatest(o.high_watermark, u.high)
                      OR o.stalled_since IS DISTINCT FROM u.stalled_since
                      OR o.last_error IS DISTINCT FROM u.last_error)
              RETURNING 1
            )
            SELECT pg_notify(${sql.value(this.o.notifyChannel)}, ${sql.value(payload)})
             WHERE EXISTS (SELECT 1 FROM changed)`,
      );
    });
  }
}
