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
import type { V3 } from './geometry';
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
  /** SD in mm [X, Y, Z] of each abdominal organ's displacement from its template place (default ORGAN_SHIFT_SD_MM) */
  organShiftSD?: V3;
}

/**
 * How far each abdominal organ and the heart sit from their place in the template, per subject
 * (SD in mm, lateral, antero-posterior, cranio-caudal; clipped at 2.5 SD). The whole organ moves,
 * so its shape holds: kidneys differ in height by about a vertebra between people (and rise and
 * fall 2–4 cm with breathing), the liver's and spleen's lower edges by several cm, the bladder with
 * its filling, the stomach with its content, the heart with the diaphragm and the mediastinum. With
 * the template's fixed offsets alone each organ's crop showed the same neighbours in the same
 * corners, so logistic regression on block means named the organ from that layout without looking
 * at the organ. Measured on 28³ phantoms from this generator (LR on 4³ / 2³ block means, template
 * margin): no shift 97.0 % / 78.4 % / 0.229; SD [14, 10, 22] 88.7 % / 74.1 % / 0.171; [24, 16, 34]
 * with the kidneys' lateral share below, the leg pose and the breath-hold 84.8 % / 67.2 % / 0.141;
 * these values 83.6 % / 65.2 % / 0.126.
 */
export const ORGAN_SHIFT_SD_MM: V3 = [28, 18, 38];
/**
 * Kidneys lie against the psoas and the back wall: they move up and down with the others, sideways
 * and back and forth by this share, mirrored (both further out or both further in); a shared
 * lateral shift pushed one kidney into the psoas and cut it.
 */
const KIDNEY_LATERAL_SHARE = 0.35;

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
  const sd = opts.organShiftSD ?? ORGAN_SHIFT_SD_MM;
  const shift = (): V3 => sd.map((s) => Math.max(-2.5 * s, Math.min(2.5 * s, r.n(0, s)))) as V3;
  c.displaced(shift(), () => paintHeart(an));
  c.displaced(shift(), () => paintStomach(an));
  c.displaced(shift(), () => paintLiver(an));
  c.displaced(shift(), () => paintSpleen(an));
  const spineZ1 = paintSpine(an);
  paintMuscles(an);
  const kidneys = shift();
  paintKidneys(an, [KIDNEY_LATERAL_SHARE * kidneys[0], KIDNEY_LATERAL_SHARE * kidneys[1], kidneys[2]]);
  c.displaced(shift(), () => paintPancreas(an));
  paintRibs(an);
  paintPelvis(an, spineZ1);
  c.displaced(shift(), () => paintBladder(an));
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
