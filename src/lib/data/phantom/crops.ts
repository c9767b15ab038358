/**
 * Cropping the way OrganMNIST3D was built: each organ's 3D bounding box (+ a random margin),
 * trilinear resize to S³, abdominal window (L40/W400) → uint8; the organ mask and the crop's
 * full label map are kept.
 */
import { NUM_CLASSES } from '../labels';
import { resizeTrilinear, windowHU } from '../volume';
import type { PhantomSubject } from './subject';

export interface OrganCrop {
  label: number; // organ index 0..10
  /** S³ uint8 (windowed) */
  image: Uint8Array;
  /** S³ uint8 0/1 */
  mask: Uint8Array;
  /** S³ uint8 label map of the whole crop (0 other, k+1 organ k, BONE_LABEL bone), nearest-neighbour resized */
  labelMap: Uint8Array;
  /** crop box in subject voxels, [z0,z1)×[y0,y1)×[x0,x1) */
  box: [number, number, number, number, number, number];
}

/** Nearest-neighbour resize of a label volume (labels must not be interpolated). */
export function resizeNearest(src: Uint8Array, from: [number, number, number], to: [number, number, number]): Uint8Array {
  const [D, H, W] = from, [d, h, w] = to;
  const out = new Uint8Array(d * h * w);
  const zi = Array.from({ length: d }, (_, z) => Math.min(D - 1, Math.floor(((z + 0.5) * D) / d)));
  const yi = Array.from({ length: h }, (_, y) => Math.min(H - 1, Math.floor(((y + 0.5) * H) / h)));
  const xi = Array.from({ length: w }, (_, x) => Math.min(W - 1, Math.floor(((x + 0.5) * W) / w)));
  let o = 0;
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++) {
      const row = (zi[z] * H + yi[y]) * W;
      for (let x = 0; x < w; x++) out[o++] = src[row + xi[x]];
    }
  return out;
}

/**
 * Largest crop margin per side, as a fraction of the organ's extent along that axis (each side
 * draws uniformly from 0 to this): boxes about as tight as MedMNIST cut them, with jitter, so the
 * organ fills most of its crop and carries the evidence (a 0–100 % version let a model read the
 * context), while the neighbours at the box's edge vary.
 */
export const PHANTOM_CROP_MARGIN_MAX = 0.35;

/** Organs with fewer voxels in the scan are not cropped (e.g. cut off by the scan range). */
export const PHANTOM_MIN_ORGAN_VOXELS = 200;

/** Per-organ voxel counts and bounding boxes (lo/hi per axis) of a label volume. */
function organBoxes(lab: Uint8Array, D: number, H: number, W: number): { lo: Int32Array; hi: Int32Array; cnt: Int32Array } {
  const lo = new Int32Array(NUM_CLASSES * 3).fill(1 << 30);
  const hi = new Int32Array(NUM_CLASSES * 3).fill(-1);
  const cnt = new Int32Array(NUM_CLASSES);
  for (let z = 0; z < D; z++)
    for (let y = 0; y < H; y++) {
      let i = (z * H + y) * W;
      for (let x = 0; x < W; x++, i++) {
        const l = lab[i];
        if (!l || l > NUM_CLASSES) continue;
        const k = (l - 1) * 3;
        cnt[l - 1]++;
        if (z < lo[k]) lo[k] = z; if (z > hi[k]) hi[k] = z;
        if (y < lo[k + 1]) lo[k + 1] = y; if (y > hi[k + 1]) hi[k + 1] = y;
        if (x < lo[k + 2]) lo[k + 2] = x; if (x > hi[k + 2]) hi[k + 2] = x;
      }
    }
  return { lo, hi, cnt };
}

/**
 * Crop every organ of a subject (3D bounding box + a random margin of marginMin–marginMax of its
 * extent on each side, so the organ is not always centred and its neighbours vary) and resize to
 * each requested size S³. Organs with fewer than `minVoxels` voxels in the scan are skipped.
 */
export function cropOrgans(
  subj: PhantomSubject,
  sizes: number[],
  rand: () => number,
  opts: { marginMin?: number; marginMax?: number; minVoxels?: number } = {},
): Map<number, OrganCrop[]> {
  const [D, H, W] = subj.shape;
  const lab = subj.labels;
  const { lo, hi, cnt } = organBoxes(lab, D, H, W);
  const mMin = opts.marginMin ?? 0, mMax = opts.marginMax ?? PHANTOM_CROP_MARGIN_MAX;
  const res = new Map<number, OrganCrop[]>();
  for (const s of sizes) res.set(s, []);
  for (let c = 0; c < NUM_CLASSES; c++) {
    if (cnt[c] < (opts.minVoxels ?? PHANTOM_MIN_ORGAN_VOXELS)) continue;
    const dims = [D, H, W];
    const box = [0, 0, 0, 0, 0, 0] as [number, number, number, number, number, number];
    for (let a = 0; a < 3; a++) {
      const ext = hi[c * 3 + a] - lo[c * 3 + a] + 1;
      const m0 = Math.round(ext * (mMin + (mMax - mMin) * rand())) + 1;
      const m1 = Math.round(ext * (mMin + (mMax - mMin) * rand())) + 1;
      box[a * 2] = Math.max(0, lo[c * 3 + a] - m0);
      box[a * 2 + 1] = Math.min(dims[a], hi[c * 3 + a] + 1 + m1);
    }
    const [za, zb, ya, yb, xa, xb] = box;
    const cd = zb - za, ch = yb - ya, cw = xb - xa;
    const sub = new Float32Array(cd * ch * cw);
    const msk = new Float32Array(cd * ch * cw);
    const lm = new Uint8Array(cd * ch * cw);
    let o = 0;
    for (let z = za; z < zb; z++)
      for (let y = ya; y < yb; y++) {
        const i0 = (z * H + y) * W;
        for (let x = xa; x < xb; x++, o++) {
          sub[o] = subj.hu[i0 + x];
          lm[o] = lab[i0 + x];
          msk[o] = lab[i0 + x] === c + 1 ? 1 : 0;
        }
      }
    for (const S of sizes) {
      const image = windowHU(resizeTrilinear(sub, [cd, ch, cw], [S, S, S]));
      const rm = resizeTrilinear(msk, [cd, ch, cw], [S, S, S]);
      const mask = new Uint8Array(S * S * S);
      for (let i = 0; i < mask.length; i++) mask[i] = rm[i] >= 0.5 ? 1 : 0;
      const labelMap = resizeNearest(lm, [cd, ch, cw], [S, S, S]);
      res.get(S)!.push({ label: c, image, mask, labelMap, box });
    }
  }
  return res;
}
