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

/**
 * For each method and volume, the similarity of the two models' maps for the volume's true class
 * (the class is the same label index for both models; for the shuffled model it names nothing).
 */
export async function compareTrainedModels(
  trained: ResNet3d,
  shuffled: ResNet3d,
  volumes: Array<{ x: Float32Array; label: number }>,
  methods: LabelRandomisationMethod[],
): Promise<Record<string, MapSimilarity[]>> {
  const size = trained.config.inputSize;
  const out: Record<string, MapSimilarity[]> = {};
  for (const m of methods) {
    out[m.key] = [];
    for (const v of volumes) {
      const a = await computeCam(trained, v.x, { ...m.options, target: v.label } as CamOptions);
      const b = await computeCam(shuffled, v.x, { ...m.options, target: v.label } as CamOptions);
      out[m.key].push(mapSimilarity(a.cam, b.cam, size));
    }
  }
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
