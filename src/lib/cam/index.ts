/** Score-CAM, Faster Score-CAM and Grad-CAM for the 3D ResNet: one library for build, CLIs and browser. */
import type { ResNet3d } from '../model/resnet3d';
import { gradCam } from './gradcam';
import { scoreCam } from './scorecam';
import type { CamOptions, CamResult } from './types';

export * from './types';
export { upsampleTrilinear, interpolationMatrix, Upsampler } from './upsample';
export { scoreCam, selectChannels, channelStats, combineWeights, stageActivations } from './scorecam';
export { gradCam } from './gradcam';
export { throwIfAborted, isAbortError } from './async';
export { reluNormalize } from './common';

/** Explains one S³ volume in [0,1] with the chosen method (default full Score-CAM on stage 4). */
export async function computeCam(model: ResNet3d, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const method = opts.method ?? 'scorecam';
  if (method === 'gradcam') return gradCam(model, volume, opts);
  if (method !== 'scorecam' && method !== 'faster-scorecam') throw new Error(`unknown CAM method '${method}' (scorecam, faster-scorecam, gradcam)`);
  return scoreCam(model, volume, { ...opts, method });
}
export { explainVolume, summarizeExplanations, meanStd, type ExplainOptions, type ExplainResult, type ExplanationSummary, type Stat } from './evaluate';
