/**
 * Is a memory series flat after its first minute? RSS moves with every garbage collection, so
 * single samples are not compared: the mean of the second minute against the mean of the last,
 * and the least-squares slope of everything after the first minute extrapolated to the end.
 */

/** Growth after the first minute that still counts as flat: the larger of the two. */
export const FLAT_GOAL = { maxGrowthMb: 5, maxGrowthShare: 0.05 };
const round = (n: number) => Math.round(n * 10) / 10;

export interface Sample {
  t_s: number;
  mb: number;
}

/** Flat or not: the second minute against the last, and the slope after the first minute. */
export function judgeFlat(samples: Sample[]): {
  second_minute_mb: number;
  last_minute_mb: number;
  growth_mb: number;
  slope_mb_per_min: number;
  allowed_growth_mb: number;
  pass: boolean;
} {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const end = samples.at(-1)?.t_s ?? 0;
  const second = mean(samples.filter((s) => s.t_s > 60 && s.t_s <= 120).map((s) => s.mb));
  const last = mean(samples.filter((s) => s.t_s > end - 60).map((s) => s.mb));
  const after = samples.filter((s) => s.t_s > 60);
  const mt = mean(after.map((s) => s.t_s));
  const mm = mean(after.map((s) => s.mb));
  const cov = after.reduce((a, s) => a + (s.t_s - mt) * (s.mb - mm), 0);
  const vt = after.reduce((a, s) => a + (s.t_s - mt) ** 2, 0);
  const slope = vt > 0 ? (cov / vt) * 60 : 0;
  const allowed = Math.max(FLAT_GOAL.maxGrowthMb, second * FLAT_GOAL.maxGrowthShare);
  const growth = last - second;
  // the slope over what follows the first minute must not add more than allowed either
  const slopeGrowth = slope * Math.max(0, (end - 60) / 60);
  return {
    second_minute_mb: round(second),
    last_minute_mb: round(last),
    growth_mb: round(growth),
    slope_mb_per_min: Math.round(slope * 100) / 100,
    allowed_growth_mb: round(allowed),
    pass: growth <= allowed && slopeGrowth <= allowed,
  };
}
