import { describe, expect, it } from 'vitest';
import { judgeFlat } from './flat.ts';

const series = (mb: (t: number) => number, seconds = 600) =>
  Array.from({ length: seconds / 10 + 1 }, (_, i) => ({ t_s: i * 10, mb: mb(i * 10) }));

describe('bench:soak > judgeFlat', () => {
  it('should pass a series that grows in the first minute and then only wobbles', () => {
    const r = judgeFlat(series((t) => (t < 60 ? 100 + t : 160 + (t % 20 === 0 ? 3 : -3))));
    expect(r.pass).toBe(true);
    expect(Math.abs(r.growth_mb)).toBeLessThan(1);
  });

  it('should fail a slow leak the second and last minutes alone would show', () => {
    // 1 MiB a minute: 8 MiB over minutes 2-10, above the 5 MiB allowed at this size
    const r = judgeFlat(series((t) => 80 + t / 60));
    expect(r.pass).toBe(false);
    expect(r.slope_mb_per_min).toBeCloseTo(1, 1);
  });

  it('should allow 5 % of a large process rather than a fixed 5 MiB', () => {
    const r = judgeFlat(series((t) => (t > 540 ? 1008 : 1000)));
    expect(r.allowed_growth_mb).toBe(50);
    expect(r.pass).toBe(true);
  });
});
