/**
 * Sanity checks for saliency maps (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018):
 * - cascading randomisation: re-initialise the model's weights from the top (classifier) down, one
 *   stage at a time, and recompute the map. A map that still looks like the original once the
 *   weights that produced the prediction are random explains the input, not the model;
 * - class contrast: the map for the true class against the map for another class on the same
 *   volume. A map that is the same for every class (e.g. a Score-CAM whose channel weights are all
 *   ≈ 1) says where the activations are, not where the evidence for that class is.
 * Similarity is Spearman's rank correlation over all voxels (Adebayo et al. report it too).
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

export interface CascadeStep {
  level: CascadeLevel;
  /** Spearman ρ between the original map and the map of the model randomised down to this level. */
  rho: number;
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
 * map's rank correlation with `original`. The weights are changed in place (tfjs variable names are
 * global, so a second copy of the model cannot coexist) and restored before returning, also on error.
 */
export async function cascadingRandomization(
  model: ResNet3d,
  original: Float32Array,
  explain: (m: ResNet3d) => Promise<Float32Array>,
  opts: { seed?: number; levels?: readonly CascadeLevel[] } = {},
): Promise<CascadeStep[]> {
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
      const map = await explain(model);
      out.push({ level, rho: spearman(original, map) });
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
