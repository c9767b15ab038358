/**
 * The uniform-weights control: w_k = 1 for every channel, so the CAM is Σ_k A_k, the stage's total
 * activation, which uses no model output beyond the activations. A method that does no better than
 * this has learnt nothing from its scores or gradients.
 */
import { allChannels, type ChannelWeights, type WeightsContext } from './types';

export async function uniformWeights(ctx: WeightsContext): Promise<ChannelWeights> {
  return { weights: new Float32Array(ctx.act.channels).fill(1), channels: allChannels(ctx.act.channels), forwardMs: 0, forwardInputs: 0 };
}
