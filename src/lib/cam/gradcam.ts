/**
 * Grad-CAM's weights (Selvaraju et al. 2017), for a side-by-side comparison on the same stage:
 *   w_k = mean over voxels of ∂logit_target/∂A_k
 * The gradient is tf.grad of the target *logit* (pre-softmax, as the paper) w.r.t. the stage
 * activations (activations.ts); the spatial mean is a matMul on the rank-2 view [d·h·w, C], never a
 * reduction over non-last axes of a rank-5 tensor. The rest (Σ w_k A_k, ReLU, upsample) is the
 * shared pipeline (compute.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { now } from '../util/async';
import { targetGradient } from './activations';
import { allChannels, type ChannelWeights, type WeightsContext } from './types';

export async function gradCamWeights(ctx: WeightsContext): Promise<ChannelWeights> {
  const t = now();
  ctx.opts.onProgress?.(0, 1);
  const { shape, channels } = ctx.act;
  const m = shape[0] * shape[1] * shape[2];
  const wT = tf.tidy(() => tf.matMul(tf.fill([1, m], 1 / m), targetGradient(ctx.model, ctx.act, ctx.target))); // [1, C] spatial mean
  try {
    const weights = Float32Array.from(await wT.data());
    ctx.opts.onProgress?.(1, 1);
    return { weights, channels: allChannels(channels), forwardMs: now() - t, forwardInputs: 0 };
  } finally {
    wT.dispose();
  }
}
