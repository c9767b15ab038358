/**
 * A 3D ResNet (basic blocks, after Hara et al. 2017) written on plain tf.Variables, so every stage's
 * activations are reachable: Score-CAM and Grad-CAM split the forward pass at any stage.
 *
 * Tensors are NDHWC. The input is a uint8 CT crop scaled to [0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { conv3d } from './conv3d';
import { batchNorm, createBatchNorm, type BatchNormParams, type BatchStats } from './batchnorm';
import type { AllGather } from './allgather';
import { parameterCount } from './parameters';

export type ResNetDepth = 10 | 18 | 34;

export interface ResNet3dConfig {
  depth: ResNetDepth;
  /** Channels of stages 1-4. */
  widths: [number, number, number, number];
  stemChannels: number;
  stemKernel: number;
  stemStride: number;
  /** Stride of the first block of each stage. */
  stageStrides: [number, number, number, number];
  inputSize: number;
  numClasses: number;
}

export const BLOCKS_PER_STAGE: Record<ResNetDepth, [number, number, number, number]> = {
  10: [1, 1, 1, 1],
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
};

/**
 * The shipped family: widths 16·m … 128·m, a 3³ stride-2 stem and strides 2,2,2,1, so a 64³ input
 * gives stages of 16³, 8³, 4³ and 4³ (a 4³ last stage is the coarsest a CAM is worth showing;
 * the Hara stem with max-pool would leave 2³).
 */
export function resnetConfig(depth: ResNetDepth, widthMultiplier = 1, inputSize = 64, numClasses = 11): ResNet3dConfig {
  const w = (c: number) => Math.max(1, Math.round(c * widthMultiplier));
  return {
    depth,
    widths: [w(16), w(32), w(64), w(128)],
    stemChannels: w(16),
    stemKernel: 3,
    stemStride: 2,
    stageStrides: [2, 2, 2, 1],
    inputSize,
    numClasses,
  };
}

/** Spatial size of each stage's output for the configured input. */
export function stageSizes(c: ResNet3dConfig): number[] {
  let s = Math.ceil(c.inputSize / c.stemStride);
  return c.stageStrides.map((st) => (s = Math.ceil(s / st)));
}

interface ConvBn {
  w: tf.Variable;
  bn: BatchNormParams;
}

interface Block {
  conv1: ConvBn;
  conv2: ConvBn;
  shortcut?: ConvBn;
  stride: number;
}

export interface ForwardOptions {
  training?: boolean;
  /** Filled with batch statistics in training mode, for the running-average update. */
  stats?: BatchStats[];
  /** Data-parallel training: batch-norm statistics over every worker's rows (see batchnorm.ts). */
  sync?: AllGather;
}

/** He-normal (fan-out) initialisation, as torchvision's ResNets use. */
function heNormal(shape: number[], fanOut: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', seed);
}

export class ResNet3d {
  readonly config: ResNet3dConfig;
  private readonly stemLayer: ConvBn;
  private readonly stages: Block[][];
  private readonly fcW: tf.Variable;
  private readonly fcB: tf.Variable;
  /** Every variable by a stable name; the order is the serialisation order. */
  readonly variables: Map<string, tf.Variable> = new Map();

  constructor(config: ResNet3dConfig, seed = 1) {
    this.config = config;
    let s = seed;
    const convBn = (name: string, k: number, cin: number, cout: number): ConvBn => {
      // tidy: the variable keeps the data; its initial tensor must not outlive it (a leak per model).
      const w = tf.tidy(() => tf.variable(heNormal([k, k, k, cin, cout], k * k * k * cout, s++), true, `${name}.w`));
      const bn = createBatchNorm(cout, `${name}.bn`);
      this.register(w, bn);
      return { w, bn };
    };
    this.stemLayer = convBn('stem', config.stemKernel, 1, config.stemChannels);
    let cin = config.stemChannels;
    this.stages = BLOCKS_PER_STAGE[config.depth].map((blocks, si) => {
      const cout = config.widths[si];
      return Array.from({ length: blocks }, (_, bi) => {
        const stride = bi === 0 ? config.stageStrides[si] : 1;
        const name = `stage${si + 1}.${bi}`;
        const block: Block = {
          conv1: convBn(`${name}.conv1`, 3, cin, cout),
          conv2: convBn(`${name}.conv2`, 3, cout, cout),
          stride,
        };
        if (stride !== 1 || cin !== cout) block.shortcut = convBn(`${name}.shortcut`, 1, cin, cout);
        cin = cout;
        return block;
      });
    });
    const limit = Math.sqrt(6 / (cin + config.numClasses));
    this.fcW = tf.tidy(() => tf.variable(tf.randomUniform([cin, config.numClasses], -limit, limit, 'float32', s++), true, 'fc.w'));
    this.fcB = tf.tidy(() => tf.variable(tf.zeros([1, config.numClasses]), true, 'fc.b'));
    this.register(this.fcW, this.fcB);
  }

  private register(...items: Array<tf.Variable | BatchNormParams>): void {
    for (const it of items) {
      const vars = it instanceof tf.Variable ? [it] : [it.gamma, it.beta, it.movingMean, it.movingVar];
      for (const v of vars) this.variables.set(v.name, v);
    }
  }

  trainableVariables(): tf.Variable[] {
    return [...this.variables.values()].filter((v) => v.trainable);
  }

  private convBn(x: tf.Tensor5D, l: ConvBn, stride: number, o: ForwardOptions, inputGrad = true): tf.Tensor5D {
    return batchNorm(conv3d(x, l.w as tf.Tensor5D, stride, 'same', inputGrad), l.bn, !!o.training, o.stats, o.sync);
  }

  /** [N,S,S,S] or [N,S,S,S,1] in [0,1] → the stem's output. */
  stem(x: tf.Tensor, o: ForwardOptions = {}): tf.Tensor5D {
    const s = this.config.inputSize;
    const x5 = (x.rank === 4 ? tf.expandDims(x, 4) : x) as tf.Tensor5D;
    if (x5.shape[1] !== s || x5.shape[2] !== s || x5.shape[3] !== s || x5.shape[4] !== 1) {
      throw new Error(`model expects input N×${s}×${s}×${s}(×1), got ${x.shape.join('×')}`);
    }
    return tf.relu(this.convBn(x5, this.stemLayer, this.config.stemStride, o, false));
  }

  /** Runs stage `index` (1-4) on the previous stage's (or the stem's) output. */
  stage(index: number, a: tf.Tensor5D, o: ForwardOptions = {}): tf.Tensor5D {
    const blocks = this.stages[index - 1];
    if (!blocks) throw new Error(`stage must be 1-4, got ${index}`);
    let h = a;
    for (const b of blocks) {
      const y = tf.relu(this.convBn(h, b.conv1, b.stride, o));
      const z = this.convBn(y, b.conv2, 1, o);
      const skip = b.shortcut ? this.convBn(h, b.shortcut, b.stride, o) : h;
      h = tf.relu(tf.add(z, skip)) as tf.Tensor5D;
    }
    return h;
  }

  /** Global average pooling and the linear classifier: stage-4 activations → logits. */
  head(a: tf.Tensor5D): tf.Tensor2D {
    const pooled = tf.mean(a, [1, 2, 3]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.fcW as tf.Tensor2D), this.fcB) as tf.Tensor2D;
  }

  /** Stages `after+1`…4 and the head: the activations of stage `after` (0 = stem) → logits. */
  fromStage(after: number, a: tf.Tensor5D, o: ForwardOptions = {}): tf.Tensor2D {
    let h = a;
    for (let i = after + 1; i <= 4; i++) h = this.stage(i, h, o);
    return this.head(h);
  }

  /** The activations of stage `index` (0 = stem). */
  activations(x: tf.Tensor, index: number, o: ForwardOptions = {}): tf.Tensor5D {
    let h = this.stem(x, o);
    for (let i = 1; i <= index; i++) h = this.stage(i, h, o);
    return h;
  }

  /** Logits for a batch. */
  forward(x: tf.Tensor, o: ForwardOptions = {}): tf.Tensor2D {
    return this.fromStage(0, this.stem(x, o), o);
  }

  /** Softmax probabilities for a batch, in inference mode. */
  predict(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.forward(x)));
  }

  parameterCount(): number {
    return parameterCount([...this.variables.values()].map((v) => ({ name: v.name, shape: v.shape })));
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}
