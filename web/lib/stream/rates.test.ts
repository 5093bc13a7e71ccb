import { describe, expect, it } from 'vitest';
import { lagOf, partitionKey, partitionState, RateTracker, rateSince } from './rates';

const off = (partition: number, rows: number, next = 0, hw: number | null = 0) => ({
  consumer_group: 'g',
  topic: 't',
  partition,
  next_offset: next,
  high_watermark: hw,
  rows_loaded: rows,
});

describe('Web > Stream > rates and lag', () => {
  it('should compute lag from the high watermark and the next offset', () => {
    expect(lagOf({ next_offset: 90, high_watermark: 100 })).toBe(10);
    expect(lagOf({ next_offset: '90', high_watermark: '100' })).toBe(10);
    expect(lagOf({ next_offset: 100, high_watermark: 90 })).toBe(0);
    expect(lagOf({ next_offset: 100, high_watermark: null })).toBeNull();
  });

  it('should compute rows/s per partition from counter deltas', () => {
    const r = new RateTracker(10_000);
    r.update([off(0, 100), off(1, 0)], 0);
    expect(r.rate(partitionKey(off(0, 0)), 0)).toBeNull();
    r.update([off(0, 300), off(1, 50)], 2_000);
    expect(r.rate('g/t/0', 2_000)).toBe(100);
    expect(r.rate('g/t/1', 2_000)).toBe(25);
    expect(r.total(['g/t/0', 'g/t/1'], 2_000)).toBe(125);
  });

  it('should fall towards zero when the counters stop moving', () => {
    const r = new RateTracker(10_000);
    r.update([off(0, 0)], 0);
    r.update([off(0, 1000)], 1_000);
    expect(r.rate('g/t/0', 1_000)).toBe(1000);
    expect(r.rate('g/t/0', 5_000)).toBe(200);
  });

  it('should restart after a counter reset', () => {
    const r = new RateTracker();
    r.update([off(0, 1000)], 0);
    r.update([off(0, 10)], 1_000);
    expect(r.rate('g/t/0', 1_000)).toBeNull();
  });

  it('should compute a rate from a count since a time', () => {
    expect(rateSince(600, 0, 60_000)).toBe(10);
    expect(rateSince(5, 1000, 1000)).toBe(0);
  });

  it("should call a partition stalled when the worker says so, whatever the browser's clock", () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    const row = {
      next_offset: 90,
      high_watermark: 100,
      updated_at: '2026-12-07T11:59:59Z',
    };
    expect(partitionState(row, now)).toBe('catching up');
    expect(partitionState({ ...row, stalled_since: '2026-12-07T11:59:40Z' }, now)).toBe('stalled');
    expect(partitionState({ ...row, updated_at: '2026-12-07T11:58:00Z' }, now)).toBe('stalled');
    expect(partitionState({ ...row, next_offset: 100 }, now)).toBe('caught up');
  });
});
