/**
 * An inference-only copy of a trained ResNet3d: batch norm folded into the convolutions and, on the
 * conv2d formulation, each 3D convolution run as TWO conv2d kernels and nothing else.
 *
 * Why: profiled with tf.profile (shipped model, wasm, batch 8), the training formulation spends
 * more time outside the convolutions than in them: kd depth slices copied per convolution (the
 * Slice kernel), kd − 1 adds of the partial sums, and batch norm's multiply and add, each over a
 * whole 5-D output. Here
 *   - batch norm is folded once: W' = W·γ/√(σ²+ε), b = β − μ·γ/√(σ²+ε) (per output channel);
 *   - im2col along depth is itself a convolution: the input seen as a 2-D image [n, d, h·w·ci, 1]
 *     is convolved with a [kd, 1] one-hot "shift" filter bank (stride s along depth, 'same'), which
 *     writes out[b, o, p, k] = x[b, o·s + k − pad, p]: every output depth's kd input planes,
 *     interleaved per channel, zero-padded at the ends, in ONE kernel ([n·outD, h, w, ci·kd]);
 *   - then ONE fused conv2d with the [kh, kw, ci·kd, co] filter does the whole 3D convolution,
 *     bias and ReLU inside XNNPACK's kernel (tf.fused.conv2d).
 * The shift conv replaced a pad, kd slices, a stack and a transpose (4 copies); `npm run bench`
 * measures the result against the training model. A strided 1×1×1 shortcut runs on its block's
 * conv1 columns (they hold the planes it reads), so it needs no depth-subsampling copy.
 * Where the backend's native conv3d is the faster formulation (cpu), tf.conv3d + bias + ReLU.
 *
 * The training path (ResNet3d, conv3d.ts, batchnorm.ts) is untouched; gradients through this
 * model are not supported on wasm (Grad-CAM keeps the training model). Only for fixed weights:
 * build it again after the source model's weights change.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON } from './batchnorm';
import { conv3dFormulationFor, depthIm2col, im2colFilter, nativeIsUnsafe, samePadding, shiftFilter } from './conv3d';
import type { ResNet3d, ResNet3dConfig } from './resnet3d';

/** What Score-CAM and the curves need of a model: ResNet3d and FusedResNet3d both provide it. */
export interface ForwardModel {
  readonly config: ResNet3dConfig;
  /** The activations of stage `index` (0 = stem). */
  activations(x: tf.Tensor, index: number): tf.Tensor5D;
  /** Stages after `after` and the head → logits. */
  fromStage(after: number, a: tf.Tensor5D): tf.Tensor2D;
  /** Softmax probabilities of a batch [N,S,S,S] or [N,S,S,S,1]. */
  predict(x: tf.Tensor): tf.Tensor2D;
  dispose(): void;
}

interface FusedConv {
  /** [kd, kh, kw, ci, co], batch norm folded (the native conv3d path). */
  w3: tf.Tensor5D;
  /** [kh, kw, ci·kd, co], batch norm folded (the im2col conv2d path; channels ci-major). */
  w2: tf.Tensor4D;
  bias: tf.Tensor1D;
  /** [1,1,1,1,co]: a 1-D bias added to a 5-D tensor is wrong on tfjs-webgpu. */
  bias5: tf.Tensor5D;
  kd: number;
  stride: number;
}

interface FusedBlock {
  conv1: FusedConv;
  conv2: FusedConv;
  shortcut?: FusedConv;
  /**
   * A strided 1×1×1 shortcut as a 1×1 conv2d over conv1's im2col columns (see `stage`):
   * [1, 1, ci·kd, co], zero except channel c·kd + lo (the plane the shortcut reads).
   */
  shortcutOnCols?: tf.Tensor4D;
}

/** One convolution's input as im2col columns along depth ([n·outD, h, w, ci·kd]). */
interface Im2col {
  cols: tf.Tensor4D;
  outD: number;
  n: number;
}

/**
 * The [1, 1, ci, co] filter of a 1×1×1 conv, spread over im2col columns of depth kernel `kd`
 * whose slot `lo` holds the plane it reads: [1, 1, ci·kd, co], zero elsewhere (channels ci-major,
 * as `im2colFilter` orders them).
 */
function shortcutOnColsFilter(w2: tf.Tensor4D, kd: number, lo: number): tf.Tensor4D {
  const [, , ci, co] = w2.shape;
  return tf.tidy(() => {
    const one = tf.reshape(tf.oneHot(tf.tensor1d([lo], 'int32'), kd), [1, kd, 1]); // [1, kd, 1]
    const spread = tf.mul(tf.reshape(w2, [ci, 1, co]), one); // [ci, kd, co]
    return tf.reshape(spread, [1, 1, ci * kd, co]) as tf.Tensor4D;
  });
}

/** The variables of one conv + batch-norm pair in a ResNet3d, by name. */
function foldConvBn(src: ResNet3d, name: string, stride: number): FusedConv {
  const v = (k: string) => {
    const t = src.variables.get(`${name}.${k}`);
    if (!t) throw new Error(`fused model: the source model has no variable '${name}.${k}'`);
    return t;
  };
  const t = tf.tidy(() => {
    const w = v('w') as tf.Tensor5D;
    const scale = tf.mul(v('bn.gamma'), tf.rsqrt(tf.add(v('bn.moving_var'), BN_EPSILON)));
    const bias = tf.sub(v('bn.beta'), tf.mul(v('bn.moving_mean'), scale)) as tf.Tensor1D;
    const w3 = tf.mul(w, tf.reshape(scale, [1, 1, 1, 1, -1])) as tf.Tensor5D;
    const co = w.shape[4];
    const w2 = im2colFilter(w3);
    const bias5 = tf.reshape(bias, [1, 1, 1, 1, co]) as tf.Tensor5D;
    return { w3, w2, bias, bias5 };
  });
  return { ...t, kd: src.variables.get(`${name}.w`)!.shape[0], stride };
}

export class FusedResNet3d implements ForwardModel {
  readonly config: ResNet3dConfig;
  private readonly stemConv: FusedConv;
  private readonly stages: FusedBlock[][];
  private readonly fcW: tf.Tensor2D;
  private readonly fcB: tf.Tensor2D;
  private readonly owned: tf.Tensor[] = [];

  /** shiftFilter(kd) per depth kernel size, made once (XNNPACK caches its operator by filter). */
  private readonly shifts = new Map<number, tf.Tensor4D>();

  /** The training model it was made from (Grad-CAM needs its gradients). */
  readonly source: ResNet3d;

  constructor(src: ResNet3d) {
    this.source = src;
    this.config = src.config;
    const c = src.config;
    const fold = (name: string, stride: number) => {
      const f = foldConvBn(src, name, stride);
      this.owned.push(f.w3, f.w2, f.bias, f.bias5);
      if (!this.shifts.has(f.kd)) {
        const shift = shiftFilter(f.kd);
        this.shifts.set(f.kd, shift);
        this.owned.push(shift);
      }
      return f;
    };
    this.stemConv = fold('stem', c.stemStride);
    // each stage's input depth (the input size is fixed: `stem` refuses any other)
    let depth = samePadding(c.inputSize, c.stemKernel, c.stemStride).out;
    this.stages = c.widths.map((_, si) => {
      const blocks: FusedBlock[] = [];
      for (let bi = 0; src.variables.has(`stage${si + 1}.${bi}.conv1.w`); bi++) {
        const name = `stage${si + 1}.${bi}`;
        const stride = bi === 0 ? c.stageStrides[si] : 1;
        const block: FusedBlock = { conv1: fold(`${name}.conv1`, stride), conv2: fold(`${name}.conv2`, 1) };
        if (src.variables.has(`${name}.shortcut.w`)) {
          block.shortcut = fold(`${name}.shortcut`, stride);
          if (block.shortcut.kd === 1 && stride > 1) {
            block.shortcutOnCols = shortcutOnColsFilter(block.shortcut.w2, block.conv1.kd, samePadding(depth, block.conv1.kd, stride).lo);
            this.owned.push(block.shortcutOnCols);
          }
        }
        blocks.push(block);
        depth = samePadding(depth, 3, stride).out;
      }
      return blocks;
    });
    this.fcW = tf.clone(src.variables.get('fc.w')!) as tf.Tensor2D;
    this.fcB = tf.clone(src.variables.get('fc.b')!) as tf.Tensor2D;
    this.owned.push(this.fcW, this.fcB);
  }

  /** Whether layer `l` runs as tf.conv3d on this backend (else im2col + one fused conv2d). */
  private native(l: FusedConv): boolean {
    return conv3dFormulationFor(tf.getBackend()) === 'native' && !nativeIsUnsafe(l.w3.shape, l.stride, 'same');
  }

  /** conv3d ('same' padding) + folded batch norm (+ ReLU), as one fused conv2d where possible. */
  private conv(x: tf.Tensor5D, l: FusedConv, relu: boolean): tf.Tensor5D {
    if (this.native(l)) {
      const y = tf.add(tf.conv3d(x, l.w3, l.stride, 'same'), l.bias5) as tf.Tensor5D;
      return relu ? tf.relu(y) : y;
    }
    return this.convOnCols(this.im2col(x, l), l, l.w2, relu);
  }

  private im2col(x: tf.Tensor5D, l: FusedConv): Im2col {
    return { ...depthIm2col(x, l.kd, l.stride, 'same', this.shifts.get(l.kd)), n: x.shape[0] };
  }

  /** The fused conv2d of layer `l` (with `filter`, its own or the shortcut's on conv1's columns). */
  private convOnCols(c: Im2col, l: FusedConv, filter: tf.Tensor4D, relu: boolean): tf.Tensor5D {
    const y = tf.fused.conv2d({ x: c.cols, filter, strides: l.stride, pad: 'same', bias: l.bias, activation: relu ? 'relu' : 'linear' });
    const [, ho, wo, co] = y.shape;
    return tf.reshape(y, [c.n, c.outD, ho, wo, co]);
  }

  stem(x: tf.Tensor): tf.Tensor5D {
    const s = this.config.inputSize;
    const x5 = (x.rank === 4 ? tf.expandDims(x, 4) : x) as tf.Tensor5D;
    if (x5.shape[1] !== s || x5.shape[2] !== s || x5.shape[3] !== s || x5.shape[4] !== 1) {
      throw new Error(`model expects input N×${s}×${s}×${s}(×1), got ${x.shape.join('×')}`);
    }
    return this.conv(x5, this.stemConv, true);
  }

  stage(index: number, a: tf.Tensor5D): tf.Tensor5D {
    const blocks = this.stages[index - 1];
    if (!blocks) throw new Error(`stage must be 1-4, got ${index}`);
    let h = a;
    for (const b of blocks) {
      let y: tf.Tensor5D;
      let skip: tf.Tensor5D = h;
      if (b.shortcutOnCols && !this.native(b.conv1)) {
        // A strided 1×1×1 shortcut reads input plane o·s, which conv1's columns already hold
        // (as channel c·kd + lo): a 1×1 conv2d on them with the same stride, instead of a
        // depth-subsampling copy of the block's input of its own (tf.profile of a batch-8
        // forward pass on wasm: that copy took 8 % of it, the most of any copy but the im2col).
        const cols = this.im2col(h, b.conv1);
        y = this.convOnCols(cols, b.conv1, b.conv1.w2, true);
        skip = this.convOnCols(cols, b.shortcut!, b.shortcutOnCols, false);
      } else {
        y = this.conv(h, b.conv1, true);
        if (b.shortcut) skip = this.conv(h, b.shortcut, false);
      }
      const z = this.conv(y, b.conv2, false);
      h = tf.relu(tf.add(z, skip)) as tf.Tensor5D;
    }
    return h;
  }

  head(a: tf.Tensor5D): tf.Tensor2D {
    const pooled = tf.mean(a, [1, 2, 3]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, this.fcW), this.fcB) as tf.Tensor2D;
  }

  fromStage(after: number, a: tf.Tensor5D): tf.Tensor2D {
    let h = a;
    for (let i = after + 1; i <= 4; i++) h = this.stage(i, h);
    return this.head(h);
  }

  activations(x: tf.Tensor, index: number): tf.Tensor5D {
    let h = this.stem(x);
    for (let i = 1; i <= index; i++) h = this.stage(i, h);
    return h;
  }

  forward(x: tf.Tensor): tf.Tensor2D {
    return this.fromStage(0, this.stem(x));
  }

  predict(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => tf.softmax(this.forward(x)));
  }

  dispose(): void {
    tf.dispose(this.owned);
    this.owned.length = 0;
  }
}

/**
 * One forward pass of a zero batch. A pool's helper workers run it before they report ready, so a
 * reader's first CAM does not wait for their one-time costs (XNNPACK builds each operator and
 * packs its weights on first use; the wasm heap grows to a batch's size).
 */
export function warmUp(model: ForwardModel, batch: number): void {
  const s = model.config.inputSize;
  tf.tidy(() => {
    model.predict(tf.zeros([batch, s, s, s])).dataSync();
  });
}

/** The inference model: batch norm folded, fused convolutions. */
export function fuseForInference(src: ResNet3d): FusedResNet3d {
  return new FusedResNet3d(src);
}
