/** The one entry point that dispatches a CAM method (its own file so cam/evaluate.ts can import it without importing the index). */
import { FusedResNet3d } from '../model/inference';
import type { ResNet3d } from '../model/resnet3d';
import { gradCam } from './gradcam';
import { scoreCam } from './scorecam';
import type { CamOptions, CamResult } from './types';

/**
 * Explains one S³ volume in [0,1] with the chosen method (default full Score-CAM on stage 4).
 * Score-CAM runs on the model given; pass `fuseForInference(model)` (src/lib/model/inference.ts)
 * for the inference model. Grad-CAM needs gradients, so it runs on the training model (a fused
 * model's source).
 */
export async function computeCam(model: ResNet3d | FusedResNet3d, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const method = opts.method ?? 'scorecam';
  if (method === 'gradcam') return gradCam(model instanceof FusedResNet3d ? model.source : model, volume, opts);
  if (method !== 'scorecam' && method !== 'faster-scorecam') throw new Error(`unknown CAM method '${method}' (scorecam, faster-scorecam, gradcam)`);
  return scoreCam(model, volume, { ...opts, method });
}
