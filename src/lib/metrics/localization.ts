/**
 * Localisation of a CAM against a known organ mask (the phantom keeps one per crop):
 * - energy-based pointing game (Score-CAM paper, §5.2; utils/energyPointGame.py in the official
 *   code, with the mask in place of the bounding box): Σ_{v∈mask} cam_v / Σ_v cam_v;
 * - pointing game hit (Zhang et al. 2016): is the CAM's maximum inside the mask? (the first
 *   maximum in C order when several voxels tie).
 */
import { argmax } from '../util/array';

export function energyPointingGame(cam: ArrayLike<number>, mask: ArrayLike<number>): number {
  if (cam.length !== mask.length) throw new Error(`cam has ${cam.length} values, mask ${mask.length}`);
  let inside = 0;
  let total = 0;
  for (let i = 0; i < cam.length; i++) {
    const v = cam[i] > 0 ? cam[i] : 0;
    total += v;
    if (mask[i]) inside += v;
  }
  return total > 0 ? inside / total : 0;
}

export function pointingGameHit(cam: ArrayLike<number>, mask: ArrayLike<number>): boolean {
  if (cam.length !== mask.length) throw new Error(`cam has ${cam.length} values, mask ${mask.length}`);
  return !!mask[argmax(cam)];
}

/** Share of the volume the mask covers: the energy score a uniform CAM would get. */
export function maskFraction(mask: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) s++;
  return mask.length ? s / mask.length : 0;
}

/** Pearson correlation coefficient; 0 when either input is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`pearson: lengths ${n} and ${b.length} differ`);
  if (n === 0) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
