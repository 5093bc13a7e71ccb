/**
 * Where `@cached` query answers are kept (execute/query-cache.ts decides what and for how long):
 * a bounded in-process LRU, or Redis when HASURA_GRAPHQL_REDIS_URL is set (redis.ts), so that
 * several engine processes share one cache. A store that fails never fails a request: the query
 * runs as if uncached.
 */
export interface CachedAnswer {
  /** the response body's JSON text */
  body: string;
  /** seconds it still lives */
  ttl: number;
}

export interface QueryCacheStore {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CachedAnswer | null>;
  set(key: string, body: string, ttlSeconds: number): Promise<void>;
  close(): Promise<void>;
}

/** At most `maxEntries` answers and `maxBytes` of body text, the least recently used go first. */
export class MemoryQueryCache implements QueryCacheStore {
  readonly kind = 'memory' as const;
  /** insertion order is recency: a read moves its entry to the end */
  private readonly entries = new Map<string, { body: string; expires: number }>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<CachedAnswer | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    const left = e.expires - this.now();
    this.remove(key);
    if (left <= 0) return null;
    this.entries.set(key, e);
    this.bytes += e.body.length;
    return { body: e.body, ttl: Math.ceil(left / 1000) };
  }

  async set(key: string, body: string, ttlSeconds: number): Promise<void> {
    this.remove(key);
    // an answer larger than the whole budget is not kept
    if (this.maxEntries <= 0 || body.length > this.maxBytes) return;
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.maxEntries || this.bytes + body.length > this.maxBytes)
    )
      this.remove(this.entries.keys().next().value as string);
    this.entries.set(key, { body, expires: this.now() + ttlSeconds * 1000 });
    this.bytes += body.length;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.bytes -= e.body.length;
  }

  async close(): Promise<void> {}
}
