/**
 * The one CAM pipeline every method runs: checks → the stage's activations → the method's weights
 * (methods.ts) → Σ_k w_k A_k → ReLU, upsample, [0, 1] (finishCam) → the result.
 */
import { FusedResNet3d } from '../model/inference';
import type { ResNet3d } from '../model/resnet3d';
import { now, throwIfAborted } from '../util/async';
import { argmax } from '../util/array';
import { stageActivations } from './activations';
import { checkStage, checkTarget, checkVolume, finishCam } from './common';
import { camMethod, type CamOptions, type CamResult } from './methods';
import { DEFAULT_STAGE } from './types';

/**
 * Explains one S³ volume in [0,1] with the chosen method (default full Score-CAM on stage 4).
 * Score-CAM runs on the model given; pass `fuseForInference(model)` (src/lib/model/inference.ts)
 * for the inference model. Methods that need gradients run on the training model (a fused model's
 * source) and run their own unmasked pass on it (`opts.activations` may be the fused model's).
 */
export async function computeCam(model: ResNet3d | FusedResNet3d, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const t0 = now();
  const method = camMethod(opts.method ?? 'scorecam');
  const net = method.needsGradients && model instanceof FusedResNet3d ? model.source : model;
  const stage = opts.stage ?? DEFAULT_STAGE;
  checkStage(stage);
  const size = checkVolume(net, volume);
  throwIfAborted(opts.signal);

  let forwardMs = 0;
  let forwardInputs = 0;
  let act = method.needsGradients ? undefined : opts.activations;
  if (act && (act.stage !== stage || act.volume !== volume)) throw new Error(`computeCam: the activations given are of stage ${act.stage} of another volume/stage`);
  if (!act) {
    const t = now();
    act = await stageActivations(net, volume, stage);
    forwardMs += now() - t;
    forwardInputs += 1;
  }
  const predicted = argmax(act.probs);
  const target = opts.target ?? predicted;
  checkTarget(target, act.probs.length);
  throwIfAborted(opts.signal);

  const w = await method.weights({ model: net, volume, size, stage, act, target, opts });
  forwardMs += w.forwardMs;
  forwardInputs += w.forwardInputs;
  const combined = weightedSum(act.maps, act.shape[0] * act.shape[1] * act.shape[2], w.channels, w.weights);
  throwIfAborted(opts.signal);
  const { cam, lowRes } = await finishCam(combined, act.shape, size);
  return {
    cam,
    lowRes,
    lowResShape: act.shape,
    target,
    predicted,
    probs: act.probs,
    method: method.id,
    stage,
    channels: w.channels.length,
    totalChannels: act.channels,
    weights: w.weights,
    channelIndices: w.channels,
    timings: { totalMs: now() - t0, forwardMs, forwardInputs },
  };
}

/** Σ_j weights[j] · map[channels[j]] over channel-major maps [C, m], accumulated in float32 channel by channel. */
export function weightedSum(maps: Float32Array, m: number, channels: Int32Array, weights: Float32Array): Float32Array {
  const combined = new Float32Array(m);
  for (let j = 0; j < channels.length; j++) {
    const w = weights[j];
    const off = channels[j] * m;
    for (let i = 0; i < m; i++) combined[i] += w * maps[off + i];
  }
  return combined;
}
