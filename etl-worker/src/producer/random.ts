/**
 * A small seeded random source for the generators: seeded so tests and benchmark runs can repeat
 * a stream, and cheap because the bulk mode draws several numbers per message for millions of
 * messages.
 */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** standard normal */
  gauss(): number;
  /** uniform in [min, max) */
  between(min: number, max: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  /** a uniform integer in [0, n) */
  int(n: number): number;
}

/** mulberry32: 32 bits of state, good enough statistically for demo data, and fast. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare: number | undefined;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    gauss() {
      // Box-Muller gives two normals per pair of uniforms; keep the second for the next call
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      const u = 1 - next(); // (0, 1]: log(0) would be -Infinity
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    between: (min, max) => min + (max - min) * next(),
    chance: (p) => next() < p,
    int: (n) => Math.floor(next() * n),
  };
}

/** A seed from the clock and the pid, for runs that should differ from each other. */
export function randomSeed(): number {
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0;
}
