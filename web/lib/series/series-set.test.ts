import { describe, expect, it } from 'vitest';
import { addPoint, type Agg } from './agg';
import { SeriesSet } from './series-set';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const row = (
  entity: number,
  ms: number,
  temperature: number,
  extra: Record<string, unknown> = {},
) => ({
  entity_id: entity,
  ts: new Date(ms).toISOString(),
  temperature,
  ...extra,
});

function raw() {
  return new SeriesSet({
    metrics: ['temperature'],
    timeField: 'ts',
    entityField: 'entity_id',
    widthMs: null,
    aggregate: 'avg',
  });
}

describe('Web > Series > merge', () => {
  it('should count a point once whether the stream, a resumed stream or the edge re-read brings it', () => {
    const s = raw();
    expect(s.addRows([row(1, T0, 1), row(1, T0 + 1000, 2)])).toBe(2);
    // the re-read of the recent edge returns the same rows (numbers as strings this time) and a new one
    expect(s.addRows([{ ...row(1, T0 + 1000, 2), entity_id: '1' }, row(1, T0 + 2000, 3)])).toBe(1);
    expect(s.duplicates).toBe(1);
    expect(s.chart('1', 'temperature', T0, T0 + 5000).y).toEqual([1, 2, 3]);
  });

  it('should tell how many distinct rows a window holds (what the edge re-read compares with the server)', () => {
    const s = raw();
    s.addRows([row(1, T0, 1), row(2, T0, 1), row(1, T0 + 1000, 2), row(1, T0 + 1000, 2)]);
    expect(s.rowsBetween(T0, T0 + 1000)).toBe(3);
    expect(s.rowsBetween(T0 + 1, T0 + 1000)).toBe(1);
    expect(s.rowsBetween(T0 + 2000, T0 + 9000)).toBe(0);
  });

  it('should put a late-committing point in its place (what a ts > cursor stream skips, the re-read finds)', () => {
    const s = raw();
    s.addRows([row(1, T0, 1), row(1, T0 + 3000, 4)]);
    s.addRows([row(1, T0 + 1000, 2), row(1, T0 + 2000, 3)]);
    const c = s.chart('1', 'temperature', T0, T0 + 5000);
    expect(c.x).toEqual([0, 1, 2, 3].map((i) => (T0 + i * 1000) / 1000));
    expect(c.y).toEqual([1, 2, 3, 4]);
  });

  it('should tell apart two points of one series at one instant by the key columns', () => {
    const s = new SeriesSet({
      metrics: ['price'],
      timeField: 'ts',
      entityField: 'entity_id',
      keyFields: ['trade_id'],
      widthMs: null,
      aggregate: 'last',
    });
    const t = new Date(T0).toISOString();
    s.addRows([
      { entity_id: 1, ts: t, trade_id: 'a', price: 10 },
      { entity_id: 1, ts: t, trade_id: 'b', price: 10 },
    ]);
    s.addRows([{ entity_id: 1, ts: t, trade_id: 'a', price: 10 }]);
    expect(s.chart('1', 'price', T0, T0).y).toEqual([10, 10]);
  });
});

describe('Web > Series > history joined to the live edge', () => {
  const W = 60_000;
  const bucket = (entity: string, start: number, values: number[]) => {
    let agg: Agg | undefined;
    values.forEach((v, i) => (agg = addPoint(agg, start + i * 1000, v)));
    return { entity, metric: 'temperature', bucketMs: start, agg: agg! };
  };

  it('should draw buckets before the boundary and every point after it, with no gap and no overlap', () => {
    const s = new SeriesSet({
      metrics: ['temperature'],
      timeField: 'ts',
      entityField: 'entity_id',
      widthMs: W,
      aggregate: 'avg',
    });
    const boundary = T0 + 2 * W;
    s.setHistory([bucket('1', T0, [1, 3]), bucket('1', T0 + W, [5, 7])], T0, boundary);
    // a point before the boundary is the history's (already in its bucket): not drawn twice
    s.addRows([row(1, boundary - 1000, 100), row(1, boundary, 10), row(1, boundary + 500, 11)]);
    const c = s.chart('1', 'temperature', T0, T0 + 3 * W);
    expect(c.x).toEqual([
      (T0 + W / 2) / 1000,
      (T0 + 1.5 * W) / 1000,
      boundary / 1000,
      (boundary + 500) / 1000,
    ]);
    expect(c.y).toEqual([2, 6, 10, 11]);
  });

  it('should fold points into buckets as the edge moves on, as the worker rolls them up', () => {
    const s = new SeriesSet({
      metrics: ['temperature'],
      timeField: 'ts',
      entityField: 'entity_id',
      widthMs: W,
      aggregate: 'max',
    });
    s.setHistory([], T0, T0);
    s.addRows([row(1, T0 + 1000, 4), row(1, T0 + 2000, 9), row(1, T0 + W + 1000, 1)]);
    s.advance(T0 + W + 30_000);
    expect(s.boundaryMs).toBe(T0 + W);
    expect(s.counts()).toEqual({ points: 1, buckets: 1 });
    const c = s.chart('1', 'temperature', T0, T0 + 2 * W);
    expect(c.y).toEqual([9, 1]);
    expect(s.summary('1', 'temperature', T0, T0 + 2 * W)).toMatchObject({
      count: 3,
      min: 1,
      max: 9,
      sum: 14,
      last: 1,
    });
  });

  it('should show the open bucket of a count from its points, and replace history on a re-read', () => {
    const s = new SeriesSet({
      metrics: ['temperature'],
      timeField: 'ts',
      entityField: 'entity_id',
      widthMs: W,
      aggregate: 'count',
    });
    s.setHistory([bucket('1', T0, [1, 1, 1])], T0, T0 + W);
    s.addRows([row(1, T0 + W + 1, 1), row(1, T0 + W + 2, 1)]);
    expect(s.chart('1', 'temperature', T0, T0 + 2 * W).y).toEqual([3, 2]);
    // a late point landed in the first minute: the periodic re-read of the history brings it
    s.setHistory([bucket('1', T0, [1, 1, 1, 1])], T0, T0 + W);
    expect(s.chart('1', 'temperature', T0, T0 + 2 * W).y).toEqual([4, 2]);
  });

  it('should merge live minute buckets into wider buckets at the edge', () => {
    const s = new SeriesSet({
      metrics: ['temperature'],
      timeField: 'ts',
      entityField: 'entity_id',
      widthMs: 5 * W,
      aggregate: 'sum',
    });
    s.setHistory([], T0, T0);
    s.setEdgeBuckets([bucket('1', T0, [1, 2]), bucket('1', T0 + W, [3])]);
    s.setEdgeBuckets([bucket('1', T0 + W, [3, 4])]);
    expect(s.chart('1', 'temperature', T0, T0 + 5 * W).y).toEqual([10]);
  });

  it('should trim what slid out of the range', () => {
    const s = raw();
    s.addRows([row(1, T0, 1), row(1, T0 + 1000, 2)]);
    s.trimBefore(T0 + 500);
    expect(s.chart('1', 'temperature', 0, T0 + 5000).y).toEqual([2]);
  });
});
