/**
 * Grad-CAM (Selvaraju et al. 2017) on the same stage, for a side-by-side comparison:
 *   w_k = mean over voxels of ∂logit_target/∂A_k,   CAM = minmax(ReLU(upsample(Σ_k w_k A_k))).
 * The gradient is tf.grad of the target *logit* (pre-softmax, as the paper) w.r.t. the stage
 * activations, through model.fromStage. Spatial means and the weighted sum are matMuls on rank-2
 * views ([d·h·w, C]), never reductions over non-last axes of a rank-5 tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { ResNet3d } from '../model/resnet3d';
import { now, throwIfAborted } from '../util/async';
import { argmax } from '../util/array';
import { checkStage, checkTarget, checkVolume, finishCam } from './common';
import { DEFAULT_STAGE, type CamOptions, type CamResult } from './types';

export async function gradCam(model: ResNet3d, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const t0 = now();
  const stage = opts.stage ?? DEFAULT_STAGE;
  checkStage(stage);
  const size = checkVolume(model, volume);
  throwIfAborted(opts.signal);
  opts.onProgress?.(0, 1);
  const x = tf.tensor4d(volume, [1, size, size, size]);
  const held: tf.Tensor[] = [x];
  try {
    let t = now();
    const a = tf.tidy(() => model.activations(x, stage));
    held.push(a);
    const probsT = tf.tidy(() => tf.softmax(model.fromStage(stage, a)));
    held.push(probsT);
    const probs = Float32Array.from(await probsT.data());
    const predicted = argmax(probs);
    const target = opts.target ?? predicted;
    checkTarget(target, probs.length);
    throwIfAborted(opts.signal);
    const [, d, h, w, c] = a.shape;
    const m = d * h * w;
    const [weightsT, combinedT] = tf.tidy(() => {
      const g = tf.grad((act: tf.Tensor) => tf.sum(tf.slice(model.fromStage(stage, act as tf.Tensor5D), [0, target], [1, 1])))(a);
      const g2 = tf.reshape(g, [m, c]);
      const wk = tf.matMul(tf.fill([1, m], 1 / m), g2); // [1, C] spatial mean
      const comb = tf.matMul(tf.reshape(a, [m, c]), wk, false, true); // [m, 1]
      return [wk, comb];
    });
    held.push(weightsT, combinedT);
    const weights = Float32Array.from(await weightsT.data());
    const combined = Float32Array.from(await combinedT.data());
    const forwardMs = now() - t;
    t = now();
    const { cam, lowRes } = await finishCam(combined, [d, h, w], size);
    opts.onProgress?.(1, 1);
    return {
      cam,
      lowRes,
      lowResShape: [d, h, w],
      target,
      predicted,
      probs,
      method: 'gradcam',
      stage,
      channels: c,
      totalChannels: c,
      weights,
      channelIndices: Int32Array.from({ length: c }, (_, k) => k),
      timings: { totalMs: now() - t0, forwardMs, forwardInputs: 1 },
    };
  } finally {
    for (const t of held) t.dispose();
  }
}
