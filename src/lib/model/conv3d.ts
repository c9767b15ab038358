/**
 * A 3D convolution that runs on the backends' optimised 2D convolution.
 *
 * Why: tfjs-backend-wasm's Conv3D is a naive kernel (~0.5-1 GFLOP/s here) whose gradients are
 * wrong, and tfjs-webgpu's Conv3D is a naive program too. A 3D convolution with a kd×kh×kw kernel
 * equals the sum over kernel depth offsets k of a 2D convolution of the input depth slices that
 * offset reads (batched over output depth) with filter[k]. That runs on XNNPACK (wasm) or the
 * matmul-based conv2d (webgl/webgpu). Or, 'im2col': the kd slices interleaved on channels by one
 * "shift" convolution (`depthIm2col`), then ONE conv2d over kd·ci channels (a channel-axis concat
 * was slower on wasm: it copies c values at a time in JavaScript).
 *
 * The only gradient tfjs cannot give us on every backend is conv2d's filter gradient (wasm has no
 * Conv2DBackpropFilter kernel), so `conv2dWithFilterGrad` supplies it, itself as a conv2d, and
 * the input gradient as a conv2d too.
 * Every other op here (pad, slice, reshape, concat, transpose) has a stock gradient.
 */
import * as tf from '@tensorflow/tfjs';

export type Conv3dFormulation = 'mixed' | 'im2col' | 'slice-sum' | 'native';

/**
 * 'mixed' takes im2col (depthIm2col + one conv2d) where a slice's conv2d would be narrow, a 2D
 * kernel over fewer than this many inputs (kh·kw·ci: the stem, ci = 1), and slice-sum elsewhere.
 * Measured with `npm run bench:conv3d` (wasm, batch 4, forward + backward, weights new every call
 * as in training): im2col takes 0.47× slice-sum's time on the stem (K = 9 is a poor GEMM for
 * XNNPACK) but 1.0-1.8× on every wider layer. A 1×1×1 kernel has no depth taps to gather: with
 * stride 1 its im2col is a reshape (no copy: im2col), with a stride its one-hot shift conv and that
 * conv's input gradient cost more than slice-sum's single slice (batch 8, forward + backward,
 * the first stage's shortcut: 1.28× slice-sum's time), so those take slice-sum.
 */
export const IM2COL_MAX_TAPS = 64;
export type Padding = 'same' | 'valid';

/**
 * Which formulation each backend uses, from `npm run bench:conv3d` (scripts/bench-conv3d.ts) on
 * the shipped network's layers at 64³, both measured in the same run:
 * - wasm: slice-sum ~10x faster forward and ~2.5x faster forward+backward than tf.conv3d (whose
 *   gradients are wrong there anyway), and 'mixed' (im2col on the stem) faster again;
 * - cpu: tf.conv3d ~3.5x faster (forward and forward+backward), so native, except where it is
 *   wrong (1×1×1 kernels with stride > 1 and 'same' padding: see `nativeIsUnsafe`).
 * webgl/webgpu: slice-sum (tfjs-webgpu's Conv3D is a naive program; measure in the browser).
 */
const formulationByBackend: Record<string, Conv3dFormulation> = {
  wasm: 'mixed',
  webgpu: 'slice-sum',
  webgl: 'slice-sum',
  cpu: 'native',
};

export function setConv3dFormulation(backend: string, f: Conv3dFormulation): void {
  formulationByBackend[backend] = f;
}

export function conv3dFormulationFor(backend: string): Conv3dFormulation {
  return formulationByBackend[backend] ?? 'slice-sum';
}

/** Whether conv3d runs this filter ([kd, kh, kw, ci, co]) with `stride` as im2col under formulation `f`. */
export function usesIm2col(f: Conv3dFormulation, filterShape: number[], stride: number): boolean {
  const [kd, kh, kw, ci] = filterShape;
  if (f === 'im2col') return true;
  if (f !== 'mixed') return false;
  return kd === 1 ? stride === 1 : kh * kw * ci < IM2COL_MAX_TAPS;
}

/** TensorFlow 'same' padding along one axis: [before, after] and the output length. */
export function samePadding(inSize: number, k: number, stride: number): { lo: number; hi: number; out: number } {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + k - inSize, 0);
  const lo = Math.floor(total / 2);
  return { lo, hi: total - lo, out };
}

/**
 * conv2d with a filter gradient written as a conv2d, so it trains on backends without
 * Conv2DBackpropFilter (wasm). Input gradient: conv2dTranspose (Conv2DBackpropInput).
 */
export function conv2dWithFilterGrad(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: Padding, inputGrad = true): tf.Tensor4D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, wIn, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const x4 = xIn as tf.Tensor4D;
    const w4 = wIn as tf.Tensor4D;
    save([x4, w4]);
    const value = tf.conv2d(x4, w4, stride, pad);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      // The stem's input is the image: nothing upstream needs its gradient.
      const dx = inputGrad ? conv2dInputGrad(dy4, ws, xs.shape, stride, pad) : tf.zerosLike(xs);
      const dw = conv2dFilterGrad(xs, dy4, ws.shape, stride, pad);
      return [dx, dw];
    };
    return { value, gradFunc };
  });
  return op(x, w) as tf.Tensor4D;
}

/**
 * The input gradient of conv2d as a forward conv2d (tfjs-wasm's Conv2DBackpropInput runs 5-10x
 * slower than its Conv2D): dx = correlate(dy dilated by the stride, filter flipped and transposed).
 */
export function conv2dInputGrad(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  xShape: [number, number, number, number],
  stride: number,
  pad: Padding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = w.shape;
    const [n, h, wd] = xShape;
    const [, ho, wo, co] = dy.shape;
    let u: tf.Tensor4D = dy;
    if (stride > 1) {
      // Insert stride-1 zeros after every value along H and W, with rank ≤ 4 pads only.
      const alongW = tf.pad(tf.reshape(dy, [n * ho, wo, 1, co]), [[0, 0], [0, 0], [0, stride - 1], [0, 0]]);
      const rowLen = wo * stride * co;
      const alongH = tf.pad(tf.reshape(alongW, [n, ho, 1, rowLen]), [[0, 0], [0, 0], [0, stride - 1], [0, 0]]);
      u = tf.reshape(alongH, [n, ho * stride, wo * stride, co]) as tf.Tensor4D;
    }
    const loH = pad === 'same' ? samePadding(h, kh, stride).lo : 0;
    const loW = pad === 'same' ? samePadding(wd, kw, stride).lo : 0;
    const edges = (lo: number, k: number, size: number, uLen: number) => {
      const left = k - 1 - lo;
      return { left, right: size + k - 1 - left - uLen };
    };
    const eh = edges(loH, kh, h, u.shape[1]);
    const ew = edges(loW, kw, wd, u.shape[2]);
    // A negative right edge means the forward pass never read the last rows: crop them.
    if (eh.right < 0 || ew.right < 0) {
      u = tf.slice(u, [0, 0, 0, 0], [-1, u.shape[1] + Math.min(0, eh.right), u.shape[2] + Math.min(0, ew.right), -1]);
    }
    const up = tf.pad(u, [[0, 0], [eh.left, Math.max(0, eh.right)], [ew.left, Math.max(0, ew.right)], [0, 0]]);
    const wFlipT = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(up as tf.Tensor4D, wFlipT, 1, 'valid');
  });
}

/**
 * dW[a,b,i,o] = Σ_{n,p,q} xpad[n, p·s+a, q·s+b, i] · dy[n,p,q,o], computed as a dilated conv2d
 * whose batch is the input channels and whose "filter" is dy.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  pad: Padding,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filterShape;
    const [, h, w] = x.shape;
    const [, ho, wo] = dy.shape;
    const padH = pad === 'same' ? samePadding(h, kh, stride).lo : 0;
    const padW = pad === 'same' ? samePadding(w, kw, stride).lo : 0;
    const needH = (ho - 1) * stride + kh;
    const needW = (wo - 1) * stride + kw;
    const xpad = tf.pad(x, [
      [0, 0],
      [padH, Math.max(0, needH - h - padH)],
      [padW, Math.max(0, needW - w - padW)],
      [0, 0],
    ]);
    // Crop what the forward pass never read (valid padding with a remainder).
    const xc = tf.slice(xpad, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const xT = tf.transpose(xc, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, H, W, n]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [ho, wo, n, co]
    const g = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', stride); // [ci, kh, kw, co]
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * The input depth slices that kernel depth offset k reads for every output slice, as a batch of
 * 2D images: [n, d, h, w, c] → kd tensors [n·outD, h, w, c].
 * Everything is done on rank-3 views: tfjs-wasm slices rank ≤ 4 natively but falls back to a
 * JavaScript loop ~50x slower for a non-contiguous rank-5 slice (any batch > 1).
 */
export function depthSlices(x: tf.Tensor5D, kd: number, stride: number, pad: Padding): { slices: tf.Tensor4D[]; outD: number } {
  const [n, d, h, w, c] = x.shape;
  const { lo, out: sameOut } = samePadding(d, kd, stride);
  const outD = pad === 'same' ? sameOut : Math.floor((d - kd) / stride) + 1;
  const before = pad === 'same' ? lo : 0;
  // Enough depth after padding to take outD·stride slices starting at every kernel offset.
  const after = Math.max(0, kd - 1 + outD * stride - d - before);
  const plane = h * w * c;
  const flat = tf.reshape(x, [n, d, plane]);
  const xp = before > 0 || after > 0 ? tf.pad(flat, [[0, 0], [before, after], [0, 0]]) : flat;
  // Fold `stride` consecutive slices into one row, so the slices at offset k, k+s, k+2s… are a
  // single rank-3 slice: row ⌊k/s⌋+o, part k mod s.
  const padded = d + before + after;
  const rows = Math.floor(padded / stride);
  // (tfjs-wasm copies even a slice of the whole tensor: skip it when nothing is cut)
  const kept = rows * stride === padded ? xp : tf.slice(xp, [0, 0, 0], [n, rows * stride, plane]);
  const folded = tf.reshape(kept, [n, rows, stride * plane]);
  const slices: tf.Tensor4D[] = [];
  for (let k = 0; k < kd; k++) {
    const run = tf.slice(folded, [0, Math.floor(k / stride), (k % stride) * plane], [n, outD, plane]);
    slices.push(tf.reshape(run, [n * outD, h, w, c]) as tf.Tensor4D);
  }
  return { slices, outD };
}

/** [kd, 1, 1, kd] one-hot filters: output channel k copies the input row at depth offset k. */
export function shiftFilter(kd: number): tf.Tensor4D {
  return tf.tidy(() => tf.reshape(tf.eye(kd), [kd, 1, 1, kd]) as tf.Tensor4D);
}

/**
 * im2col along depth, as ONE convolution: the input seen as a 2-D image [n, d, h·w·c, 1] convolved
 * with kd one-hot "shift" filters (stride along depth only) gives out[b, o, p, k] =
 * x[b, o·stride + k − pad, p], i.e. every output depth's kd input planes interleaved per channel,
 * zero-padded at the ends: [n·outD, h, w, c·kd], for one conv2d with a [kh, kw, c·kd, co] filter
 * (see `im2colFilter`). One kernel instead of a pad, kd slices and their partial sums. Its input
 * gradient is tfjs's own (Conv2DBackpropInput); the constant filter needs none. `shift` is
 * `shiftFilter(kd)`, made here (and left to the caller's tidy) unless the caller keeps one.
 */
export function depthIm2col(x: tf.Tensor5D, kd: number, stride: number, pad: Padding, shift?: tf.Tensor4D): { cols: tf.Tensor4D; outD: number } {
  const [n, d, h, w, c] = x.shape;
  const outD = pad === 'same' ? samePadding(d, kd, stride).out : Math.floor((d - kd) / stride) + 1;
  if (kd === 1 && stride === 1) return { cols: tf.reshape(x, [n * d, h, w, c]), outD };
  const img = tf.reshape(x, [n, d, h * w * c, 1]) as tf.Tensor4D;
  const shifted = tf.conv2d(img, shift ?? shiftFilter(kd), [stride, 1], pad);
  return { cols: tf.reshape(shifted, [n * outD, h, w, c * kd]) as tf.Tensor4D, outD };
}

/** [kd, kh, kw, ci, co] → [kh, kw, ci·kd, co], the channel order `depthIm2col` writes. */
export function im2colFilter(filter: tf.Tensor5D): tf.Tensor4D {
  const [kd, kh, kw, ci, co] = filter.shape;
  return tf.reshape(tf.transpose(filter, [1, 2, 3, 0, 4]), [kh, kw, ci * kd, co]) as tf.Tensor4D;
}

/**
 * 3D convolution, NDHWC input, [kd, kh, kw, ci, co] filter, the same stride on every axis:
 * Σ_k conv2d(depth slices at offset k, filter[k]). Differentiable on every backend; no bias
 * (the ResNet follows every conv with batch norm).
 */
/**
 * tf.conv3d gives wrong values for a 1×1×1 kernel with stride > 1 and 'same' padding (measured
 * on tfjs-cpu 4.22; the ResNet's downsampling shortcuts): those always take the slice-sum path.
 */
export function nativeIsUnsafe(filterShape: number[], stride: number, pad: Padding): boolean {
  return filterShape[0] === 1 && filterShape[1] === 1 && filterShape[2] === 1 && stride > 1 && pad === 'same';
}

export function conv3d(x: tf.Tensor5D, filter: tf.Tensor5D, stride: number, pad: Padding, inputGrad = true): tf.Tensor5D {
  if (conv3dFormulationFor(tf.getBackend()) === 'native' && !nativeIsUnsafe(filter.shape, stride, pad)) {
    return tf.conv3d(x, filter, stride, pad);
  }
  return tf.tidy(() => {
    const [kd, kh, kw, ci, co] = filter.shape;
    if (x.shape[4] !== ci) throw new Error(`conv3d: input has ${x.shape[4]} channels, filter expects ${ci}`);
    const n = x.shape[0];
    if (usesIm2col(conv3dFormulationFor(tf.getBackend()), filter.shape, stride)) {
      const { cols, outD } = depthIm2col(x, kd, stride, pad);
      const y = conv2dWithFilterGrad(cols, im2colFilter(filter), stride, pad, inputGrad);
      const [, ho, wo] = y.shape;
      return tf.reshape(y, [n, outD, ho, wo, co]) as tf.Tensor5D;
    }
    const { slices, outD } = depthSlices(x, kd, stride, pad);
    const filters = tf.reshape(filter, [kd, kh * kw * ci * co]);
    let y: tf.Tensor4D | null = null;
    for (let k = 0; k < kd; k++) {
      const wk = tf.reshape(tf.slice(filters, [k, 0], [1, -1]), [kh, kw, ci, co]) as tf.Tensor4D;
      const yk = conv2dWithFilterGrad(slices[k], wk, stride, pad, inputGrad);
      y = y ? (tf.add(y, yk) as tf.Tensor4D) : yk;
    }
    const [, ho, wo] = y!.shape;
    return tf.reshape(y!, [n, outD, ho, wo, co]) as tf.Tensor5D;
  });
}
