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

/** Kept here for the explorer's import; the one implementation lives in stats.ts. */
export { pearson } from './stats';

export interface EnergySplit {
  /** Share of the map's mass on the target organ. */
  organ: number;
  /** On other organs (label map only; 0 without one). */
  neighbours: number;
  /** On bone (label map only). */
  bone: number;
  /** Everywhere else (fat, muscle, air, …; without a label map: everything outside the organ mask). */
  other: number;
}

/**
 * Where a map's mass lies. With a label map (organ index + 1 per organ voxel, `bone` for bone, 0
 * else) the mass splits into target organ / neighbouring organs / bone / other; with only the organ
 * mask into organ / other. A map that piles up on the spine is "localised" on something the model
 * may use but that is not the organ; this split says so.
 */
export function energySplit(cam: ArrayLike<number>, mask: ArrayLike<number>, target: number, labelmap?: ArrayLike<number>, bone = 12): EnergySplit {
  if (cam.length !== mask.length || (labelmap && labelmap.length !== cam.length)) throw new Error('energySplit: cam, mask and label map sizes differ');
  let organ = 0;
  let neighbours = 0;
  let boneE = 0;
  let other = 0;
  for (let i = 0; i < cam.length; i++) {
    const v = cam[i] > 0 ? cam[i] : 0;
    if (!v) continue;
    if (labelmap) {
      const l = labelmap[i];
      if (l === target + 1) organ += v;
      else if (l === bone) boneE += v;
      else if (l > 0) neighbours += v;
      else other += v;
    } else if (mask[i]) organ += v;
    else other += v;
  }
  const t = organ + neighbours + boneE + other;
  return t > 0 ? { organ: organ / t, neighbours: neighbours / t, bone: boneE / t, other: other / t } : { organ: 0, neighbours: 0, bone: 0, other: 0 };
}

/** Is the first maximum of the map on a face of the cube (an edge artefact, not a location)? */
export function maximumOnFace(cam: ArrayLike<number>, size: number): boolean {
  const k = argmax(cam);
  const x = k % size;
  const y = Math.floor(k / size) % size;
  const z = Math.floor(k / (size * size));
  return [x, y, z].some((c) => c === 0 || c === size - 1);
}
