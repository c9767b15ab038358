/**
 * Grad-CAM++'s weights (Chattopadhay, Sarkar, Howlader & Balasubramanian, "Grad-CAM++: Generalized
 * Gradient-Based Visual Explanations for Deep Convolutional Networks", WACV 2018, Eq. 19), in the
 * usual closed form for an exponential of the logit S (Y = exp(S)), where the second and third
 * derivatives of Y are powers of the first-order gradient g = ∂S/∂A_k (S is piecewise linear in A):
 *   α_v^k = g_v² / (2 g_v² + Σ_u A_u^k · g_v³)     (0 where g_v = 0 or the denominator is 0)
 *   w_k   = Σ_v α_v^k · ReLU(g_v)
 * The factor exp(S) of ∂Y/∂A is the same for every channel and drops out of the normalised CAM, as
 * in pytorch-grad-cam's GradCAMPlusPlus. One backward pass (activations.ts: targetGradient).
 */
import * as tf from '@tensorflow/tfjs';
import { now } from '../util/async';
import { targetGradient } from './activations';
import { allChannels, type ChannelWeights, type WeightsContext } from './types';

export async function gradCamPlusPlusWeights(ctx: WeightsContext): Promise<ChannelWeights> {
  const t = now();
  ctx.opts.onProgress?.(0, 1);
  const gT = tf.tidy(() => targetGradient(ctx.model, ctx.act, ctx.target));
  try {
    const grads = (await gT.data()) as Float32Array;
    ctx.opts.onProgress?.(1, 1);
    return { weights: gradCamPlusPlus(ctx.act.maps, grads, ctx.act.channels), channels: allChannels(ctx.act.channels), forwardMs: now() - t, forwardInputs: 0 };
  } finally {
    gT.dispose();
  }
}

/** The closed form above from the maps [C, m] (channel-major) and the gradients [m, C] (voxel-major). */
export function gradCamPlusPlus(maps: Float32Array, grads: Float32Array, channels: number): Float32Array {
  const m = maps.length / channels;
  const w = new Float32Array(channels);
  for (let k = 0; k < channels; k++) {
    let sumA = 0;
    for (let v = k * m, e = v + m; v < e; v++) sumA += maps[v];
    let wk = 0;
    for (let v = 0; v < m; v++) {
      const g = grads[v * channels + k];
      if (!(g > 0)) continue; // ReLU(g) = 0: no contribution
      const g2 = g * g;
      const den = 2 * g2 + sumA * g2 * g;
      if (den !== 0) wk += (g2 / den) * g;
    }
    w[k] = wk;
  }
  return w;
}
