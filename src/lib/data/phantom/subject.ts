/**
 * One synthetic CT torso (HU + label map), deterministic in its seed.
 *
 * Subject volume: [D][H][W] = [z][y][x] = 128 × 80 × 112 voxels, spacing 5 × 3.5 × 3.5 mm.
 * Patient coordinates (mm): X = lateral, +X = patient's LEFT (an axial slice shown with x to the
 * right is in radiological convention); Y = antero-posterior, +Y = POSTERIOR; Z = cranio-caudal,
 * +Z = INFERIOR (z = 0 is the top of the scan).
 *
 * Where the difficulty comes from (issue 26: anatomy and acquisition, not stored orientation):
 * - anatomy: habitus, height, roll on the table; organ shapes with per-axis scale, lobulation and
 *   bending; inner structure and texture (organs.ts, body.ts); neighbours inside every box
 *   (colon, duodenum, stomach, vessels, muscles, pelvic organs); pathology.
 * - acquisition (acquisition.ts): scan protocol and range (lung bases only, bladder or femurs cut
 *   off), contrast timing in seconds with a dose factor, oral contrast, reconstruction kernel,
 *   slice thickness, correlated noise, calibration and shading, partial-volume edges.
 * Left/right pairs are drawn from one mirrored distribution: only anatomy tells the side.
 */
import {
  applyOrientation,
  drawAcquisition,
  PHANTOM_SHAPE,
  PHANTOM_SPACING,
  scan,
  type Acquisition,
  type AcquisitionOptions,
  type ContrastPhase,
} from './acquisition';
import { drawAnatomy } from './anatomy';
import { drawThorax, paintColon, paintTrunk, paintVessels } from './body';
import { paintArms, paintMuscles, paintPelvis, paintRibs, paintSpine } from './bones';
import { REGION_OUT } from './canvas';
import { paintBladder, paintFemurs, paintHeart, paintKidneys, paintLiver, paintPancreas, paintSpleen, paintStomach } from './organs';
import { makeRng, Rand } from './random';

export interface PhantomSubjectMeta extends Omit<Acquisition, 'rangeTemplate'> {
  phase: ContrastPhase;
  /** pathology drawn: e.g. 'liver-lesion', 'kidney-cyst-right', 'effusion-left', 'fatty-liver' */
  findings: string[];
  /** scan range in scan mm (superior, inferior): organs beyond it are truncated */
  scanRange: [number, number];
}

export interface PhantomSubject {
  /** HU volume [z][y][x] */
  hu: Float32Array;
  /** label map: 0 = other, k+1 = organ k (ORGAN_LABELS order), BONE_LABEL = other bone */
  labels: Uint8Array;
  shape: [number, number, number];
  spacing: [number, number, number];
  meta: PhantomSubjectMeta;
}

export interface PhantomSubjectOptions extends AcquisitionOptions {
  /** blur SD in voxels [z, y, x] (default: 0.45 through slices, the subject's kernel in-plane) */
  blur?: [number, number, number];
}

export function generatePhantomSubject(seed: number, opts: PhantomSubjectOptions = {}): PhantomSubject {
  const r = new Rand(makeRng(seed));
  const acq = drawAcquisition(seed, opts);
  const an = drawAnatomy(r, acq);
  const c = an.c;
  const th = drawThorax(an);
  paintTrunk(an, th);
  paintColon(an);
  paintVessels(an);
  paintArms(an);
  paintHeart(an);
  paintStomach(an);
  paintLiver(an);
  paintSpleen(an);
  const spineZ1 = paintSpine(an);
  paintMuscles(an);
  paintKidneys(an);
  paintPancreas(an);
  paintRibs(an);
  paintPelvis(an, spineZ1);
  paintBladder(an);
  paintFemurs(an);

  // scan range: anatomy outside it is not imaged (truncated crops, as in real scans)
  const [D, H, W] = PHANTOM_SHAPE;
  const plane = H * W;
  const top = an.Zp(acq.rangeTemplate[0]), bottom = an.Zp(acq.rangeTemplate[1]);
  for (let z = 0; z < D; z++) {
    if (c.Zs[z] >= top && c.Zs[z] <= bottom) continue;
    c.hu.fill(-1000, z * plane, (z + 1) * plane);
    c.lab.fill(0, z * plane, (z + 1) * plane);
    c.region.fill(REGION_OUT, z * plane, (z + 1) * plane);
  }
  const shading = { calib: r.n(0, 8), field: c.field(4, 3, 4), amp: r.u(0, 40) };
  const img = scan(c.hu, (i) => c.region[i] !== REGION_OUT, acq, r, shading, opts.blur);
  applyOrientation(img, c.lab, acq);
  const { rangeTemplate: _omit, ...rest } = acq;
  const meta: PhantomSubjectMeta = { ...rest, findings: an.findings, scanRange: [Math.max(0, top), Math.min(D * PHANTOM_SPACING[0], bottom)] };
  return { hu: img, labels: c.lab, shape: [D, H, W], spacing: PHANTOM_SPACING, meta };
}
