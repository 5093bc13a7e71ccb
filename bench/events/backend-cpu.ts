/**
 * CPU spent by the Postgres backends that serve one application (by `application_name`) in one
 * database: the database's share of a figure such as CPU per event, which the engine's own
 * process CPU leaves out. Read from /proc, so only for a Postgres on this machine (null
 * otherwise). Backends are sampled while the work runs; one that ends keeps its last reading, one
 * that starts after `start()` counts from zero.
 */
import fs from 'node:fs';
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { cpuSeconds } from '../ingest/proc.ts';

export class BackendCpu {
  private readonly base = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private local = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly application: string,
  ) {}

  private async sample(into: Map<number, number>): Promise<void> {
    const { rows } = await query<{ pid: number }>(
      this.pool,
      sql`SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = ${sql.value(this.application)}`,
    );
    for (const { pid } of rows) {
      if (!fs.existsSync(`/proc/${pid}`)) {
        this.local = false;
        continue;
      }
      const cpu = cpuSeconds(pid); // 0 when it ended meanwhile: keep its last reading
      if (cpu > 0) into.set(pid, cpu);
    }
  }

  /** Take the baseline and sample every `everyMs` until `stop()`. */
  async start(everyMs = 250): Promise<void> {
    this.base.clear();
    this.last.clear();
    this.local = true;
    await this.sample(this.base);
    this.timer = setInterval(() => void this.sample(this.last).catch(() => {}), everyMs);
  }

  /** CPU seconds since `start()`, or null when the backends are not on this machine. */
  async stop(): Promise<number | null> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sample(this.last);
    if (!this.local) return null;
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.base.get(pid) ?? 0);
    return total;
  }
}
