/**
 * The data-randomisation test of Adebayo et al. (2018): a model trained on labels shuffled among the
 * training volumes has learned nothing about organs, so a map that looks the same for it as for the
 * model trained on the true labels explains the input, not what the model learned. Maps of the two
 * models on the same test volumes are compared by |ρ| and SSIM, constant maps kept apart.
 */
import { computeCam, type CamOptions } from '../cam';
import type { ResNet3d } from '../model/resnet3d';
import { mapSimilarity, type MapSimilarity } from './sanity';

export interface LabelRandomisationMethod {
  key: string;
  options: Omit<CamOptions, 'target'>;
}

/** Each method's map of every volume for the volume's true class (the same label index for any model). */
export async function mapsOf(model: ResNet3d, volumes: Array<{ x: Float32Array; label: number }>, methods: LabelRandomisationMethod[]): Promise<Record<string, Float32Array[]>> {
  const out: Record<string, Float32Array[]> = {};
  for (const m of methods) {
    out[m.key] = [];
    for (const v of volumes) out[m.key].push((await computeCam(model, v.x, { ...m.options, target: v.label } as CamOptions)).cam);
  }
  return out;
}

/**
 * The similarity of two models' maps, method by method and volume by volume. The maps are made one
 * model at a time (tfjs variable names are global, so two models cannot be alive together).
 */
export function compareMaps(a: Record<string, Float32Array[]>, b: Record<string, Float32Array[]>, size: number): Record<string, MapSimilarity[]> {
  const out: Record<string, MapSimilarity[]> = {};
  for (const [k, maps] of Object.entries(a)) out[k] = maps.map((m, i) => mapSimilarity(m, b[k][i], size));
  return out;
}

/** Labels permuted among the volumes (the class counts stay, the link to the image is gone). */
export function shuffleLabels(labels: ArrayLike<number>, seed: number): Int32Array {
  const out = Int32Array.from(labels as ArrayLike<number>);
  let s = seed >>> 0 || 1;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
