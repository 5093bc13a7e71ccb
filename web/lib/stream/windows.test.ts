import { describe, expect, it } from 'vitest';
import { findWindow, selectSource, WINDOWS } from './windows';

const both = { minute: { name: 'rollups_1m' }, hour: { name: 'rollups_1h' } };

describe('Web > Stream > window source', () => {
  it('should draw raw points for 5 min and 1 h', () => {
    expect(selectSource(findWindow('5m').ms, both, true)).toEqual({ kind: 'raw', capped: false });
    expect(selectSource(findWindow('1h').ms, both, true)).toEqual({ kind: 'raw', capped: false });
  });

  it('should switch to per-minute rollups for 24 h and per-hour rollups for 7 d', () => {
    expect(selectSource(findWindow('24h').ms, both, true)).toEqual({
      kind: 'rollup',
      table: 'rollups_1m',
      bucketMs: 60_000,
    });
    expect(selectSource(findWindow('7d').ms, both, true)).toEqual({
      kind: 'rollup',
      table: 'rollups_1h',
      bucketMs: 3_600_000,
    });
  });

  it('should use what rollups the role can read', () => {
    expect(
      selectSource(findWindow('24h').ms, { minute: { name: 'rollups_1m' } }, undefined),
    ).toEqual({
      kind: 'rollup',
      table: 'rollups_1m',
      bucketMs: 60_000,
    });
    // 7 d of minutes is more than one request may return
    expect(
      selectSource(findWindow('7d').ms, { minute: { name: 'rollups_1m' } }, undefined).kind,
    ).toBe('none');
    expect(selectSource(findWindow('24h').ms, { hour: { name: 'rollups_1h' } }, true)).toEqual({
      kind: 'rollup',
      table: 'rollups_1h',
      bucketMs: 3_600_000,
    });
    expect(selectSource(findWindow('24h').ms, {}, true).kind).toBe('none');
  });

  it('should fall back to capped raw points for a metric that is not rolled up', () => {
    expect(selectSource(findWindow('24h').ms, both, false)).toEqual({ kind: 'raw', capped: true });
  });

  it('should default to the first window for an unknown key', () => {
    expect(findWindow('bogus')).toBe(WINDOWS[0]);
    expect(findWindow('7d').label).toBe('7 d');
  });
});
