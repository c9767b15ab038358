/** The pipeline's one unmasked forward pass: a stage's activations and the class probabilities. */
import * as tf from '@tensorflow/tfjs';
import type { ForwardModel } from '../model/inference';
import { checkStage, checkVolume } from './common';
import type { StageActivations } from './types';

/**
 * The one unmasked forward pass of a volume: the stage's activations (channel-major) and the class
 * probabilities. Score-CAM and the curves take it (CamOptions.activations, FaithfulnessOptions
 * .unmaskedProbs) instead of running it again.
 */
export async function stageActivations(model: ForwardModel, volume: Float32Array, stage: number): Promise<StageActivations> {
  checkStage(stage);
  const size = checkVolume(model, volume);
  let shape: [number, number, number] = [0, 0, 0];
  let channels = 0;
  const [mapsT, probsT] = tf.tidy(() => {
    const a = model.activations(tf.tensor4d(volume, [1, size, size, size]), stage);
    const p = tf.softmax(model.fromStage(stage, a));
    const [, d, h, w, c] = a.shape;
    shape = [d, h, w];
    channels = c;
    const maps = tf.transpose(tf.reshape(a, [d * h * w, c])); // rank-2 transpose → [C, d·h·w]
    return [maps, p];
  });
  try {
    const maps = (await mapsT.data()) as Float32Array;
    const probs = (await probsT.data()) as Float32Array;
    return { volume, stage, maps, channels, shape, probs };
  } finally {
    mapsT.dispose();
    probsT.dispose();
  }
}

/** The activations back as the stage's tensor [1, d, h, w, C] (the same values). Call inside tf.tidy. */
export function activationTensor(act: StageActivations): tf.Tensor5D {
  const [d, h, w] = act.shape;
  return tf.reshape(tf.transpose(tf.tensor2d(act.maps, [act.channels, d * h * w])), [1, d, h, w, act.channels]);
}

/**
 * ∂logit_target/∂A as [d·h·w, C]: the gradient of the target's *logit* (pre-softmax, as Grad-CAM)
 * w.r.t. the stage's activations, through model.fromStage (the training model: the inference
 * model's fused convolutions have no gradients on wasm). Call inside tf.tidy.
 */
export function targetGradient(model: ForwardModel, act: StageActivations, target: number): tf.Tensor2D {
  const [d, h, w] = act.shape;
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.slice(model.fromStage(act.stage, a as tf.Tensor5D), [0, target], [1, 1])))(activationTensor(act));
  return tf.reshape(g, [d * h * w, act.channels]);
}
