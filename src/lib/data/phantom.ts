/**
 * Procedural CT phantom dataset, built the way OrganMNIST3D was built:
 * synthetic CT torsos (HU) → per-organ 3D bounding box (+ a random margin of 0–20 % of the organ's
 * extent per side, PHANTOM_CROP_MARGIN_MAX) →
 * trilinear resize to S³ → abdominal window (L40/W400) → uint8; the ground-truth organ mask, the
 * crop's full label map (every organ and bone) and the subject id are kept for every crop.
 * Deterministic from a seed. Pure TypeScript (browser + Node).
 *
 * The first version was a set of class templates (a logistic regression on 64 block means
 * classified 100 % of its test split). This one draws, per subject: habitus, arm position,
 * patient roll, organ scale/position/rotation/shape, contrast phase with per-organ HU spread,
 * calibration offset and shading, slice thickness, correlated noise, scan range (truncation),
 * pathology, and a share of scans stored left–right mirrored or head–feet flipped
 * (PHANTOM_MIRRORED_SHARE, PHANTOM_FLIPPED_Z_SHARE).
 * `npm run data:audit` measures how far cheap baselines get on it.
 *
 * Subject volume: [D][H][W] = [z][y][x] = 128 × 80 × 112 voxels, spacing 5 × 3.5 × 3.5 mm.
 * Patient coordinates (mm): X = lateral, +X = patient's LEFT (so an axial slice shown with x
 * to the right is in radiological convention: patient's right on the image left);
 * Y = antero-posterior, +Y = POSTERIOR (y = 0 row is anterior, shown at the top);
 * Z = cranio-caudal, +Z = INFERIOR (z = 0 is the top of the scan, near the lung apices).
 *
 * Laterality: every left/right organ pair is drawn from ONE distribution defined in a
 * "lateral frame" (x_lat = distance away from the midline) and mirrored, so a left-kidney
 * crop is distributed as the mirror image of a right-kidney crop. Only the context inside
 * the crop margin (spine/psoas medially, liver vs spleen and stomach, heart, etc.) and the
 * organ's orientation relative to it tell left from right — as in the real data — except in
 * mirrored scans, where they tell the wrong side.
 */
import { gaussianBlur3d, resizeTrilinear, windowHU } from './volume';
import { NUM_CLASSES } from './labels';
import type { Dataset, Split, SplitName } from './medmnist';

// ------------------------------------------------------------------ PRNG
/** sfc32 PRNG seeded through splitmix32. Returns floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  const sm = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm(), b = sm(), c = sm(), d = sm();
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

export function hashSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

class Rand {
  private spare: number | null = null;
  constructor(public next: () => number) {}
  u(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  n(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + sd * s;
    }
    let u = 0;
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }
}

// ------------------------------------------------------------------ geometry
export const PHANTOM_SHAPE: [number, number, number] = [128, 80, 112]; // [z, y, x]
export const PHANTOM_SPACING: [number, number, number] = [5, 3.5, 3.5]; // mm [z, y, x]

type V3 = [number, number, number];

/** Deformed, rotated ellipsoid in a frame mirrored by `side` (X_frame = side * X). */
interface Blob {
  side: number;
  c: V3;
  ax: V3;
  R: number[]; // 3×3 row-major rotation (local → frame)
  deform: number[]; // groups of 5: kx, ky, kz (already × frequency), phase, amplitude
  u: V3; // last local coords (normalised), for shading
}

function rotation(yaw: number, pitch: number, roll: number): number[] {
  const cz = Math.cos(yaw), sz = Math.sin(yaw);
  const cy = Math.cos(pitch), sy = Math.sin(pitch);
  const cx = Math.cos(roll), sx = Math.sin(roll);
  // Rz * Ry * Rx
  return [
    cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx,
    sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx,
    -sy, cy * sx, cy * cx,
  ];
}

function makeBlob(r: Rand, side: number, c: V3, ax: V3, rot: V3, nDeform = 4, amp = 0.08): Blob {
  amp *= 1.8; // shape variability well beyond a template (irregular, lobulated outlines)
  const deform: number[] = [];
  for (let i = 0; i < nDeform; i++) {
    let kx = r.n(), ky = r.n(), kz = r.n();
    const kn = Math.hypot(kx, ky, kz) || 1;
    const f = r.u(1.5, 3.2);
    kx = (kx / kn) * f; ky = (ky / kn) * f; kz = (kz / kn) * f;
    deform.push(kx, ky, kz, r.u(0, 2 * Math.PI), amp * r.u(0.4, 1));
  }
  return { side, c, ax, R: rotation(rot[0], rot[1], rot[2]), deform, u: [0, 0, 0] };
}

function blobQ(b: Blob, X: number, Y: number, Z: number): number {
  const x = b.side * X - b.c[0], y = Y - b.c[1], z = Z - b.c[2];
  const R = b.R;
  const u = (R[0] * x + R[3] * y + R[6] * z) / b.ax[0];
  const v = (R[1] * x + R[4] * y + R[7] * z) / b.ax[1];
  const w = (R[2] * x + R[5] * y + R[8] * z) / b.ax[2];
  b.u[0] = u; b.u[1] = v; b.u[2] = w;
  let g = 1;
  const d = b.deform;
  for (let i = 0; i < d.length; i += 5) g += d[i + 4] * Math.sin(d[i] * u + d[i + 1] * v + d[i + 2] * w + d[i + 3]);
  return Math.sqrt(u * u + v * v + w * w) / g;
}

type Box = [number, number, number, number, number, number]; // X0 X1 Y0 Y1 Z0 Z1 (mm)

function blobBox(b: Blob): Box {
  const m = Math.max(b.ax[0], b.ax[1], b.ax[2]) * 1.35;
  const cx = b.side * b.c[0];
  return [cx - m, cx + m, b.c[1] - m, b.c[1] + m, b.c[2] - m, b.c[2] + m];
}

/** Chain of capsules with radii at the nodes. q = distance / interpolated radius. */
interface Tube {
  side: number;
  pts: V3[];
  rad: number[];
}

function tubeQ(t: Tube, X: number, Y: number, Z: number): number {
  const px = t.side * X;
  let best = Infinity;
  for (let i = 0; i + 1 < t.pts.length; i++) {
    const a = t.pts[i], b = t.pts[i + 1];
    const dx = b[0] - a[0], dy = b[1] - a[1], dz = b[2] - a[2];
    const L2 = dx * dx + dy * dy + dz * dz;
    let s = ((px - a[0]) * dx + (Y - a[1]) * dy + (Z - a[2]) * dz) / (L2 || 1);
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    const ex = px - a[0] - s * dx, ey = Y - a[1] - s * dy, ez = Z - a[2] - s * dz;
    const rr = t.rad[i] + s * (t.rad[i + 1] - t.rad[i]);
    const q = Math.sqrt(ex * ex + ey * ey + ez * ez) / rr;
    if (q < best) best = q;
  }
  return best;
}

function tubeBox(t: Tube): Box {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, z0 = Infinity, z1 = -Infinity;
  const rm = Math.max(...t.rad);
  for (const p of t.pts) {
    const x = t.side * p[0];
    x0 = Math.min(x0, x - rm); x1 = Math.max(x1, x + rm);
    y0 = Math.min(y0, p[1] - rm); y1 = Math.max(y1, p[1] + rm);
    z0 = Math.min(z0, p[2] - rm); z1 = Math.max(z1, p[2] + rm);
  }
  return [x0, x1, y0, y1, z0, z1];
}

// ------------------------------------------------------------------ subject
/** Label-map value of bones that are not a class (spine, ribs, pelvis, sacrum, humerus). */
export const BONE_LABEL = NUM_CLASSES + 1; // 12

export interface PhantomSubject {
  /** HU volume [z][y][x] */
  hu: Float32Array;
  /** label map: 0 = other, k+1 = organ k (ORGAN_LABELS order), BONE_LABEL = other bone */
  labels: Uint8Array;
  shape: [number, number, number];
  spacing: [number, number, number];
  /** what was drawn for this subject (acquisition and content), for the Data page and tests */
  meta: PhantomSubjectMeta;
}

export const CONTRAST_PHASES = ['unenhanced', 'arterial', 'portal-venous', 'delayed'] as const;
export type ContrastPhase = (typeof CONTRAST_PHASES)[number];

export interface PhantomSubjectMeta {
  phase: ContrastPhase;
  /** noise SD in HU (spatially correlated) */
  noiseHU: number;
  /** reconstructed slice thickness as a multiple of the 5 mm source grid */
  sliceFactor: number;
  armsDown: boolean;
  /** pathology drawn: e.g. 'liver-lesion', 'kidney-cyst', 'effusion-right', 'fatty-liver' */
  findings: string[];
  /** scan range in mm (superior, inferior): organs beyond it are truncated */
  scanRange: [number, number];
  /**
   * the scan is stored left–right mirrored (a wrong orientation header, as found in public CT
   * collections) and nobody noticed: its right organs appear where left ones would be
   */
  mirrored: boolean;
  /** the scan is stored head–feet flipped (slices in reverse order, likewise unnoticed) */
  flippedZ: boolean;
}

export interface PhantomSubjectOptions {
  /** blur SD in voxels [z, y, x] (default [0.5, 0.7, 0.7]): the scanner's point spread */
  blur?: [number, number, number];
  /** override the per-subject noise SD in HU (default drawn from 10–40) */
  noise?: number;
  /** share of scans stored left–right mirrored (default PHANTOM_MIRRORED_SHARE) */
  mirroredShare?: number;
  /** share of scans stored head–feet flipped (default PHANTOM_FLIPPED_Z_SHARE) */
  flippedZShare?: number;
}

let GAUSS_TABLE: Float32Array | null = null;
/** 65536 fixed standard-normal samples (deterministic), indexed at random for fast noise. */
function gaussTable(): Float32Array {
  if (!GAUSS_TABLE) {
    const r = new Rand(makeRng(0x5eed));
    GAUSS_TABLE = new Float32Array(65536);
    for (let i = 0; i < GAUSS_TABLE.length; i++) GAUSS_TABLE[i] = r.n();
  }
  return GAUSS_TABLE;
}

const REGION_OUT = 0, REGION_FAT = 1, REGION_WALL = 2, REGION_CAVITY = 3;

/**
 * Mean HU of the enhancing tissues per contrast phase (typical values from abdominal CT
 * protocols). Each subject draws one phase, and each organ adds its own N(0, ORGAN_HU_SD) offset,
 * so liver, spleen, pancreas and kidney intensities overlap across subjects: an organ cannot
 * be told by its grey level alone.
 */
const PHASE_HU: Record<ContrastPhase, { liver: number; spleen: number; pancreas: number; cortex: number; medulla: number; pelvis: number; blood: number; myo: number; muscle: number; urine: number }> = {
  unenhanced: { liver: 58, spleen: 48, pancreas: 42, cortex: 32, medulla: 30, pelvis: 8, blood: 42, myo: 48, muscle: 50, urine: 8 },
  arterial: { liver: 72, spleen: 105, pancreas: 112, cortex: 185, medulla: 75, pelvis: 10, blood: 260, myo: 105, muscle: 56, urine: 8 },
  'portal-venous': { liver: 112, spleen: 118, pancreas: 95, cortex: 160, medulla: 148, pelvis: 12, blood: 160, myo: 98, muscle: 60, urine: 10 },
  delayed: { liver: 85, spleen: 82, pancreas: 72, cortex: 125, medulla: 132, pelvis: 420, blood: 95, myo: 80, muscle: 58, urine: 40 },
};

/** SD of each organ's own HU offset within a subject (on top of the phase table). */
export const ORGAN_HU_SD = 20;

/** Reconstruct thick slices: average `k` source slices (partial volume) and stair-step back. */
function thickSlices(vol: Float32Array, shape: [number, number, number], k: number): Float32Array {
  if (k <= 1) return vol;
  const [D, H, W] = shape;
  const plane = H * W;
  const Dn = Math.max(1, Math.round(D / k));
  const thick = new Float32Array(Dn * plane);
  for (let j = 0; j < Dn; j++) {
    const a = (j * D) / Dn, b = ((j + 1) * D) / Dn;
    const t = thick.subarray(j * plane, (j + 1) * plane);
    for (let z = Math.floor(a); z < Math.ceil(b) && z < D; z++) {
      const w = Math.min(b, z + 1) - Math.max(a, z);
      if (w <= 0) continue;
      const s = vol.subarray(z * plane, (z + 1) * plane);
      for (let i = 0; i < plane; i++) t[i] += w * s[i];
    }
    const inv = 1 / (b - a);
    for (let i = 0; i < plane; i++) t[i] *= inv;
  }
  const out = new Float32Array(vol.length);
  for (let z = 0; z < D; z++) {
    const j = Math.min(Dn - 1, Math.floor(((z + 0.5) * Dn) / D));
    out.set(thick.subarray(j * plane, (j + 1) * plane), z * plane);
  }
  return out;
}

/**
 * Share of subjects whose scan is stored left–right mirrored (a wrong orientation header, as in
 * public CT collections). A right-organ crop from such a scan is the mirror image of an ordinary
 * one; since the body is not symmetric (heart, liver, spleen, aorta), its side can still be
 * learned from this mode, except where a crop holds no asymmetric context (femurs): there left
 * and right are undecidable for mirrored scans.
 *
 * Why 40 % and, with PHANTOM_FLIPPED_Z_SHARE, 30 % head–feet flipped: a crop's coarse layout
 * (air above the diaphragm in a lung crop, bone on one side of a femur crop) named its organ for
 * a linear classifier; four orientations break that, and a CNN learns each one. Measured on 28³
 * splits of the same subject counts (npm run data:audit; a 10-epoch 28³ ResNet-10 from npm run
 * train, scored with metrics/occlusion.ts): with 25 % mirrored, no z flips and 0–100 % margins
 * the 2³/4³ block-mean regressions got 55.6/72.1 % and the ResNet lost 8 points with the organ
 * replaced; with 40 %/30 % and 0–20 % margins 42.6/70.8 %, and it lost 24.
 */
export const PHANTOM_MIRRORED_SHARE = 0.4;

/** Share of subjects stored head–feet flipped (slice order reversed by a wrong header); see PHANTOM_MIRRORED_SHARE. */
export const PHANTOM_FLIPPED_Z_SHARE = 0.3;

/**
 * The acquisition of one subject's scan, from its own random stream (so tests and the Data
 * page can survey it without generating volumes).
 */
export function drawAcquisition(seed: number, opts: PhantomSubjectOptions = {}): Omit<PhantomSubjectMeta, 'findings'> {
  const r = new Rand(makeRng(hashSeed(seed, 0xacc)));
  const phase = CONTRAST_PHASES[Math.floor(r.u(0, CONTRAST_PHASES.length))];
  const armsDown = r.u() < 0.4;
  const sliceFactor = [1, 1, 1.5, 2][Math.floor(r.u(0, 4))];
  const noiseHU = opts.noise ?? r.u(10, 40);
  // scan range: a share of scans start below the lung apices or stop above the femurs/bladder
  const zMax = PHANTOM_SHAPE[0] * PHANTOM_SPACING[0];
  const scanTop = r.u() < 0.3 ? r.u(0, 70) : 0;
  const scanBottom = r.u() < 0.35 ? zMax - r.u(10, 90) : zMax;
  const mirrored = r.u() < (opts.mirroredShare ?? PHANTOM_MIRRORED_SHARE);
  const flippedZ = r.u() < (opts.flippedZShare ?? PHANTOM_FLIPPED_Z_SHARE);
  return { phase, armsDown, sliceFactor, noiseHU, scanRange: [scanTop, scanBottom], mirrored, flippedZ };
}

/**
 * Generate one synthetic CT torso (HU + label map). Deterministic in `seed`.
 *
 * Sources of variability, each drawn per subject (see issue "A phantom as hard as
 * OrganMNIST3D"): body habitus (size, fat), arms down or raised, organ scale (15–40 %),
 * position (±25 mm) and rotation (±15°), contrast phase with organ-specific HU spread,
 * slice thickness (partial volume), spatially correlated noise of 10–40 HU, scan range
 * (truncated lungs, bladder, femurs), and pathology (liver lesions, fatty liver, kidney cysts,
 * pleural effusions, splenomegaly through the scale).
 */
export function generatePhantomSubject(seed: number, opts: PhantomSubjectOptions = {}): PhantomSubject {
  const r = new Rand(makeRng(seed));
  const [D, H, W] = PHANTOM_SHAPE;
  const [sz, sy, sx] = PHANTOM_SPACING;
  const N = D * H * W;
  const hu = new Float32Array(N).fill(-1000);
  const lab = new Uint8Array(N);
  const region = new Uint8Array(N);
  const Xs = new Float32Array(W), Ys = new Float32Array(H), Zs = new Float32Array(D);
  for (let x = 0; x < W; x++) Xs[x] = (x + 0.5 - W / 2) * sx;
  for (let y = 0; y < H; y++) Ys[y] = (y + 0.5 - H / 2) * sy;
  for (let z = 0; z < D; z++) Zs[z] = (z + 0.5) * sz;

  /** position jitter: N(0, sd) clipped to ±clip mm */
  const jp = (sd = 9, clip = 25) => Math.max(-clip, Math.min(clip, r.n(0, sd)));
  const jit = (s: number) => r.n(0, s);
  const rot = (max = 0.26) => r.u(-max, max); // ±15°
  const L = (k: number) => k + 1; // organ index → label value

  // ---- subject parameters: habitus, acquisition
  const a = r.u(128, 188); // body half-width (mm)
  const b = r.u(84, 126); // body half-depth
  const fat = r.u(5, 42); // subcutaneous fat
  const wall = r.u(8, 15); // muscle wall
  const zs = r.u(0.9, 1.1); // cranio-caudal scale (height)
  const z0 = r.u(-45, 25); // cranio-caudal shift of the anatomy in the scan
  const Zp = (z: number) => z0 + z * zs; // anatomical Z (template mm) → scan Z
  const yBody = r.u(-6, 6);
  // patient not perfectly straight on the table: a roll of up to ±11° in the axial plane
  const roll = r.u(-0.2, 0.2), cR = Math.cos(roll), sR = Math.sin(roll);
  const acq = drawAcquisition(seed, opts);
  const { phase, armsDown, sliceFactor, noiseHU } = acq;
  const [scanTop, scanBottom] = acq.scanRange;
  const P = PHASE_HU[phase];
  const huSpread = () => r.n(0, ORGAN_HU_SD); // organ-specific HU spread
  const findings: string[] = [];
  const muscleHU = P.muscle + huSpread() * 0.5;

  // body half-width as function of Z (thorax, waist, pelvis); thighs below
  const zThigh = Zp(585);
  const halfW = (Z: number): number => {
    const t = (Z - z0) / zs;
    if (t < 60) return a * (0.86 + 0.14 * (Math.max(0, t) / 60));
    if (t < 270) return a;
    if (t < 400) return a * (1 - 0.05 * Math.sin(((t - 270) / 130) * Math.PI));
    return a * 1.04;
  };

  // smooth random fields (bowel texture, gas, vessels, organ texture) from coarse grids
  const field = (gz: number, gy: number, gx: number): Float32Array => {
    const g = new Float32Array(gz * gy * gx);
    for (let i = 0; i < g.length; i++) g[i] = r.u(-1, 1);
    return resizeTrilinear(g, [gz, gy, gx], [D, H, W]);
  };
  const bowelF = field(22, 14, 20);
  const gasF = field(26, 16, 24);
  const vesF = field(40, 26, 36);
  const texF = field(48, 30, 42);
  const texAmp = r.u(4, 12);
  // scanner calibration and shading (cupping, beam hardening, scatter): a global HU offset and
  // a smooth bias field over the body, so a block's mean grey level varies between subjects
  const calib = r.n(0, 12);
  const biasF = field(4, 3, 4);
  const biasAmp = r.u(0, 50);
  // bowel content varies from scan to scan (collapsed loops, fluid, gas): how much of the free
  // abdominal space is bowel and how much of that is gas is drawn per subject, so the context
  // around the abdominal organs is not a fixed backdrop
  const bowelThr = r.u(-0.4, 0.05);
  const gasThr = r.u(0.1, 0.6);

  // ---- lung geometry: lungs fill each hemithorax down to a domed diaphragm
  const domeR = Zp(250) + jp(8, 20); // right dome (higher: the liver below)
  const domeL = Zp(262) + jp(8, 20);
  const domeDepth = r.u(30, 60); // how far the costophrenic recesses reach below the dome
  const medHalf = r.u(14, 24); // mediastinum half-width (mm) behind the heart
  const effusion = [r.u() < 0.15, r.u() < 0.15]; // right, left
  const effLevel = [r.u(0.15, 0.6), r.u(0.15, 0.6)]; // fraction of depth from the back
  if (effusion[0]) findings.push('effusion-right');
  if (effusion[1]) findings.push('effusion-left');
  const lungTop = Zp(30);
  const diaphragm = (X: number, Y: number): number => {
    const dome = X < 0 ? domeR : domeL;
    const lat = Math.min(1, Math.abs(X) / (a * 0.85));
    const post = Math.max(0, Y / b);
    return dome + domeDepth * (lat * lat) + 40 * post * post;
  };

  // ---- body, fat, muscle wall, cavity, lungs
  const thighC = a * 0.47;
  const thighA = a * 0.5, thighB = b * 0.78;
  for (let z = 0; z < D; z++) {
    const Z = Zs[z];
    const aw = halfW(Z);
    const abdomen = (Z - z0) / zs > 255;
    for (let y = 0; y < H; y++) {
      const Y0 = Ys[y] - yBody;
      for (let x = 0; x < W; x++) {
        const X = cR * Xs[x] - sR * Y0, Y = sR * Xs[x] + cR * Y0;
        const i = (z * H + y) * W + x;
        let dOut: number; // approx depth below skin (mm), <0 outside
        let ex: number, ey: number;
        if (Z > zThigh) {
          const cx = X < 0 ? -thighC : thighC;
          ex = (X - cx) / thighA; ey = (Y - b * 0.05) / thighB;
          dOut = (1 - Math.sqrt(ex * ex + ey * ey)) * Math.min(thighA, thighB);
        } else {
          // slightly flattened back
          ex = X / aw; ey = Y > 0 ? (Y / b) * (1 + 0.12 * (Y / b) * (Y / b)) : Y / b;
          const rr = Math.sqrt(ex * ex + ey * ey);
          dOut = (1 - rr) * Math.min(aw, b) * 1.15;
        }
        if (dOut < 0) continue;
        const tex = texAmp * texF[i];
        if (dOut < fat) {
          region[i] = REGION_FAT;
          hu[i] = -105 + 10 * vesF[i];
        } else if (dOut < fat + wall || Z > zThigh) {
          region[i] = REGION_WALL;
          hu[i] = muscleHU + tex;
        } else {
          region[i] = REGION_CAVITY;
          if (Z >= lungTop && Z < diaphragm(X, Y) && Math.abs(X) > medHalf + 14 * Math.max(0, -Y / b)) {
            const side = X < 0 ? 0 : 1;
            // pleural effusion: dependent (posterior) fluid at the lung base
            if (effusion[side] && Y > b * (1 - 2 * effLevel[side]) && Z > diaphragm(X, Y) - 70) {
              hu[i] = 12 + tex;
            } else {
              const v = vesF[i];
              hu[i] = Math.abs(v) < 0.03 ? -620 + 150 * Math.abs(bowelF[i]) : -860 + 40 * bowelF[i];
              lab[i] = L(side === 0 ? 7 : 8);
            }
          } else if (!abdomen) hu[i] = -70 + 40 * bowelF[i]; // mediastinal fat
          else {
            const v = bowelF[i];
            if (v > bowelThr) hu[i] = gasF[i] > gasThr ? -950 : v > 0.15 ? 30 + 20 * gasF[i] + tex : muscleHU; // loops, gas, walls
            else hu[i] = -95 + 30 * (v + 0.05);
          }
        }
      }
    }
  }

  // painter
  const paint = (
    box: Box,
    q: (X: number, Y: number, Z: number) => number,
    shade: (q: number, X: number, Y: number, Z: number, i: number) => number,
    label: number,
    where: 'cavity' | 'body' | 'any' = 'cavity',
  ): void => {
    // the box is in body coordinates: take the scan-space box of its rolled corners
    let sx0 = Infinity, sx1 = -Infinity, sy0 = Infinity, sy1 = -Infinity;
    for (const X of [box[0], box[1]])
      for (const Y of [box[2], box[3]]) {
        const xs = cR * X + sR * Y, ys = -sR * X + cR * Y;
        sx0 = Math.min(sx0, xs); sx1 = Math.max(sx1, xs); sy0 = Math.min(sy0, ys); sy1 = Math.max(sy1, ys);
      }
    const xa = Math.max(0, Math.floor(sx0 / sx + W / 2 - 0.5)), xb = Math.min(W - 1, Math.ceil(sx1 / sx + W / 2 - 0.5));
    const ya = Math.max(0, Math.floor((sy0 + yBody) / sy + H / 2 - 0.5)), yb = Math.min(H - 1, Math.ceil((sy1 + yBody) / sy + H / 2 - 0.5));
    const za = Math.max(0, Math.floor(box[4] / sz - 0.5)), zb = Math.min(D - 1, Math.ceil(box[5] / sz - 0.5));
    for (let z = za; z <= zb; z++) {
      const Z = Zs[z];
      for (let y = ya; y <= yb; y++) {
        const Y0 = Ys[y] - yBody;
        let i = (z * H + y) * W + xa;
        for (let x = xa; x <= xb; x++, i++) {
          const rg = region[i];
          if (where === 'cavity' ? rg !== REGION_CAVITY : where === 'body' ? rg === REGION_OUT : false) continue;
          const X = cR * Xs[x] - sR * Y0, Y = sR * Xs[x] + cR * Y0;
          const qq = q(X, Y, Z);
          if (qq < 1) {
            const v = shade(qq, X, Y, Z, i);
            if (v === v) {
              hu[i] = v;
              lab[i] = label;
              if (rg === REGION_OUT) region[i] = REGION_WALL;
            }
          }
        }
      }
    }
  };
  type Shade = (q: number, X: number, Y: number, Z: number, i: number) => number;
  const paintBlob = (bl: Blob, shade: Shade, label: number, where: 'cavity' | 'body' | 'any' = 'cavity') =>
    paint(blobBox(bl), (X, Y, Z) => blobQ(bl, X, Y, Z), shade, label, where);
  const paintTube = (t: Tube, shade: Shade, label: number, where: 'cavity' | 'body' | 'any' = 'cavity') =>
    paint(tubeBox(t), (X, Y, Z) => tubeQ(t, X, Y, Z), shade, label, where);
  const flat = (v: number) => () => v;
  /** small spheres (lesions, cysts) inside an organ's label */
  const lesions = (centre: V3, spread: V3, n: number, rMin: number, rMax: number, value: (i: number) => number, organLabel: number) => {
    for (let j = 0; j < n; j++) {
      const c: V3 = [centre[0] + r.u(-1, 1) * spread[0], centre[1] + r.u(-1, 1) * spread[1], centre[2] + r.u(-1, 1) * spread[2]];
      const rad = r.u(rMin, rMax);
      paint([c[0] - rad, c[0] + rad, c[1] - rad, c[1] + rad, c[2] - rad, c[2] + rad], (X, Y, Z) => Math.hypot(X - c[0], Y - c[1], Z - c[2]) / rad,
        (_q, _X, _Y, _Z, i) => (lab[i] === organLabel ? value(i) : NaN), organLabel);
    }
  };

  // ---- arms: down at the sides (in the field of view, often truncated by it) or raised
  if (armsDown) {
    for (const side of [-1, 1]) {
      const ax = a + r.u(30, 55);
      const arm: Tube = { side, pts: [[ax, jit(8), Zp(70)], [ax + r.u(-5, 10), jit(10), Zp(250)], [ax + r.u(-5, 15), jit(12), Zp(420)]], rad: [42, 36, 30] };
      paintTube(arm, (q) => (q > 0.78 ? -100 : muscleHU), 0, 'any');
      const hum: Tube = { side, pts: [arm.pts[0], arm.pts[1]], rad: [12, 10] };
      paintTube(hum, (q) => (q > 0.6 ? 750 : 280), BONE_LABEL, 'body');
      const fore: Tube = { side, pts: [arm.pts[1], arm.pts[2]], rad: [8, 7] };
      paintTube(fore, (q) => (q > 0.6 ? 700 : 260), BONE_LABEL, 'body');
    }
  }

  // ---- heart (6), left-anterior; chambers of contrast-enhanced blood in a muscular wall
  {
    const s = r.u(0.85, 1.2);
    const bl = makeBlob(r, 1, [a * 0.1 + jp(), -b * 0.3 + jp(7, 18), Zp(215) + jp()], [52 * s, 42 * s, 52 * s], [0.6 + rot(), 0.25 + rot(), rot()], 3, 0.07);
    const myo = P.myo + huSpread(), blood = P.blood + huSpread();
    paintBlob(bl, (q, _X, _Y, _Z, i) => (q > 0.72 ? myo : Math.abs(vesF[i]) < 0.05 ? myo : blood), L(6));
  }
  // ---- aorta + IVC (context, unlabelled)
  const ySp = b * 0.52; // vertebral body centre Y
  {
    const ao: Tube = { side: 1, pts: [[a * 0.02, -b * 0.15, Zp(150)], [a * 0.08, ySp - 32, Zp(240)], [a * 0.06, ySp - 30, Zp(440)], [0, ySp - 25, Zp(470)]], rad: [14, 12, 11, 9] };
    paintTube(ao, flat(P.blood + huSpread()), 0);
    const ivc: Tube = { side: 1, pts: [[-a * 0.12, ySp - 30, Zp(260)], [-a * 0.12, ySp - 30, Zp(460)]], rad: [11, 11] };
    paintTube(ivc, flat(phase === 'arterial' ? 70 : P.blood - 10), 0);
  }
  // ---- stomach (left upper abdomen, air–fluid level), unlabelled context
  {
    const s = r.u(0.7, 1.4);
    const bl = makeBlob(r, 1, [a * 0.3 + jp(), -b * 0.3 + jp(), Zp(285) + jp()], [38 * s, 30 * s, 40 * s], [rot(0.5), rot(), rot()], 3, 0.08);
    const gasTop = bl.c[1] - bl.ax[1] * r.u(0.2, 0.9);
    paintBlob(bl, (q, _X, Y) => (q > 0.85 ? muscleHU : Y < gasTop ? -950 : 15), 0);
  }
  // ---- liver (0): right lobe + left lobe crossing the midline anteriorly
  {
    const s = r.u(0.78, 1.3);
    const dz = jp();
    const right = makeBlob(r, 1, [-a * 0.36 + jp(), -b * 0.02 + jp(7, 18), Zp(300) + dz], [a * 0.42 * s, b * 0.72 * Math.sqrt(s), 72 * zs * s], [rot(), rot(), rot()], 4, 0.08);
    const left = makeBlob(r, 1, [a * 0.05 + jp(), -b * 0.42 + jp(6, 15), Zp(280) + dz + jit(5)], [a * 0.33 * s * r.u(0.6, 1.2), b * 0.28, 38 * s], [rot(), rot(), rot()], 3, 0.08);
    const fatty = r.u() < 0.12;
    if (fatty) findings.push('fatty-liver');
    const liverHU = fatty ? P.liver - r.u(40, 80) : P.liver + huSpread();
    const vesselHU = phase === 'unenhanced' ? liverHU - 15 : phase === 'arterial' ? liverHU + 10 : liverHU + 45;
    const box1 = blobBox(right), box2 = blobBox(left);
    const box: Box = [Math.min(box1[0], box2[0]), Math.max(box1[1], box2[1]), Math.min(box1[2], box2[2]), Math.max(box1[3], box2[3]), Math.min(box1[4], box2[4]), Math.max(box1[5], box2[5])];
    paint(box, (X, Y, Z) => Math.min(blobQ(right, X, Y, Z), blobQ(left, X, Y, Z)), (_q, _X, _Y, _Z, i) => (Math.abs(vesF[i]) < 0.03 ? vesselHU : liverHU + 0.6 * texAmp * texF[i]), L(0));
    if (r.u() < 0.35) {
      findings.push('liver-lesion');
      const cyst = r.u() < 0.4;
      lesions([right.c[0], right.c[1], right.c[2]], [right.ax[0] * 0.5, right.ax[1] * 0.5, right.ax[2] * 0.5], 1 + Math.floor(r.u(0, 3)), 5, 20, () => (cyst ? 8 : liverHU - r.u(30, 70)), L(0));
    }
    // gallbladder (unlabelled), under the liver
    const gb = makeBlob(r, 1, [-a * 0.22 + jp(), -b * 0.45 + jp(), Zp(335) + jp()], [14 * r.u(0.7, 1.4), 14, 24 * r.u(0.7, 1.3)], [rot(0.5), rot(), rot()], 2, 0.05);
    paintBlob(gb, flat(8), 0);
  }
  // ---- spleen (9), left posterolateral; arterial phase: heterogeneous (arciform) enhancement
  {
    const s = r.u(0.7, 1.45);
    if (s > 1.3) findings.push('splenomegaly');
    const bl = makeBlob(r, 1, [a * 0.6 + jp(), b * 0.32 + jp(), Zp(295) + jp()], [24 * Math.sqrt(s), 50 * s, 50 * s], [-0.6 + rot(), rot(), rot()], 4, 0.08);
    const spHU = P.spleen + huSpread();
    paintBlob(bl, (_q, _X, _Y, _Z, i) => (phase === 'arterial' ? spHU + 40 * Math.sin(9 * gasF[i]) : spHU + 0.6 * texAmp * texF[i]), L(9));
  }
  // ---- spine: vertebral bodies with irregular disc spacing, canal, posterior arch (bone label)
  const discLut = new Uint8Array(Math.ceil(D * sz) + 1); // 1 where a disc is, per mm of scan Z
  {
    let zc = Zp(-20) + r.u(0, 20);
    while (zc < D * sz) {
      const h = r.u(22, 33) * zs, dsk = r.u(5, 9);
      for (let zz = Math.max(0, Math.floor(zc)); zz < Math.min(discLut.length, Math.ceil(zc + dsk)); zz++) discLut[zz] = 1;
      zc += h + dsk;
    }
  }
  const isDisc = (Z: number) => discLut[Math.max(0, Math.min(discLut.length - 1, Math.floor(Z)))] === 1;
  const spineZ1 = Zp(470);
  {
    const vb: Tube = { side: 1, pts: [[0, ySp - 6, 0], [0, ySp, Zp(200)], [0, ySp - 8, Zp(420)], [0, ySp + 5, spineZ1]], rad: [15, 17, 20, 19] };
    paintTube(vb, (q, _X, _Y, Z) => (isDisc(Z) ? 85 : q > 0.8 ? 750 : 230), BONE_LABEL, 'body');
    const canal: Tube = { side: 1, pts: [[0, ySp + 22, 0], [0, ySp + 26, Zp(420)], [0, ySp + 30, spineZ1]], rad: [8, 8, 6] };
    const arch: Tube = { side: 1, pts: canal.pts, rad: [15, 15, 12] };
    paintTube(arch, (_q, _X, Y, Z) => (isDisc(Z) || isDisc(Z - 3) ? NaN : Y > ySp + 18 ? 650 : NaN), BONE_LABEL, 'body');
    paintTube(canal, flat(15), 0, 'body');
    const sp: Tube = { side: 1, pts: [[0, ySp + 34, 0], [0, ySp + 50, 0]], rad: [5, 4] };
    paint([-8, 8, ySp + 28, ySp + 56, 0, spineZ1], (X, Y) => tubeQ(sp, X, Y, 0), (_q, _X, _Y, Z) => (isDisc(Z) || isDisc(Z - 5) ? NaN : 600), BONE_LABEL, 'body');
  }
  // ---- paraspinal muscles and psoas (mirrored), unlabelled context
  for (const side of [-1, 1]) {
    const para: Tube = { side, pts: [[30, ySp + 40, Zp(120)], [34, ySp + 40, Zp(480)]], rad: [20, 24] };
    paintTube(para, (_q, _X, _Y, _Z, i) => muscleHU + texAmp * texF[i], 0, 'body');
    const ps = r.u(0.8, 1.25);
    const psoas: Tube = { side, pts: [[22, ySp - 2, Zp(360)], [34, ySp - 8, Zp(440)], [45, ySp - 30, Zp(520)]], rad: [8 * ps, 18 * ps, 20 * ps] };
    paintTube(psoas, flat(muscleHU), 0);
  }
  // ---- kidneys (1 right, 2 left): cortex, medulla, hilum facing antero-medially; cysts
  {
    const s = r.u(0.82, 1.2);
    for (const [side, k] of [[-1, 1], [1, 2]] as const) {
      const sk = s * r.u(0.93, 1.07);
      const bl = makeBlob(r, side, [a * 0.4 + jp(7, 18), b * 0.36 + jp(6, 15), Zp(370) + jp(10, 25)], [26 * sk, 24 * sk, 52 * zs * sk], [0.45 + rot(), 0.2 + rot(), rot()], 4, 0.06);
      const cortex = P.cortex + huSpread(), medulla = P.medulla + huSpread();
      paintBlob(bl, (q) => {
        const u = bl.u;
        // hilum on the medial side of the local frame (u[0] < 0 after mirroring): fat + collecting system
        if (u[0] < -0.35 && Math.abs(u[2]) < 0.35 && q < 0.95) return u[0] < -0.55 ? -70 : P.pelvis;
        if (q > 0.62) return cortex;
        if (q > 0.3) return medulla;
        return P.pelvis;
      }, L(k));
      if (r.u() < 0.25) {
        findings.push(k === 1 ? 'kidney-cyst-right' : 'kidney-cyst-left');
        lesions([side * bl.c[0], bl.c[1], bl.c[2]], [10, 10, 25], 1, 5, 14, () => 5, L(k));
      }
    }
  }
  // ---- pancreas (10): head (right of midline) → tail towards the splenic hilum
  {
    const s = r.u(0.8, 1.25);
    const t: Tube = {
      side: 1,
      pts: [
        [-a * 0.18 + jp(6, 15), b * 0.02 + jp(5, 12), Zp(385) + jp(7, 18)],
        [-a * 0.02 + jp(5, 12), -b * 0.12 + jp(5, 12), Zp(362) + jp(6, 15)],
        [a * 0.24 + jp(6, 15), -b * 0.02 + jp(5, 12), Zp(350) + jp(6, 15)],
        [a * 0.46 + jp(7, 18), b * 0.22 + jp(6, 15), Zp(330) + jp(7, 18)],
      ],
      rad: [17 * s, 11 * s, 11 * s, 9 * s],
    };
    const pHU = P.pancreas + huSpread();
    const fatThr = r.u(0.3, 0.6); // fatty interdigitation (more with age)
    paintTube(t, (_q, _X, _Y, _Z, i) => (gasF[i] > fatThr ? -40 : pHU + texAmp * texF[i]), L(10));
  }
  // ---- ribs (bone label): separate arcs, irregular spacing, painted into the wall/cavity boundary
  {
    const nR = 11;
    let zr = Zp(55) + jit(5);
    for (let j = 0; j < nR; j++) {
      const zrj = zr;
      const reach = j < 7 ? -0.9 + r.u(-0.05, 0.1) : -0.9 + (j - 6) * 0.25 + r.u(-0.1, 0.1); // lower ribs stop further back
      paint([-a * 1.05, a * 1.05, -b, b, zrj - 10, zrj + 55], (X, Y, Z) => {
        const aw = halfW(Z) - fat - wall * 0.5, bw = b - fat - wall * 0.5;
        const ny = Y / bw;
        if (ny < reach || Math.abs(X) < 25) return 2;
        const rr = Math.sqrt((X / aw) ** 2 + ny * ny);
        const dz = Z - (zrj + 38 * (1 - ny) * 0.5);
        return Math.hypot(((rr - 1) * (aw + bw)) / 2 / 6, dz / 6);
      }, (q) => (q > 0.55 ? 700 : 250), BONE_LABEL, 'body');
      zr += r.u(22, 30) * zs;
    }
  }
  // ---- pelvis (bone label): iliac wings, sacrum, acetabula, pubic rami — mirrored
  const femurHead: V3 = [a * 0.55 + jp(5, 12), b * 0.0 + jp(4, 10), Zp(545) + jp(6, 15)];
  for (const side of [-1, 1]) {
    const ilium = makeBlob(r, side, [a * 0.5 + jit(4), b * 0.3, Zp(460)], [9, 55, 50], [0.75 + rot(0.1), 0.25, 0.1], 2, 0.05);
    paintBlob(ilium, (q) => (q > 0.6 ? 700 : 300), BONE_LABEL, 'body');
    const fh: V3 = [femurHead[0], femurHead[1], femurHead[2]];
    paint([side * fh[0] - 40, side * fh[0] + 40, fh[1] - 40, fh[1] + 40, fh[2] - 40, fh[2] + 40], (X, Y, Z) => {
      const d = Math.hypot(side * X - fh[0], Y - fh[1], Z - fh[2]);
      return (side * X - fh[0] > 8 || Z - fh[2] > 10) ? 2 : Math.abs(d - 30) / 6;
    }, (q) => (q > 0.5 ? 750 : 350), BONE_LABEL, 'body');
    const ramus: Tube = { side, pts: [[8, -b * 0.6, Zp(560)], [a * 0.45, -b * 0.2, Zp(550)]], rad: [9, 10] };
    paintTube(ramus, (q) => (q > 0.6 ? 700 : 300), BONE_LABEL, 'body');
  }
  {
    const sac: Tube = { side: 1, pts: [[0, ySp + 5, spineZ1], [0, ySp + 25, Zp(530)], [0, ySp + 45, Zp(575)]], rad: [30, 24, 10] };
    paintTube(sac, (q) => (q > 0.75 ? 700 : 260), BONE_LABEL, 'body');
  }
  // ---- bladder (5), midline pelvis, variable filling; delayed phase: dependent contrast layer
  {
    const fill = r.u(0.55, 1.4);
    const bl = makeBlob(r, 1, [jp(6, 15), -b * 0.35 + jp(6, 15), Zp(535) + jp()], [40 * fill, 32 * fill, 30 * fill], [rot(), rot(), rot()], 3, 0.08);
    const layer = bl.c[1] + bl.ax[1] * r.u(0.2, 0.8);
    paintBlob(bl, (q, _X, Y) => (q > 0.9 ? muscleHU - 10 : phase === 'delayed' && Y > layer ? 300 : P.urine), L(5), 'body');
  }
  // ---- femurs (3 right, 4 left): head, neck, shaft; cortical shell, marrow
  {
    const s = r.u(0.88, 1.12);
    for (const [side, k] of [[-1, 3], [1, 4]] as const) {
      const head = [femurHead[0] + jit(2), femurHead[1] + jit(2), femurHead[2] + jit(3)] as V3;
      const troch: V3 = [a * 0.78 + jp(5, 12), b * 0.12 + jp(4, 10), head[2] + 25 + jit(5)];
      const shaftEnd: V3 = [a * 0.6 + jp(), b * 0.02 + jp(), Zp(760)];
      const hr = 22 * s + jit(1.5);
      const shaft: Tube = { side, pts: [head, troch, [troch[0] - 6, troch[1], troch[2] + 25], shaftEnd], rad: [hr, 16 * s, 15 * s, 13 * s] };
      const marrow = r.u(-40, 60); // fatty to red marrow
      paintTube(shaft, (q, X, Y, Z) => {
        const dh = Math.hypot(side * X - head[0], Y - head[1], Z - head[2]) / hr;
        if (dh < 1) return dh > 0.86 ? 800 : 300;
        return q > 0.74 ? 950 : marrow;
      }, L(k), 'body');
    }
  }

  // ---- scan range: anatomy outside it is not imaged (truncated crops, as in real scans)
  for (let z = 0; z < D; z++) {
    if (Zs[z] >= scanTop && Zs[z] <= scanBottom) continue;
    hu.fill(-1000, z * H * W, (z + 1) * H * W);
    lab.fill(0, z * H * W, (z + 1) * H * W);
    region.fill(REGION_OUT, z * H * W, (z + 1) * H * W);
  }

  // ---- scanner: point spread, slice thickness (partial volume), spatially correlated noise
  let img = gaussianBlur3d(hu, PHANTOM_SHAPE, opts.blur ?? [0.5, 0.7, 0.7]);
  img = thickSlices(img, PHANTOM_SHAPE, sliceFactor);
  const table = gaussTable();
  const next = r.next;
  const white = new Float32Array(N);
  for (let i = 0; i < N; i++) white[i] = table[(next() * 65536) | 0];
  const corr = gaussianBlur3d(white, PHANTOM_SHAPE, [0.5, 0.9, 0.9]);
  let ss = 0;
  for (let i = 0; i < N; i += 97) ss += corr[i] * corr[i];
  const gain = noiseHU / Math.sqrt(ss / Math.ceil(N / 97));
  for (let i = 0; i < N; i++) {
    if (region[i] !== REGION_OUT) img[i] += gain * corr[i] + calib + biasAmp * biasF[i];
  }
  if (acq.mirrored) {
    // flip x in place (labels keep their meaning: a right kidney stays labelled right)
    for (let row = 0; row < D * H; row++) {
      const o = row * W;
      img.subarray(o, o + W).reverse();
      lab.subarray(o, o + W).reverse();
    }
  }
  if (acq.flippedZ) {
    // reverse the slice order in place
    const plane = H * W;
    for (let z0 = 0, z1 = D - 1; z0 < z1; z0++, z1--) {
      const a = z0 * plane, b = z1 * plane;
      const ti = img.slice(a, a + plane), tl = lab.slice(a, a + plane);
      img.copyWithin(a, b, b + plane); img.set(ti, b);
      lab.copyWithin(a, b, b + plane); lab.set(tl, b);
    }
  }
  const meta: PhantomSubjectMeta = { ...acq, findings };
  return { hu: img, labels: lab, shape: [D, H, W], spacing: PHANTOM_SPACING, meta };
}

// ------------------------------------------------------------------ crops
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
 * draws uniformly from 0 to this): tight boxes, as MedMNIST cut them, with some jitter. A version
 * with 0–100 % came near the block-mean targets too, but the organ then filled ~6 % of its crop
 * and the model read the context instead (organ-replaced occlusion cost it only 5.7 points).
 */
export const PHANTOM_CROP_MARGIN_MAX = 0.2;

/**
 * Crop every organ of a subject (3D bounding box + a random margin of 0–PHANTOM_CROP_MARGIN_MAX
 * of its extent on each side, so the organ is not always centred and its neighbours vary)
 * and resize to each requested size S³. Organs with fewer than `minVoxels` voxels in the scan
 * are skipped (e.g. cut off by the scan range).
 */
export function cropOrgans(
  subj: PhantomSubject,
  sizes: number[],
  rand: () => number,
  opts: { marginMin?: number; marginMax?: number; minVoxels?: number } = {},
): Map<number, OrganCrop[]> {
  const [D, H, W] = subj.shape;
  const lab = subj.labels;
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
  const mMin = opts.marginMin ?? 0, mMax = opts.marginMax ?? PHANTOM_CROP_MARGIN_MAX;
  const res = new Map<number, OrganCrop[]>();
  for (const s of sizes) res.set(s, []);
  for (let c = 0; c < NUM_CLASSES; c++) {
    if (cnt[c] < (opts.minVoxels ?? 60)) continue;
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
      const rs = resizeTrilinear(sub, [cd, ch, cw], [S, S, S]);
      const image = windowHU(rs);
      const rm = resizeTrilinear(msk, [cd, ch, cw], [S, S, S]);
      const mask = new Uint8Array(S * S * S);
      for (let i = 0; i < mask.length; i++) mask[i] = rm[i] >= 0.5 ? 1 : 0;
      const labelMap = resizeNearest(lm, [cd, ch, cw], [S, S, S]);
      res.get(S)!.push({ label: c, image, mask, labelMap, box: [za, zb, ya, yb, xa, xb] });
    }
  }
  return res;
}

// ------------------------------------------------------------------ dataset
export interface PhantomDatasetOptions {
  size?: number;
  /** generate several sizes from the same subjects in one pass (overrides size) */
  sizes?: number[];
  seed?: number;
  /** subjects per split (default 89/15/56) */
  subjects?: Partial<Record<SplitName, number>>;
  /**
   * exact crop counts per split (default MedMNIST's 971/161/610); surplus crops are dropped
   * at random (like organs outside the field of view). null keeps every crop.
   */
  targetCounts?: Partial<Record<SplitName, number>> | null;
  subject?: PhantomSubjectOptions;
  /** crop margin per side as a fraction of the organ's extent (default 0–PHANTOM_CROP_MARGIN_MAX) */
  margin?: { min?: number; max?: number };
  onProgress?: (done: number, total: number) => void;
}

export const PHANTOM_DEFAULT_SEED = 20261127;
/** More subjects than 1742/11 because the scan range cuts some organs off entirely. */
export const PHANTOM_DEFAULT_SUBJECTS: Record<SplitName, number> = { train: 95, val: 16, test: 61 };
export const PHANTOM_TARGET_COUNTS: Record<SplitName, number> = { train: 971, val: 161, test: 610 };

/** Generate the phantom dataset(s). Returns one Dataset per requested size. */
export function generatePhantomDatasets(opts: PhantomDatasetOptions = {}): Map<number, Dataset> {
  const sizes = opts.sizes ?? [opts.size ?? 64];
  const seed = opts.seed ?? PHANTOM_DEFAULT_SEED;
  const nSub = { ...PHANTOM_DEFAULT_SUBJECTS, ...(opts.subjects ?? {}) };
  const target = opts.targetCounts === null ? null : { ...PHANTOM_TARGET_COUNTS, ...(opts.targetCounts ?? {}) };
  const splitsOrder: SplitName[] = ['train', 'val', 'test'];
  const total = nSub.train + nSub.val + nSub.test;
  const perSize = new Map<number, Record<SplitName, OrganCrop[]>>();
  for (const s of sizes) perSize.set(s, { train: [], val: [], test: [] });
  const subjectOf: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  let subj = 0;
  for (const sp of splitsOrder) {
    for (let j = 0; j < nSub[sp]; j++, subj++) {
      const sSeed = hashSeed(seed, subj);
      const subject = generatePhantomSubject(sSeed, opts.subject);
      const crops = cropOrgans(subject, sizes, makeRng(hashSeed(sSeed, 7)), { marginMin: opts.margin?.min, marginMax: opts.margin?.max });
      for (const s of sizes) perSize.get(s)![sp].push(...crops.get(s)!);
      for (let k = 0; k < crops.get(sizes[0])!.length; k++) subjectOf[sp].push(subj);
      opts.onProgress?.(subj + 1, total);
    }
  }
  // drop surplus crops deterministically (same indices for every size)
  const keep: Record<SplitName, number[]> = { train: [], val: [], test: [] };
  const first = perSize.get(sizes[0])!;
  for (const sp of splitsOrder) {
    const n = first[sp].length;
    const idx = Array.from({ length: n }, (_, i) => i);
    const want = target ? Math.min(n, target[sp]) : n;
    const rr = makeRng(hashSeed(seed, 1000 + splitsOrder.indexOf(sp)));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rr() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    keep[sp] = idx.slice(0, want).sort((p, q) => p - q);
  }
  const out = new Map<number, Dataset>();
  for (const S of sizes) {
    const vox = S * S * S;
    const splits = {} as Dataset['splits'];
    for (const sp of splitsOrder) {
      const list = keep[sp].map((i) => perSize.get(S)![sp][i]);
      const n = list.length;
      const images = new Uint8Array(n * vox);
      const masks = new Uint8Array(n * vox);
      const labelMaps = new Uint8Array(n * vox);
      const labels = new Int32Array(n);
      list.forEach((c, i) => {
        images.set(c.image, i * vox);
        masks.set(c.mask, i * vox);
        labelMaps.set(c.labelMap, i * vox);
        labels[i] = c.label;
      });
      const split: Split = {
        images: { dtype: 'uint8', shape: [n, S, S, S], data: images },
        masks: { dtype: 'uint8', shape: [n, S, S, S], data: masks },
        labelMaps: { dtype: 'uint8', shape: [n, S, S, S], data: labelMaps },
        subjects: Int32Array.from(keep[sp], (i) => subjectOf[sp][i]),
        labels,
        count: n,
      };
      splits[sp] = split;
    }
    out.set(S, { name: 'phantom', size: S, splits });
  }
  return out;
}

/** Generate the phantom dataset at one size (see generatePhantomDatasets). */
export function generatePhantomDataset(opts: PhantomDatasetOptions = {}): Dataset {
  const size = opts.size ?? 64;
  return generatePhantomDatasets({ ...opts, sizes: [size] }).get(size)!;
}
