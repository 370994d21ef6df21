// Seeded randomness for the simulated backends. Everything random in a simulator's behaviour
// comes from these functions (never Math.random), so a run is reproducible from its seed.

/** mulberry32: a tiny, fast 32-bit PRNG with good statistical quality for simulation. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 32-bit hash of a string under a seed: FNV-1a over the UTF-16 code units, then murmur3's
 * finaliser so that near-identical inputs ("user-1", "user-2") land far apart.
 */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Standard normal sample from two uniforms (Box–Muller). */
export function standardNormal(u1: number, u2: number): number {
  // 1 - u keeps the log argument in (0, 1]; u1 can be exactly 0.
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Log-normal sample with the given median; sigma 0 gives exactly the median. */
export function logNormal(median: number, sigma: number, z: number): number {
  return median * Math.exp(sigma * z);
}
