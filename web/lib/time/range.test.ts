import { describe, expect, it } from 'vitest';
import { chooseResolution } from './buckets';
import {
  absoluteRange,
  describeRange,
  followNow,
  pan,
  parseRange,
  resolveRange,
  zoomOut,
} from './range';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('Web > Time > ranges', () => {
  it('should resolve relative and absolute times', () => {
    expect(resolveRange({ from: 'now-6h', to: 'now' }, NOW)).toEqual({
      fromMs: NOW - 6 * 3_600_000,
      toMs: NOW,
      following: true,
    });
    expect(resolveRange({ from: '1767225600000', to: '1767229200000' }, NOW).following).toBe(false);
  });

  it('should fall back on a range from the URL that is malformed, reversed or absurd', () => {
    const fallback = { from: 'now-1h', to: 'now' };
    expect(parseRange({ from: 'now-1x', to: 'now' }, fallback)).toEqual(fallback);
    expect(parseRange({ from: 'now', to: 'now-1h' }, fallback)).toEqual(fallback);
    expect(parseRange({ from: 'now-15m' }, fallback)).toEqual({ from: 'now-15m', to: 'now' });
  });

  it('should zoom to an absolute range, pan it, and follow the clock again when panned past now', () => {
    const z = absoluteRange(NOW - 600_000, NOW - 300_000);
    expect(z).toEqual({ from: String(NOW - 600_000), to: String(NOW - 300_000) });
    expect(pan(z, NOW, -0.5)).toEqual({ from: String(NOW - 750_000), to: String(NOW - 450_000) });
    expect(pan(z, NOW, 1)).toEqual({ from: 'now-5m', to: 'now' });
    expect(followNow(z, NOW)).toEqual({ from: 'now-5m', to: 'now' });
    expect(zoomOut({ from: 'now-1h', to: 'now' }, NOW)).toEqual({ from: 'now-2h', to: 'now' });
    expect(describeRange({ from: 'now-1h', to: 'now' })).toBe('Last hour');
  });

  it('should draw raw points for short spans and wider buckets for longer ones', () => {
    expect(chooseResolution('auto', 15 * 60_000, true)).toEqual({ kind: 'raw' });
    expect(chooseResolution('auto', 6 * 3_600_000, true)).toMatchObject({ key: '1m' });
    expect(chooseResolution('auto', 7 * 86_400_000, true)).toMatchObject({ key: '15m' });
    expect(chooseResolution('auto', 90 * 86_400_000, true)).toMatchObject({ key: '6h' });
    expect(chooseResolution('1h', 3_600_000, true)).toMatchObject({ key: '1h' });
    expect(chooseResolution('raw', 86_400_000, true)).toEqual({ kind: 'raw' });
  });
});
