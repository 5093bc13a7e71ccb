import { describe, expect, it } from 'vitest';
import { RollupMerger } from './rollups';

const b = (
  minute: number,
  metric: string,
  count: number,
  sum: number,
  min: number,
  max: number,
) => ({
  bucket: new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString(),
  metric,
  count,
  sum,
  min,
  max,
  last: max,
});

describe('Web > Stream > rollups', () => {
  it('should replace a bucket the live query sends again', () => {
    const m = new RollupMerger(['t']);
    m.merge([b(0, 't', 2, 10, 4, 6), b(1, 't', 1, 7, 7, 7)]);
    m.merge([b(1, 't', 2, 16, 7, 9)]);
    expect(m.chartRows()).toEqual([
      { ts: '2024-01-01T00:00:00.000Z', t: 5 },
      { ts: '2024-01-01T00:01:00.000Z', t: 8 },
    ]);
  });

  it('should aggregate a window from its buckets', () => {
    const m = new RollupMerger(['t', 'h']);
    m.merge([
      b(0, 't', 2, 10, 4, 6),
      b(1, 't', 2, 16, 7, 9),
      b(0, 'h', 1, 50, 50, 50),
      b(0, 'x', 9, 9, 9, 9),
    ]);
    expect(m.aggregate()).toEqual({
      count: 4,
      avg: { t: 6.5, h: 50 },
      min: { t: 4, h: 50 },
      max: { t: 9, h: 50 },
    });
  });

  it('should prefer the computed avg and leave gaps for missing metrics', () => {
    const m = new RollupMerger(['t', 'h']);
    m.merge([{ ...b(0, 't', 2, 10, 4, 6), avg: 4.5 }]);
    expect(m.chartRows()).toEqual([{ ts: '2024-01-01T00:00:00.000Z', t: 4.5, h: null }]);
    m.trimBefore(Date.UTC(2024, 0, 1, 0, 1));
    expect(m.chartRows()).toEqual([]);
  });
});
