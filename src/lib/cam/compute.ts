/** The one entry point that dispatches a CAM method (its own file so cam/evaluate.ts can import it without importing the index). */
import type { ResNet3d } from '../model/resnet3d';
import { gradCam } from './gradcam';
import { scoreCam } from './scorecam';
import type { CamOptions, CamResult } from './types';

/** Explains one S³ volume in [0,1] with the chosen method (default full Score-CAM on stage 4). */
export async function computeCam(model: ResNet3d, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const method = opts.method ?? 'scorecam';
  if (method === 'gradcam') return gradCam(model, volume, opts);
  if (method !== 'scorecam' && method !== 'faster-scorecam') throw new Error(`unknown CAM method '${method}' (scorecam, faster-scorecam, gradcam)`);
  return scoreCam(model, volume, { ...opts, method });
}
