/**
 * The one seeded random source of the fuzz campaigns and of the tests that draw random inputs:
 * seeded so that a failing run can be replayed from the seed it printed.
 */

/** mulberry32: 32 bits of state, small and fast; uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
