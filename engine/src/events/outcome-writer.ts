/**
 * Recording the outcome of webhook calls for events: the invocation log row, `tries + 1`, and
 * delivered / failed for good / the next retry, with the lock released — in one statement per
 * group of outcomes instead of a transaction per event, so that a busy engine spends one round
 * trip on a couple of hundred deliveries rather than hundreds. A caller's promise settles once its outcome is
 * committed; an engine that dies before that leaves the event undelivered, to be sent again.
 */
import type pg from 'pg';
import type pino from 'pino';
import { query, sql } from '@streamsync/database';

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
    // one JSON document for the group, read back as rows: one round trip and one implicit
    // transaction (the invocation logs and the event updates commit together or not at all),
    // where BEGIN / INSERT / UPDATE / COMMIT took four, and no per-value array escaping
    const rows = batch.map(({ outcome: o }) => ({
      event_id: o.eventId,
      trigger_name: o.trigger,
      status: o.status,
      request: o.request,
      response: o.response,
      result: o.result,
      delay: o.retryInSeconds ?? 0,
    }));
    try {
      await query(
        this.pool,
        sql`WITH o AS (
              SELECT * FROM json_to_recordset(${sql.value(JSON.stringify(rows), 'json')})
                AS o(event_id text, trigger_name text, status int, request json, response json,
                     result text, delay float8)
            ), logged AS (
              INSERT INTO hdb_catalog.event_invocation_logs (event_id, trigger_name, status, request, response)
              SELECT event_id, trigger_name, status, request, response FROM o
            )
            UPDATE hdb_catalog.event_log e
               SET tries = e.tries + 1, delivered = o.result = 'delivered', error = o.result = 'failed',
                   next_retry_at = CASE WHEN o.result = 'retry'
                                        THEN (now() + make_interval(secs => o.delay))::timestamp END,
                   locked = NULL
              FROM o
             WHERE e.id = o.event_id`,
      );
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
