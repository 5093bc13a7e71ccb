/**
 * Event-driven wake-ups (beyond Hasura): one connection LISTENs on the channel the ETL worker
 * notifies inside each batch transaction (so a notification arrives when, and only if, the batch
 * commits), with the change notice of `@streamsync/database` (`database/src/change-notice.ts`):
 * the tables written and, per table, the series written. Notifications arriving within
 * STREAMSYNC_ENGINE_EVENT_DEBOUNCE_MS are merged, then the pollers that read those tables (only
 * the cohorts of those series, when a poller pins the series) poll at once. An unreadable payload
 * wakes everything. The connection reconnects with capped backoff; while it is down, and once
 * after it is back, the interval polls carry on as the safety net (they never stop).
 */
import pg from 'pg';
import type pino from 'pino';
import {
  ChangeNoticeError,
  decodeChangeNotice,
  query,
  sql,
  type ChangeNotice,
} from '@streamsync/database';
import type { SubscriptionMetrics } from './metrics.ts';
import type { Changes } from './state.ts';

export interface WakeupOptions {
  connectionString: string;
  channel: string;
  debounceMs: number;
  log: pino.Logger;
  metrics: SubscriptionMetrics;
  /** `notifiedAt`: when the first of the merged notifications arrived (epoch ms) */
  wake(changes: Changes | null, notifiedAt: number): void;
}

/**
 * Read a notification payload (the worker's change notice, `@streamsync/database`); null means
 * "treat as: everything changed", for a payload that is missing or not a notice this engine reads.
 */
export function parseChanges(payload: string | undefined): Changes | null {
  if (!payload) return null;
  const notice = readNotice(payload);
  if (!notice) return null;
  const out: Changes = new Map();
  for (const t of notice.tables) {
    const ids = notice.series[t];
    out.set(t, ids ? new Set(ids.map((x) => String(x))) : null);
  }
  return out;
}

function readNotice(payload: string): ChangeNotice | null {
  try {
    return decodeChangeNotice(payload);
  } catch (err) {
    if (err instanceof ChangeNoticeError) return null;
    throw err;
  }
}

/** Merge b into a (null absorbs everything). */
export function mergeChanges(a: Changes | null, b: Changes | null): Changes | null {
  if (a === null || b === null) return null;
  for (const [t, ids] of b) {
    const prev = a.get(t);
    if (prev === undefined) a.set(t, ids === null ? null : new Set(ids));
    else if (prev === null || ids === null) a.set(t, null);
    else for (const id of ids) prev.add(id);
  }
  return a;
}

export class WakeupListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs = 100;
  private retryTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pending: Changes | null | undefined = undefined;
  /** when the first notification of `pending` arrived (epoch ms) */
  private pendingSince = 0;
  /** connected and listening */
  listening = false;
  /** how many times the LISTEN connection was (re)established */
  connects = 0;

  constructor(private readonly opts: WakeupOptions) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.opts.connectionString,
      application_name: 'streamsync-engine-wakeups',
      keepAlive: true,
    });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel !== this.opts.channel) return;
      this.opts.metrics.notifications.inc();
      this.enqueue(parseChanges(n.payload));
    });
    const lost = (e?: unknown) => {
      if (this.client !== client) return;
      this.client = null;
      this.listening = false;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.stopped) return;
      this.opts.log.warn(
        { err: e, retryInMs: this.backoffMs },
        'wake-up connection lost; polling carries on',
      );
      this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await query(client, sql`LISTEN ${sql.ident(this.opts.channel)}`);
    } catch (e) {
      lost(e);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.listening = true;
    this.connects++;
    this.backoffMs = 100;
    // changes may have been missed while disconnected: poll everything once
    this.enqueue(null);
  }

  private enqueue(changes: Changes | null): void {
    if (this.pending === undefined) this.pendingSince = performance.timeOrigin + performance.now();
    this.pending = this.pending === undefined ? changes : mergeChanges(this.pending, changes);
    if (this.flushTimer) return;
    const flush = () => {
      this.flushTimer = null;
      const c = this.pending;
      this.pending = undefined;
      if (c !== undefined) this.opts.wake(c, this.pendingSince);
    };
    if (this.opts.debounceMs === 0) flush();
    else this.flushTimer = setTimeout(flush, this.opts.debounceMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const c = this.client;
    this.client = null;
    this.listening = false;
    if (c) await c.end().catch(() => {});
  }
}
