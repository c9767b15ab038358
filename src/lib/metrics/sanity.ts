/**
 * Sanity checks for saliency maps (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018):
 * - cascading randomisation: re-initialise the model's weights from the top (classifier) down, one
 *   stage at a time, and recompute the map. A map that still looks like the original once the
 *   weights that produced the prediction are random explains the input, not the model;
 * - class contrast: the map for the true class against the map for another class on the same
 *   volume. A map that is the same for every class (e.g. a Score-CAM whose channel weights are all
 *   ≈ 1) says where the activations are, not where the evidence for that class is.
 * Similarity is the absolute Spearman rank correlation over all voxels and the mean SSIM over
 * 8³ blocks (Adebayo et al. report both). A map that is constant (e.g. a Grad-CAM whose randomised
 * gradients are all negative, so ReLU leaves nothing) has no ranks: it is reported as degenerate,
 * an outcome of its own, never as ρ = 0 (which would read as "changed completely").
 */
import * as tf from '@tensorflow/tfjs';
import type { ResNet3d } from '../model/resnet3d';
import { spearman } from './stats';

/** Cascade order: the classifier first, then stage 4 down to the stem (each level keeps the ones before randomised). */
export const CASCADE_LEVELS = ['fc', 'stage4', 'stage3', 'stage2', 'stage1', 'stem'] as const;
export type CascadeLevel = (typeof CASCADE_LEVELS)[number];

/** Pass thresholds, stated on the page: after full randomisation the map must differ from the original. */
export const SANITY_MAX_RHO_RANDOMISED = 0.3;
/** A class-contrast ρ above this counts as a class-blind map. */
export const SANITY_CLASS_BLIND_RHO = 0.9;

/** How alike two maps are; rho and ssim are null when either map is constant (degenerate). */
export interface MapSimilarity {
  /** Spearman ρ over all voxels (signed; the tables show |ρ|). */
  rho: number | null;
  /** Mean SSIM over non-overlapping blocks of the two maps (each in [0, 1]). */
  ssim: number | null;
  degenerate: boolean;
}

export interface CascadeStep extends MapSimilarity {
  level: CascadeLevel;
}

/** A map whose values span less than this is constant: it ranks nothing. */
export const DEGENERATE_SPAN = 1e-6;

export function isDegenerate(map: ArrayLike<number>): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (!Number.isFinite(v)) return true;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return !(hi - lo >= DEGENERATE_SPAN);
}

/** Side of the SSIM blocks (voxels). */
export const SSIM_BLOCK = 8;

/**
 * Mean structural similarity (Wang et al. 2004) over non-overlapping b³ blocks of two cubes of side
 * `size`, values in [0, 1] (C1 = 0.01², C2 = 0.03²). Blocks rather than a sliding Gaussian window:
 * the maps are smooth upsamples of a 4³–16³ grid, so an 8³ block already spans the finest detail.
 */
export function blockSsim(a: ArrayLike<number>, b: ArrayLike<number>, size: number, block = SSIM_BLOCK): number {
  if (a.length !== size ** 3 || b.length !== a.length) throw new Error(`blockSsim: maps of ${a.length} and ${b.length} values for a ${size}³ cube`);
  const c1 = 0.01 ** 2;
  const c2 = 0.03 ** 2;
  const bs = Math.max(1, Math.min(block, size));
  let total = 0;
  let blocks = 0;
  for (let z0 = 0; z0 < size; z0 += bs)
    for (let y0 = 0; y0 < size; y0 += bs)
      for (let x0 = 0; x0 < size; x0 += bs) {
        let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (let z = z0; z < Math.min(size, z0 + bs); z++)
          for (let y = y0; y < Math.min(size, y0 + bs); y++)
            for (let x = x0; x < Math.min(size, x0 + bs); x++) {
              const i = (z * size + y) * size + x;
              const p = a[i], q = b[i];
              n++, (sa += p), (sb += q), (saa += p * p), (sbb += q * q), (sab += p * q);
            }
        const ma = sa / n, mb = sb / n;
        const va = Math.max(0, saa / n - ma * ma), vb = Math.max(0, sbb / n - mb * mb), cov = sab / n - ma * mb;
        total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        blocks++;
      }
  return total / blocks;
}

/** ρ and SSIM of two maps of a cube of side `size`, or degenerate where either is constant. */
export function mapSimilarity(a: ArrayLike<number>, b: ArrayLike<number>, size: number): MapSimilarity {
  if (isDegenerate(a) || isDegenerate(b)) return { rho: null, ssim: null, degenerate: true };
  return { rho: spearman(a, b), ssim: blockSsim(a, b, size), degenerate: false };
}

const levelOf = (name: string): CascadeLevel | null => {
  const head = name.split('.')[0];
  return (CASCADE_LEVELS as readonly string[]).includes(head) ? (head as CascadeLevel) : null;
};

/**
 * A fresh value for one variable, drawn as at the start of training (ResNet3d's initialisers:
 * He-normal convolutions, Glorot-uniform classifier, identity batch norm).
 */
export function initialValue(name: string, shape: number[], seed: number): tf.Tensor {
  if (/\.(gamma|moving_var)$/.test(name)) return tf.ones(shape);
  if (/\.(beta|moving_mean)$/.test(name) || name === 'fc.b') return tf.zeros(shape);
  if (name === 'fc.w') {
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    return tf.randomUniform(shape, -limit, limit, 'float32', seed);
  }
  // convolution [k, k, k, cin, cout]: fan-out k³·cout
  const fanOut = shape[0] * shape[1] * shape[2] * shape[4];
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', seed);
}

/**
 * Runs `explain` on the model randomised from the top down (cumulative: level k has every level
 * ≤ k re-initialised as at the start of training, batch-norm statistics included) and returns each
 * map's similarity to `original`. `explainAt` limits the levels whose map is computed (e.g. only
 * 'stem', full randomisation, for the extra seeds); the randomisation itself is always cumulative.
 * The weights are changed in place (tfjs variable names are global, so a second copy of the model
 * cannot coexist) and restored before returning, also on error.
 */
export async function cascadingRandomization(
  model: ResNet3d,
  original: Float32Array,
  explain: (m: ResNet3d) => Promise<Float32Array>,
  opts: { seed?: number; levels?: readonly CascadeLevel[]; explainAt?: readonly CascadeLevel[] } = {},
): Promise<CascadeStep[]> {
  const size = Math.round(Math.cbrt(original.length));
  const saved = new Map<string, tf.Tensor>();
  const out: CascadeStep[] = [];
  let seed = opts.seed ?? 7919;
  try {
    for (const level of opts.levels ?? CASCADE_LEVELS) {
      for (const [name, v] of model.variables) {
        if (levelOf(name) !== level) continue;
        saved.set(name, tf.clone(v));
        const fresh = initialValue(name, v.shape, seed++);
        v.assign(fresh);
        fresh.dispose();
      }
      if (opts.explainAt && !opts.explainAt.includes(level)) continue;
      const map = await explain(model);
      out.push({ level, ...mapSimilarity(original, map, size) });
    }
  } finally {
    for (const [name, t] of saved) {
      model.variables.get(name)!.assign(t);
      t.dispose();
    }
  }
  return out;
}

/** The class the contrast map explains: the most probable class other than `label`. */
export function contrastClass(probs: ArrayLike<number>, label: number): number {
  let best = -1;
  for (let c = 0; c < probs.length; c++) if (c !== label && (best < 0 || probs[c] > probs[best])) best = c;
  return best;
}
