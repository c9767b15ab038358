/**
 * Volume utilities shared by data, model and CAM code. Pure TypeScript (browser + Node).
 *
 * Layout convention: a volume is a flat typed array in C order [D][H][W] = [z][y][x],
 * with `shape = [d, h, w]`. Index of (z, y, x) is `(z * h + y) * w + x`.
 */

export type Shape3 = [number, number, number] | readonly [number, number, number];
export type VolumeLike = Float32Array | Uint8Array | Float64Array | Int16Array | Uint16Array | Int32Array;

interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array; // weight of i1
}

function axisTable(inN: number, outN: number, alignCorners: boolean): AxisTable {
  const i0 = new Int32Array(outN);
  const i1 = new Int32Array(outN);
  const f = new Float32Array(outN);
  for (let o = 0; o < outN; o++) {
    let s: number;
    if (alignCorners) s = outN > 1 ? (o * (inN - 1)) / (outN - 1) : 0;
    else {
      s = ((o + 0.5) * inN) / outN - 0.5;
      if (s < 0) s = 0;
    }
    let a = Math.floor(s);
    if (a > inN - 1) a = inN - 1;
    const b = a + 1 < inN ? a + 1 : inN - 1;
    i0[o] = a;
    i1[o] = b;
    f[o] = b === a ? 0 : s - a;
  }
  return { i0, i1, f };
}

/**
 * Trilinear resize of a [d,h,w] volume to [D,H,W].
 *
 * Semantics: PyTorch `F.interpolate(mode='trilinear', align_corners=False)` (half-pixel
 * centres, source coordinate `(o + 0.5) * in/out - 0.5`, clamped at 0 and at the last
 * sample; no antialiasing when downsampling). Pass `alignCorners: true` for the
 * align_corners=True mapping `o * (in-1)/(out-1)` (scipy.ndimage.zoom order=1 ≈ this, grid_mode=False).
 */
export function resizeTrilinear(
  src: ArrayLike<number>,
  inShape: Shape3,
  outShape: Shape3,
  opts: { alignCorners?: boolean; out?: Float32Array } = {},
): Float32Array {
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  return sampleTrilinear(src, inShape, outShape, [all(outShape[0]), all(outShape[1]), all(outShape[2])], opts);
}

/**
 * The values `resizeTrilinear(src, inShape, outShape)` has at the output voxels (z, y, x) for z in
 * `at[0]`, y in `at[1]`, x in `at[2]`, in that C order, computed by the same arithmetic (so equal
 * bit for bit), without the rest of the volume: e.g. one plane, or the candidates of
 * `trilinearExtent`.
 */
export function sampleTrilinear(
  src: ArrayLike<number>,
  inShape: Shape3,
  outShape: Shape3,
  at: readonly [readonly number[], readonly number[], readonly number[]],
  opts: { alignCorners?: boolean; out?: Float32Array } = {},
): Float32Array {
  const [d, h, w] = inShape;
  const [D, H, W] = outShape;
  if (src.length !== d * h * w) throw new RangeError(`resizeTrilinear: src length ${src.length} ≠ ${d}×${h}×${w}`);
  const [zs, ys, xs] = at;
  const out = opts.out ?? new Float32Array(zs.length * ys.length * xs.length);
  const ac = opts.alignCorners ?? false;
  const tz = axisTable(d, D, ac);
  const ty = axisTable(h, H, ac);
  const tx = axisTable(w, W, ac);
  const hw = h * w;
  // x-interpolated rows are computed on the fly
  let o = 0;
  for (const z of zs) {
    const z0 = tz.i0[z] * hw;
    const z1 = tz.i1[z] * hw;
    const fz = tz.f[z];
    const gz = 1 - fz;
    for (const y of ys) {
      const y0 = ty.i0[y] * w;
      const y1 = ty.i1[y] * w;
      const fy = ty.f[y];
      const gy = 1 - fy;
      const r00 = z0 + y0;
      const r01 = z0 + y1;
      const r10 = z1 + y0;
      const r11 = z1 + y1;
      const w00 = gz * gy;
      const w01 = gz * fy;
      const w10 = fz * gy;
      const w11 = fz * fy;
      for (let k = 0; k < xs.length; k++) {
        const x = xs[k];
        const a = tx.i0[x];
        const b = tx.i1[x];
        const fx = tx.f[x];
        const gx = 1 - fx;
        out[o++] =
          w00 * (gx * src[r00 + a] + fx * src[r00 + b]) +
          w01 * (gx * src[r01 + a] + fx * src[r01 + b]) +
          w10 * (gx * src[r10 + a] + fx * src[r10 + b]) +
          w11 * (gx * src[r11 + a] + fx * src[r11 + b]);
      }
    }
  }
  return out;
}

/**
 * The least and greatest value of `resizeTrilinear(src, inShape, outShape)` (align_corners=False),
 * from a few voxels: along each axis, the output voxels between two source samples (a run of the
 * same pair) have a weight that rises linearly (or stays fixed where clamped), so on each box of
 * runs the resize is multilinear in the voxel's position and takes its extremes at the box's
 * corners: the first and last voxel of every run. (4³ → 64³: 1000 voxels instead of 262 144.)
 */
export function trilinearExtent(src: ArrayLike<number>, inShape: Shape3, outShape: Shape3): { min: number; max: number } {
  const ends = (inN: number, outN: number) => {
    const t = axisTable(inN, outN, false);
    const idx: number[] = [];
    for (let o = 0; o < outN; o++) {
      const first = o === 0 || t.i0[o] !== t.i0[o - 1];
      const last = o === outN - 1 || t.i0[o] !== t.i0[o + 1];
      if (first || last) idx.push(o);
    }
    return idx;
  };
  const v = sampleTrilinear(src, inShape, outShape, [ends(inShape[0], outShape[0]), ends(inShape[1], outShape[1]), ends(inShape[2], outShape[2])]);
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

function gaussianKernel(sigma: number, truncate = 3): Float32Array {
  const r = Math.max(1, Math.ceil(truncate * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + r] = v;
    s += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Reflect index into [0, n) — scipy 'reflect' (half-sample symmetric: d c b a | a b c d). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  i = ((i % period) + period) % period;
  return i < n ? i : period - 1 - i;
}

/** 1-D convolution along one axis of a [d,h,w] volume (in → out). */
function convolveAxis(
  src: Float32Array,
  dst: Float32Array,
  shape: Shape3,
  axis: 0 | 1 | 2,
  k: Float32Array,
): void {
  const [d, h, w] = shape;
  const n = axis === 0 ? d : axis === 1 ? h : w;
  const stride = axis === 0 ? h * w : axis === 1 ? w : 1;
  const r = (k.length - 1) >> 1;
  const line = new Float32Array(n + 2 * r);
  const idx = new Int32Array(n + 2 * r);
  for (let i = 0; i < n + 2 * r; i++) idx[i] = reflectIndex(i - r, n);
  const outerA = axis === 0 ? h * w : axis === 1 ? d : d * h;
  for (let a = 0; a < outerA; a++) {
    const base = axis === 0 ? a : axis === 1 ? a * h * w : a * w;
    if (axis === 1) {
      // a = z slice; iterate over x columns
      for (let x = 0; x < w; x++) {
        const b = base + x;
        for (let i = 0; i < n + 2 * r; i++) line[i] = src[b + idx[i] * stride];
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < k.length; j++) s += k[j] * line[i + j];
          dst[b + i * stride] = s;
        }
      }
      continue;
    }
    for (let i = 0; i < n + 2 * r; i++) line[i] = src[base + idx[i] * stride];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k.length; j++) s += k[j] * line[i + j];
      dst[base + i * stride] = s;
    }
  }
}

/**
 * Separable 3-D Gaussian blur. `sigma` in voxels, scalar or [sz, sy, sx] (0 = no blur on
 * that axis). Kernel truncated at 3σ and normalised; edges use 'reflect' (scipy default),
 * so the total mass and constant volumes are preserved.
 */
export function gaussianBlur3d(
  src: ArrayLike<number>,
  shape: Shape3,
  sigma: number | [number, number, number],
): Float32Array {
  const s = typeof sigma === 'number' ? [sigma, sigma, sigma] : sigma;
  const n = shape[0] * shape[1] * shape[2];
  if (src.length !== n) throw new RangeError(`gaussianBlur3d: src length ${src.length} ≠ ${shape.join('×')}`);
  let a = Float32Array.from(src as ArrayLike<number>);
  let b = new Float32Array(n);
  for (const axis of [2, 1, 0] as const) {
    const sg = s[axis];
    if (!(sg > 0)) continue;
    convolveAxis(a, b, shape, axis, gaussianKernel(sg));
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** Min–max normalise to [0, 1] (a constant volume maps to 0). */
export function normalize(src: ArrayLike<number>, out = new Float32Array(src.length)): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < src.length; i++) out[i] = (src[i] - lo) * scale;
  return out;
}

/** Zero-mean, unit-variance standardisation. */
export function standardize(src: ArrayLike<number>, out = new Float32Array(src.length)): Float32Array {
  let m = 0;
  for (let i = 0; i < src.length; i++) m += src[i];
  m /= src.length || 1;
  let v = 0;
  for (let i = 0; i < src.length; i++) v += (src[i] - m) ** 2;
  const sd = Math.sqrt(v / (src.length || 1)) || 1;
  for (let i = 0; i < src.length; i++) out[i] = (src[i] - m) / sd;
  return out;
}

/** Scale uint8 [0,255] to float [0,1] (what the model consumes). */
export function uint8ToUnit(src: Uint8Array, out = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) out[i] = src[i] * (1 / 255);
  return out;
}

/** Linear map of [lo, hi] → [0, 255], clamped and rounded. */
export function toUint8(src: ArrayLike<number>, lo = 0, hi = 1, out = new Uint8Array(src.length)): Uint8Array {
  const scale = 255 / (hi - lo);
  for (let i = 0; i < src.length; i++) {
    const v = (src[i] - lo) * scale;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

/** Abdominal CT window (default level 40 HU, width 400 HU → [-160, 240] HU) to uint8. */
export function windowHU(hu: ArrayLike<number>, center = 40, width = 400, out = new Uint8Array(hu.length)): Uint8Array {
  return toUint8(hu, center - width / 2, center + width / 2, out);
}
