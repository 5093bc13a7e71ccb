/**
 * A small LRU map, shared by the request path's caches: compiled plans per engine state
 * (execute/) and verified tokens per JWT key (auth/). It sits at the bottom layer so both can use it.
 */

/** A small LRU map: Map keeps insertion order, so the first key is the least recently used. */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.max <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }

  get size(): number {
    return this.map.size;
  }
}
