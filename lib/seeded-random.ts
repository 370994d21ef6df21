// Seeded randomness, the one generator the project uses wherever a run must repeat from its seed:
// the simulated backends' behaviour and text, the load generator, the gateway's random source in
// tests, the behavioral gates' paired bootstrap and the judge benchmark. Never Math.random there.

/** mulberry32: a tiny, fast 32-bit PRNG with good statistical quality for simulation; uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = advance(state);
    return output(state) / 4294967296;
  };
}

/**
 * The same stream as `mulberry32(seed)`, drawn in bulk as indices: `fill(out, n)` writes ⌊u · n⌋
 * for the next `out.length` uniforms u. For hot loops (the paired bootstrap draws resamples × n of
 * them), where a call per draw costs more than the draw.
 */
export function mulberry32Indices(seed: number): (out: Int32Array, n: number) => void {
  let state = seed >>> 0;
  return (out, n) => {
    const scale = n / 4294967296;
    let s = state;
    for (let k = 0; k < out.length; k++) {
      s = advance(s);
      out[k] = (output(s) * scale) | 0;
    }
    state = s;
  };
}

function advance(state: number): number {
  return (state + 0x6d2b79f5) >>> 0;
}

/** The 32-bit output at a state. */
function output(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** 32-bit FNV-1a over the UTF-16 code units of a string, its offset basis mixed with a seed. */
export function fnv1a32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * 32-bit hash of a string under a seed: FNV-1a, then murmur3's finaliser so that near-identical
 * inputs ("user-1", "user-2") land far apart.
 */
export function hashString(text: string, seed = 0): number {
  let h = fnv1a32(text, seed);
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

/** A seeded stream of uniforms and normals, for simulations that draw many of both. */
export class SeededRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  /** Standard normal. */
  normal(): number {
    return standardNormal(this.next(), this.next());
  }
}
