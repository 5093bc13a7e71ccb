import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatClock,
  formatNumber,
  formatRate,
  formatTicks,
  formatTimeTicks,
} from './format';

describe('Web > format', () => {
  it('should format numbers with grouping and bounded digits', () => {
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(21.456)).toBe('21.46');
    expect(formatNumber('1013.25000000')).toBe('1,013.3');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(0.00001)).toBe('1.00e-5');
  });

  it('should format rates and times', () => {
    expect(formatRate(1234.4)).toBe('1,234/s');
    expect(formatRate(12.34)).toBe('12.3/s');
    expect(formatRate(0.5)).toBe('0.50/s');
    expect(formatClock('2024-05-01T12:34:56.789+00:00')).toBe('12:34:56');
    expect(formatAgo(90_000)).toBe('1m ago');
  });

  it('should give axis ticks the decimals their step needs', () => {
    expect(formatTicks([3.6991, 3.6994, 3.6997])).toEqual(['3.6991', '3.6994', '3.6997']);
    expect(formatTicks([3.699, 3.7, 3.701])).toEqual(['3.699', '3.700', '3.701']);
    expect(formatTicks([1000, 2000])).toEqual(['1,000', '2,000']);
  });

  it('should label time ticks in UTC at the precision their step needs', () => {
    const t = Date.UTC(2024, 0, 1, 23, 59, 30) / 1000;
    expect(formatTimeTicks([t, t + 15], 15)).toEqual(['23:59:30', '23:59:45']);
    expect(formatTimeTicks([t - 30, t + 30], 60)).toEqual(['23:59', '01-02 00:00']);
    expect(formatTimeTicks([t, t + 86_400], 86_400)).toEqual(['01-01', '01-02']);
  });
});
