/**
 * Trilinear upsampling in TensorFlow.js (tfjs has no 3D resize), with PyTorch's
 * `align_corners=False` convention, as separable linear maps run as matrix products:
 *
 *   maps [C, d, h, w] → reshape [C·d, h·w] · K_yx [h·w, H·W]   (K_yx = M_y ⊗ M_x, Kronecker)
 *                     → transpose [d, C·H·W], M_z [D, d] · (·) → [D, C, H·W] → transpose [C, D, H·W]
 *
 * Every op is a 2-D matMul, a reshape or a rank-3 transpose: no rank-5 slices/transposes, no
 * batched matMul and no reductions over non-last axes (all slow on tfjs-wasm).
 *
 * The 1-D interpolation matrices are *built by* `resizeTrilinear` (src/lib/data/volume.ts) applied
 * to unit vectors, so there is one implementation of the interpolation rule in the project.
 */
import * as tf from '@tensorflow/tfjs';
import { resizeTrilinear } from '../data/volume';

const matrixCache = new Map<string, Float32Array>();

/** The [N, n] (row-major) matrix M with resize1d(v) = M·v, align_corners=False. */
export function interpolationMatrix(n: number, N: number): Float32Array {
  const key = `${n}>${N}`;
  let m = matrixCache.get(key);
  if (!m) {
    m = new Float32Array(N * n);
    const e = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      e.fill(0);
      e[i] = 1;
      const col = resizeTrilinear(e, [1, 1, n], [1, 1, N]);
      for (let j = 0; j < N; j++) m[j * n + i] = col[j];
    }
    matrixCache.set(key, m);
  }
  return m;
}

/** K[(y·w + x), (Y·W + X)] = M_y[Y, y] · M_x[X, x]: the in-plane resize as one [h·w, H·W] matrix. */
function planeMatrix(h: number, w: number, H: number, W: number): Float32Array {
  const key = `yx:${h},${w}>${H},${W}`;
  let k = matrixCache.get(key);
  if (!k) {
    const my = interpolationMatrix(h, H);
    const mx = interpolationMatrix(w, W);
    k = new Float32Array(h * w * H * W);
    const HW = H * W;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const row = (y * w + x) * HW;
        for (let Y = 0; Y < H; Y++) {
          const a = my[Y * h + y];
          if (a === 0) continue;
          for (let X = 0; X < W; X++) k[row + Y * W + X] = a * mx[X * w + x];
        }
      }
    matrixCache.set(key, k);
  }
  return k;
}

/**
 * The tensors of one resize, made once and reused over many batches (Score-CAM upsamples 16-128
 * maps of the same size). Call `dispose()` when done.
 */
export class Upsampler {
  readonly inShape: [number, number, number];
  readonly outShape: [number, number, number];
  private readonly kyx: tf.Tensor2D;
  private readonly mz: tf.Tensor2D;

  constructor(inShape: readonly [number, number, number] | number[], outShape: readonly [number, number, number] | number[]) {
    this.inShape = [inShape[0], inShape[1], inShape[2]];
    this.outShape = [outShape[0], outShape[1], outShape[2]];
    const [d, h, w] = this.inShape;
    const [D, H, W] = this.outShape;
    this.kyx = tf.tensor2d(planeMatrix(h, w, H, W), [h * w, H * W]);
    this.mz = tf.tensor2d(interpolationMatrix(d, D), [D, d]);
  }

  /** [C, d·h·w] (or any shape with C·d·h·w values) → [C, D·H·W]. */
  apply(maps: tf.Tensor): tf.Tensor2D {
    const [d, h, w] = this.inShape;
    const [D, H, W] = this.outShape;
    const c = maps.size / (d * h * w);
    if (!Number.isInteger(c)) throw new Error(`upsample: ${maps.shape.join('×')} is not a stack of ${d}×${h}×${w} maps`);
    return tf.tidy(() => {
      const yx = tf.matMul(tf.reshape(maps, [c * d, h * w]), this.kyx); // [c·d, H·W]
      if (d === D && d === 1) return tf.reshape(yx, [c, H * W]) as tf.Tensor2D;
      if (c === 1) return tf.reshape(tf.matMul(this.mz, yx), [1, D * H * W]) as tf.Tensor2D;
      // The depth step as ONE 2-D product over every map's columns: M_z [D, d] · [d, c·H·W].
      // A batched matMul (M_z tiled c times) runs as a naive loop on tfjs-wasm, 3-7x slower than
      // these two transposes and one product (npm run bench); the same sums, in the same order.
      const cols = tf.reshape(tf.transpose(tf.reshape(yx, [c, d, H * W]), [1, 0, 2]), [d, c * H * W]);
      const z = tf.reshape(tf.matMul(this.mz, cols), [D, c, H * W]);
      return tf.reshape(tf.transpose(z, [1, 0, 2]), [c, D * H * W]) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.kyx.dispose();
    this.mz.dispose();
  }
}

/** maps [C, d, h, w] → [C, D, H, W], trilinear, align_corners=False (matches `resizeTrilinear`). */
export function upsampleTrilinear(maps: tf.Tensor, size: [number, number, number]): tf.Tensor {
  if (maps.rank !== 4) throw new Error(`upsampleTrilinear expects [C, d, h, w], got ${maps.shape.join('×')}`);
  const [c, d, h, w] = maps.shape;
  const up = new Upsampler([d, h, w], size);
  try {
    return tf.tidy(() => tf.reshape(up.apply(maps), [c, ...size]));
  } finally {
    up.dispose();
  }
}
