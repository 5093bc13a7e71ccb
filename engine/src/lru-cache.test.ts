import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.ts';

describe('Engine > Bounded cache', () => {
  it('should keep at most its bound, evicting what was not read since it was last looked at', () => {
    const c = new LruCache<string, number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    c.set('d', 4); // every entry was new: the oldest goes
    expect([c.get('a'), c.size]).toEqual([undefined, 3]);
    expect(c.get('b')).toBe(2);
    c.set('e', 5);
    c.set('f', 6);
    // b was read and kept; c and d, not read since, went before it
    expect(['b', 'c', 'd', 'e', 'f'].map((k) => c.get(k))).toEqual([2, undefined, undefined, 5, 6]);
    expect(c.size).toBe(3);
  });

  it('should never evict an entry to make room for itself, and keep nothing with a bound of 0', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.get('b');
    c.set('c', 3);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
    c.set('c', 4); // replacing a value keeps one entry
    expect([c.get('c'), c.size]).toEqual([4, 2]);
    const none = new LruCache<string, number>(0);
    none.set('a', 1);
    expect([none.get('a'), none.size]).toEqual([undefined, 0]);
  });
});
