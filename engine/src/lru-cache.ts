/**
 * A small bounded cache, shared by the request path's caches: compiled plans per engine state
 * (execute/) and verified tokens per JWT key (auth/). It sits at the bottom layer so both can use it.
 */

interface Entry<V> {
  value: V;
  /** read since it was inserted or last given its second chance */
  used: boolean;
}

/**
 * A bounded map that evicts what was not read recently: least recently used first, approximated
 * as CLOCK ("second chance") does it. A read only marks its entry (one map lookup: this sits on
 * every request's path, twice, so it must not re-insert the key as an exact LRU would); when the
 * map is over its bound, the oldest entries that were read since they were last looked at move to
 * the back once, and the first that was not is evicted.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  set(key: K, value: V): void {
    if (this.max <= 0) return;
    this.map.delete(key);
    // a new entry counts as read: it is not the one evicted to make room for itself
    this.map.set(key, { value, used: true });
    while (this.map.size > this.max) {
      const [oldest, e] = this.map.entries().next().value as [K, Entry<V>];
      this.map.delete(oldest);
      if (e.used) {
        e.used = false;
        this.map.set(oldest, e);
      }
    }
  }

  get size(): number {
    return this.map.size;
  }
}
