/**
 * Randomness as a function of time: every value of a demo series is computed from (series, instant)
 * alone, so a producer that restarts — or a second producer — continues each series exactly where
 * it was, with no state to save. Smooth wandering comes from value noise (random values on a
 * lattice of instants, eased between), summed over a few periods; measurement noise is a normal
 * draw per instant.
 */

/** A 32-bit mix of three integers (each taken modulo 2^32): the same inputs, the same output. */
export function hash3(a: number, b: number, c: number): number {
  let h = Math.imul((a >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ (b >>> 0), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ (c >>> 0), 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

/** Uniform in [0, 1) for a key. */
export function uniformAt(seed: number, key: number, slot: number): number {
  return hash3(seed, key, slot) / 4294967296;
}

/** Standard normal for a key (Box-Muller on two hashed uniforms). */
export function gaussAt(seed: number, key: number, slot: number): number {
  const u = 1 - uniformAt(seed, key, slot);
  const v = uniformAt(seed ^ 0x5bd1e995, key, slot);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Normal draws at every multiple of `periodMs`, eased in between: continuous, about N(0, 1). */
export function valueNoise(seed: number, key: number, tMs: number, periodMs: number): number {
  const x = tMs / periodMs;
  const i = Math.floor(x);
  const f = x - i;
  const e = f * f * (3 - 2 * f);
  // lattice slots past 2^32 wrap: hash3 takes them modulo 2^32, and only neighbours matter
  const a = gaussAt(seed, key, i);
  const b = gaussAt(seed, key, i + 1);
  // easing two independent normals shrinks the spread in between; rescale to keep sd ≈ 1
  return (a + (b - a) * e) / Math.sqrt((1 - e) * (1 - e) + e * e);
}

/** A wandering value: value noise over several periods (the slow ones dominate), sd ≈ `sd`. */
export function wander(
  seed: number,
  key: number,
  tMs: number,
  sd: number,
  periodsMs: readonly number[],
): number {
  let sum = 0;
  let weights = 0;
  for (let k = 0; k < periodsMs.length; k++) {
    const w = 1 / (k + 1);
    sum += w * valueNoise(seed + k * 7919, key, tMs, periodsMs[k]!);
    weights += w * w;
  }
  return (sd * sum) / Math.sqrt(weights);
}

/** The seed every demo producer shares, so every start continues the same series. */
export const DEMO_SEED = 20_251_127;
