/**
 * Batch normalisation for 5-D (NDHWC) tensors: tf.layers.batchNormalization refuses rank 5.
 * Scale and shift are shaped [1,1,1,1,C]: tfjs-webgpu returns wrong values for a 1-D bias
 * broadcast onto a 5-D tensor, without an error.
 */
import * as tf from '@tensorflow/tfjs';
import type { AllGather } from './allgather';

export const BN_EPSILON = 1e-5;
/** Weight of the new batch statistic in the running average (PyTorch's momentum=0.1). */
export const BN_MOMENTUM = 0.1;

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVar: tf.Variable;
}

export function createBatchNorm(channels: number, name: string): BatchNormParams {
  // Inside tidy: a variable shares its initial tensor's data, and that tensor must not outlive it.
  return tf.tidy(() => ({
    gamma: tf.variable(tf.ones([channels]), true, `${name}.gamma`),
    beta: tf.variable(tf.zeros([channels]), true, `${name}.beta`),
    movingMean: tf.variable(tf.zeros([channels]), false, `${name}.moving_mean`),
    movingVar: tf.variable(tf.ones([channels]), false, `${name}.moving_var`),
  }));
}

/** One batch's statistics of one batch-norm layer, recorded during a training forward pass. */
export interface BatchStats {
  p: BatchNormParams;
  count: number;
  mean: tf.Tensor;
  variance: tf.Tensor;
}

const as5 = (t: tf.Tensor) => tf.reshape(t, [1, 1, 1, 1, -1]);

/** Per-channel values of a [1, C] tensor as float64 (for the cross-worker exchange). */
const rowValues = (t: tf.Tensor): Float64Array => Float64Array.from(t.dataSync());

/**
 * Training-mode batch norm on rows [M, C] with a hand-written gradient. Every per-channel sum is
 * a matrix product with a row of ones: reductions over the leading axes, and the gradients of
 * ops broadcasting a per-channel tensor, transpose in JavaScript on tfjs-wasm (~15x slower).
 *
 * With `sync` (data-parallel training), the statistics are those of the whole batch across all
 * workers (synchronised batch norm): each worker's mean and variance are gathered and combined
 * exactly, and the backward pass gathers Σdy and Σdy·x̂ the same way, so every worker computes
 * the gradient the single-worker step would for its own rows. Gamma/beta gradients stay local:
 * the caller sums them over workers.
 */
function batchNormRows(rows: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, out: { mean?: tf.Tensor; variance?: tf.Tensor; count?: number }, sync?: AllGather): tf.Tensor2D {
  const [m, c] = rows.shape;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, gIn, bIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const x = xIn as tf.Tensor2D;
    const avg = tf.fill([1, m], 1 / m) as tf.Tensor2D;
    let mean = tf.matMul(avg, x);
    let variance = tf.matMul(avg, tf.square(tf.sub(x, mean)));
    let total = m;
    if (sync) {
      // Combine (count, mean, biased variance) of every worker: the pooled mean and variance.
      const mine = new Float64Array(1 + 2 * c);
      mine[0] = m;
      mine.set(rowValues(mean), 1);
      mine.set(rowValues(variance), 1 + c);
      const all = sync.allgather(mine);
      total = all.reduce((s, a) => s + a[0], 0);
      const gm = new Float64Array(c);
      const gv = new Float64Array(c);
      for (const a of all) for (let k = 0; k < c; k++) gm[k] += (a[0] * a[1 + k]) / total;
      for (const a of all) for (let k = 0; k < c; k++) gv[k] += (a[0] * (a[1 + c + k] + (a[1 + k] - gm[k]) ** 2)) / total;
      mean = tf.tensor2d(Float32Array.from(gm), [1, c]);
      variance = tf.tensor2d(Float32Array.from(gv), [1, c]);
    }
    const centered = tf.sub(x, mean);
    const inv = tf.rsqrt(tf.add(variance, BN_EPSILON));
    const xhat = tf.mul(centered, inv);
    const g = tf.reshape(gIn, [1, c]);
    save([xhat, inv, g]);
    out.mean = tf.keep(tf.reshape(mean, [c]));
    out.variance = tf.keep(tf.reshape(variance, [c]));
    out.count = total;
    const value = tf.add(tf.mul(xhat, g), tf.reshape(bIn, [1, c]));
    const gradFunc = (dyIn: tf.Tensor, saved: tf.Tensor[]) => {
      const [xh, iv, gm] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const dy = dyIn as tf.Tensor2D;
      const ones = tf.ones([1, m]) as tf.Tensor2D;
      const dbeta = tf.matMul(ones, dy); // [1, C]
      const dgamma = tf.matMul(ones, tf.mul(dy, xh)); // [1, C]
      let sumDy: tf.Tensor = dbeta;
      let sumDyXh: tf.Tensor = dgamma;
      if (sync) {
        const mine = new Float64Array(2 * c);
        mine.set(rowValues(dbeta), 0);
        mine.set(rowValues(dgamma), c);
        const s = new Float64Array(2 * c);
        for (const a of sync.allgather(mine)) for (let k = 0; k < 2 * c; k++) s[k] += a[k];
        sumDy = tf.tensor2d(Float32Array.from(s.subarray(0, c)), [1, c]);
        sumDyXh = tf.tensor2d(Float32Array.from(s.subarray(c)), [1, c]);
      }
      // dx = γ·inv/M · (M·dy − Σdy − x̂·Σ(dy·x̂)), M and the sums over the whole batch
      const scale = tf.div(tf.mul(gm, iv), total);
      const dx = tf.mul(tf.sub(tf.sub(tf.mul(dy, total), sumDy), tf.mul(xh, sumDyXh)), scale);
      return [dx, tf.reshape(dgamma, [c]), tf.reshape(dbeta, [c])];
    };
    return { value, gradFunc };
  });
  return op(rows, gamma, beta) as tf.Tensor2D;
}

/**
 * Training mode normalises with the batch's statistics and records them (in `stats`) so the
 * caller can update the running averages outside the gradient tape; inference mode uses the
 * running averages.
 */
export function batchNorm(x: tf.Tensor5D, p: BatchNormParams, training: boolean, stats?: BatchStats[], sync?: AllGather): tf.Tensor5D {
  if (!training) {
    const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.movingVar, BN_EPSILON)));
    const shift = tf.sub(p.beta, tf.mul(p.movingMean, scale));
    return tf.add(tf.mul(x, as5(scale)), as5(shift)) as tf.Tensor5D;
  }
  const c = x.shape[4];
  const out: { mean?: tf.Tensor; variance?: tf.Tensor; count?: number } = {};
  const y = batchNormRows(tf.reshape(x, [x.size / c, c]) as tf.Tensor2D, p.gamma, p.beta, out, sync);
  if (stats) stats.push({ p, count: out.count!, mean: out.mean!, variance: out.variance! });
  else tf.dispose([out.mean!, out.variance!]);
  return tf.reshape(y, x.shape) as tf.Tensor5D;
}

/** Folds a batch's statistics into the running averages (unbiased variance, as PyTorch does). */
export function updateRunningStats(stats: BatchStats[]): void {
  stats.forEach(({ p, mean, variance, count: n }) => {
    tf.tidy(() => {
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      p.movingMean.assign(tf.add(tf.mul(p.movingMean, 1 - BN_MOMENTUM), tf.mul(mean, BN_MOMENTUM)));
      p.movingVar.assign(tf.add(tf.mul(p.movingVar, 1 - BN_MOMENTUM), tf.mul(unbiased, BN_MOMENTUM)));
    });
    mean.dispose();
    variance.dispose();
  });
}
