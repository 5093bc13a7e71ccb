import { describe, expect, it } from 'vitest';
import { SeriesStore, toNumber } from './series-store';

const at = (s: number) => new Date(s * 1000).toISOString();

describe('Web > Stream > series store', () => {
  it('should read numbers from numbers and numeric strings', () => {
    expect(toNumber(1.5)).toBe(1.5);
    expect(toNumber('12.50000000')).toBe(12.5);
    expect(toNumber(null)).toBeNull();
    expect(toNumber('x')).toBeNull();
  });

  it('should append in order and insert late points in place', () => {
    const s = new SeriesStore(['v'], 'ts');
    s.append([
      { ts: at(1), v: 1 },
      { ts: at(3), v: 3 },
    ]);
    s.append([
      { ts: at(2), v: 2 },
      { ts: at(4), v: null },
    ]);
    expect(s.data.x).toEqual([1, 2, 3, 4]);
    expect(s.data.y.v).toEqual([1, 2, 3, null]);
  });

  it('should trim to a window and to its point budget', () => {
    const s = new SeriesStore(['v'], 'ts', 5);
    s.append(Array.from({ length: 8 }, (_, i) => ({ ts: at(i), v: i })));
    expect(s.data.x).toEqual([3, 4, 5, 6, 7]);
    s.trimBefore(6);
    expect(s.data.x).toEqual([6, 7]);
    expect(s.data.y.v).toEqual([6, 7]);
  });

  it('should change its version only when data changes', () => {
    const s = new SeriesStore(['v'], 'ts');
    const v0 = s.version;
    s.append([]);
    expect(s.version).toBe(v0);
    s.append([{ ts: at(1), v: 1 }]);
    expect(s.version).toBe(v0 + 1);
  });
});
