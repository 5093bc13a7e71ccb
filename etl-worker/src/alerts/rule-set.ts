/**
 * Which (stream, metric) pairs have at least one enabled alert rule: all the write path needs to
 * know to skip evaluation entirely for a batch no rule looks at. Loaded from public.alert_rules,
 * reloaded when its trigger notifies `streamsync_alert_rules`, and polled as a safety net for a
 * lost notification (a rule applies to the points loaded after the worker learns of it: within
 * milliseconds normally, at most the poll interval).
 */
import type pg from 'pg';
import type pino from 'pino';
import { query, sql } from '@streamsync/database';
import { listenForever } from '../ops/listen.ts';

export const ALERT_RULES_CHANNEL = 'streamsync_alert_rules';

export interface AlertRuleSetOptions {
  pool: pg.Pool;
  connectionString: string;
  pollMs: number;
  log: pino.Logger;
}

export class AlertRuleSet {
  /** target table → metrics some enabled rule watches */
  private watched = new Map<string, Set<string>>();
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;

  constructor(private readonly opts: AlertRuleSetOptions) {}

  /** The metrics of `table` that rules watch, or undefined when none does. */
  metricsFor(table: string): ReadonlySet<string> | undefined {
    return this.watched.get(table);
  }

  get size(): number {
    let n = 0;
    for (const m of this.watched.values()) n += m.size;
    return n;
  }

  async reload(): Promise<void> {
    const { rows } = await query<{ stream: string; metric: string }>(
      this.opts.pool,
      sql`SELECT DISTINCT stream, metric FROM public.alert_rules WHERE enabled`,
    );
    const next = new Map<string, Set<string>>();
    for (const r of rows) {
      let set = next.get(r.stream);
      if (!set) next.set(r.stream, (set = new Set()));
      set.add(r.metric);
    }
    this.watched = next;
  }

  /** The first load (throws when Postgres cannot be read), then LISTEN and the poll. */
  async start(): Promise<void> {
    await this.reload();
    if (this.started) return;
    this.started = true;
    this.stopListening = listenForever({
      connectionString: this.opts.connectionString,
      channel: ALERT_RULES_CHANNEL,
      applicationName: 'streamsync-etl-alert-rules',
      onNotify: () => void this.reloadQuietly(),
      onListening: () => void this.reloadQuietly(),
    });
    if (this.opts.pollMs > 0) {
      this.timer = setInterval(() => void this.reloadQuietly(), this.opts.pollMs);
      this.timer.unref();
    }
  }

  private async reloadQuietly(): Promise<void> {
    try {
      await this.reload();
    } catch (err) {
      this.opts.log.warn({ err }, 'alert rules: reload failed, keeping the previous set');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.stopListening?.();
  }
}
