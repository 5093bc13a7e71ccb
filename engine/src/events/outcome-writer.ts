/**
 * Recording the outcome of webhook calls for events: the invocation log row, `tries + 1`, and
 * delivered / failed for good / the next retry, with the lock released — in one transaction per
 * group of outcomes instead of one per event, so that a busy engine spends two statements on a
 * hundred deliveries rather than two hundred. A caller's promise settles once its outcome is
 * committed; an engine that dies before that leaves the event undelivered, to be sent again.
 */
import type pg from 'pg';
import type pino from 'pino';
import { query, sql, transaction } from '@streamsync/database';

export interface EventOutcome {
  eventId: string;
  trigger: string;
  status: number | null;
  request: unknown;
  response: unknown;
  /** `delivered`: a 2xx answer; `failed`: no tries left; else retried after `retryInSeconds`. */
  result: 'delivered' | 'failed' | 'retry';
  retryInSeconds?: number;
}

interface Pending {
  outcome: EventOutcome;
  resolve(): void;
  reject(e: unknown): void;
}

export class OutcomeWriter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    /** Most outcomes written together. */
    private readonly maxBatch = 200,
    /** Longest an outcome waits for others to join it, ms. */
    private readonly maxDelayMs = 10,
  ) {}

  write(outcome: EventOutcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ outcome, resolve, reject });
      if (this.queue.length >= this.maxBatch) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.maxDelayMs);
    });
  }

  /** Write everything queued (waits for a write in progress first). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing) await this.flushing;
    const batch = this.queue.splice(0, this.maxBatch);
    if (!batch.length) return;
    this.flushing = this.commit(batch).finally(() => {
      this.flushing = null;
      if (this.queue.length) this.timer ??= setTimeout(() => void this.flush(), 0);
    });
    await this.flushing;
  }

  private async commit(batch: Pending[]): Promise<void> {
    const o = batch.map((p) => p.outcome);
    try {
      await transaction(this.pool, async (client) => {
        await query(
          client,
          sql`INSERT INTO hdb_catalog.event_invocation_logs (event_id, trigger_name, status, request, response)
              SELECT * FROM unnest(${sql.value(
                o.map((x) => x.eventId),
                'text[]',
              )}, ${sql.value(
                o.map((x) => x.trigger),
                'text[]',
              )}, ${sql.value(
                o.map((x) => x.status),
                'int[]',
              )}, ${sql.value(
                o.map((x) => JSON.stringify(x.request)),
                'json[]',
              )}, ${sql.value(
                o.map((x) => JSON.stringify(x.response)),
                'json[]',
              )})`,
        );
        await query(
          client,
          sql`UPDATE hdb_catalog.event_log e
                 SET tries = e.tries + 1, delivered = u.result = 'delivered', error = u.result = 'failed',
                     next_retry_at = CASE WHEN u.result = 'retry'
                                          THEN (now() + make_interval(secs => u.delay))::timestamp END,
                     locked = NULL
                FROM unnest(${sql.value(
                  o.map((x) => x.eventId),
                  'text[]',
                )}, ${sql.value(
                  o.map((x) => x.result),
                  'text[]',
                )}, ${sql.value(
                  o.map((x) => x.retryInSeconds ?? 0),
                  'float8[]',
                )}) AS u(id, result, delay)
               WHERE e.id = u.id`,
        );
      });
      for (const p of batch) p.resolve();
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }
}

/** One log line per attempt: debug when delivered, warn when it failed (and whether for good). */
export function logAttempt(
  log: pino.Logger,
  what: 'event' | 'scheduled event',
  ok: boolean,
  final: boolean,
  fields: Record<string, unknown>,
): void {
  if (ok) log.debug(fields, `${what} delivered`);
  else
    log.warn(
      { ...fields, final },
      final ? `${what} failed for good` : `${what} failed, will retry`,
    );
}
