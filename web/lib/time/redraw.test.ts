import { describe, expect, it } from 'vitest';
import { MIN_REDRAW_MS, redrawEveryMs } from './redraw';

describe('redrawEveryMs', () => {
  it('should redraw when the picture moves by a pixel', () => {
    expect(redrawEveryMs(15 * 60_000, 500)).toBe(1800);
    expect(redrawEveryMs(3_600_000, 500)).toBe(7200);
  });

  it('should redraw at most once a second', () => {
    expect(redrawEveryMs(60_000, 1200)).toBe(MIN_REDRAW_MS);
  });

  it('should fall back to once a second before the chart has a width', () => {
    expect(redrawEveryMs(3_600_000, 0)).toBe(MIN_REDRAW_MS);
  });
});
