/** Deterministic random streams of the phantom (sfc32 + splitmix32), and a fixed normal table for fast noise. */

/** sfc32 PRNG seeded through splitmix32. Returns floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** A seed for stream `i` derived from `seed` (subjects, crops, acquisition). */
export function hashSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform and normal draws from one stream. */
export class Rand {
  private spare: number | null = null;
  constructor(public next: () => number) {}
  u(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  n(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + sd * s;
    }
    let u = 0;
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
  /** true with probability p */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** one of `items`, uniformly */
  pick<T>(items: readonly T[]): T {
    return items[Math.min(items.length - 1, Math.floor(this.next() * items.length))];
  }
}

let GAUSS_TABLE: Float32Array | null = null;
/** 65536 fixed standard-normal samples (deterministic), indexed at random for fast noise. */
export function gaussTable(): Float32Array {
  if (!GAUSS_TABLE) {
    const r = new Rand(makeRng(0x5eed));
    GAUSS_TABLE = new Float32Array(65536);
    for (let i = 0; i < GAUSS_TABLE.length; i++) GAUSS_TABLE[i] = r.n();
  }
  return GAUSS_TABLE;
}
