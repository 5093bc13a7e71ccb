/**
 * `rate_limit`: GraphQL operations per minute per client, counted over a sliding window of one
 * minute as Hasura's docs describe it. A client is the role plus its `unique_params` (the IP
 * address, or the values of the named session variables). The window is approximated the usual
 * way — this minute's count plus last minute's, weighted by how much of it still lies in the
 * window — so each client costs two numbers, however many requests it sends.
 *
 * Counts live in this process: several engines behind a load balancer each allow the limit
 * (Hasura's editions share them through Redis).
 */
import type { RateLimitConfig } from '../metadata/api-limits.ts';

interface Window {
  minute: number;
  current: number;
  previous: number;
}

const MINUTE_MS = 60_000;

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly now: () => number = Date.now,
    /** clients remembered before idle ones are forgotten */
    private readonly maxClients = 100_000,
  ) {}

  /** The client's key: role, then the IP or the named session variables. */
  static key(
    config: RateLimitConfig,
    role: string,
    ip: string | undefined,
    session: Record<string, string>,
  ): string {
    if (config.unique_params === 'IP') return `${role}\u0000ip\u0000${ip ?? ''}`;
    if (Array.isArray(config.unique_params))
      return [role, 'vars', ...config.unique_params.map((v) => session[v] ?? '')].join('\u0000');
    return `${role}\u0000role`;
  }

  /**
   * Count `n` operations for `key`; false (and nothing counted) when they would take the client
   * past `maxPerMinute`.
   */
  take(key: string, maxPerMinute: number, n = 1): boolean {
    const t = this.now();
    const minute = Math.floor(t / MINUTE_MS);
    let w = this.windows.get(key);
    if (!w) {
      if (this.windows.size >= this.maxClients) this.forgetIdle(minute);
      w = { minute, current: 0, previous: 0 };
      this.windows.set(key, w);
    } else if (w.minute !== minute) {
      w.previous = w.minute === minute - 1 ? w.current : 0;
      w.current = 0;
      w.minute = minute;
    }
    const elapsed = (t - minute * MINUTE_MS) / MINUTE_MS;
    const inWindow = w.previous * (1 - elapsed) + w.current;
    if (inWindow + n > maxPerMinute) return false;
    w.current += n;
    return true;
  }

  private forgetIdle(minute: number): void {
    for (const [k, w] of this.windows) if (w.minute < minute - 1) this.windows.delete(k);
    // everyone active: forget the oldest half rather than grow without bound
    if (this.windows.size >= this.maxClients) {
      let drop = this.windows.size / 2;
      for (const k of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(k);
      }
    }
  }
}
