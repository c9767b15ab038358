/**
 * Acquisition of a phantom scan: protocol (scan range), contrast timing, reconstruction
 * (point spread, slice thickness), correlated noise, calibration, and how the file is stored
 * (orientation). Everything here is drawn from its own random stream per subject, so tests
 * and the Data page can survey it without generating volumes.
 */
import { gaussianBlur3d } from '../volume';
import { gaussTable, hashSeed, makeRng, Rand } from './random';

export const PHANTOM_SHAPE: [number, number, number] = [128, 80, 112]; // [z, y, x]
export const PHANTOM_SPACING: [number, number, number] = [5, 3.5, 3.5]; // mm [z, y, x]

export const CONTRAST_PHASES = ['unenhanced', 'arterial', 'portal-venous', 'delayed'] as const;
export type ContrastPhase = (typeof CONTRAST_PHASES)[number];

/** Scan protocols: which body region the scan covers (abdominal CT collections are mostly the middle one). */
export const SCAN_PROTOCOLS = ['chest-abdomen-pelvis', 'abdomen-pelvis', 'abdomen'] as const;
export type ScanProtocol = (typeof SCAN_PROTOCOLS)[number];

/**
 * Share of subjects whose scan is stored left–right mirrored, and head–feet flipped. Both 0:
 * no source about OrganMNIST3D's stored orientations supports another share. They are an
 * option to study (`npm run data -- --mirrored-share X --flipped-share Y`), recorded per crop.
 */
export const PHANTOM_MIRRORED_SHARE = 0;
export const PHANTOM_FLIPPED_SHARE = 0;

/** Orientation code stored per crop: bit 0 = left–right mirrored, bit 1 = head–feet flipped. */
export const ORIENTATION_CODES = ['as stored', 'mirrored', 'head-feet flipped', 'mirrored and flipped'] as const;
export function orientationCode(m: { mirrored: boolean; flippedZ: boolean }): number {
  return (m.mirrored ? 1 : 0) | (m.flippedZ ? 2 : 0);
}

export interface AcquisitionOptions {
  /** override the per-subject noise SD in HU (default drawn from 10–40) */
  noise?: number;
  /** share of scans stored left–right mirrored (default PHANTOM_MIRRORED_SHARE = 0) */
  mirroredShare?: number;
  /** share of scans stored head–feet flipped (default PHANTOM_FLIPPED_SHARE = 0) */
  flippedShare?: number;
}

export interface Acquisition {
  phase: ContrastPhase;
  /** seconds from contrast injection to the scan (0 = unenhanced) */
  contrastSeconds: number;
  /** enhancement scale: dose per kg, cardiac output (1 = typical) */
  contrastDose: number;
  /** tube voltage: lower kVp makes iodine (and bone) brighter */
  kVp: number;
  /** positive oral contrast in the bowel */
  oralContrast: boolean;
  /** noise SD in HU (spatially correlated) */
  noiseHU: number;
  /** reconstructed slice thickness as a multiple of the 5 mm source grid */
  sliceFactor: number;
  /** in-plane point spread SD in voxels (soft to sharp reconstruction kernel) */
  psf: number;
  armsDown: boolean;
  protocol: ScanProtocol;
  /** scan range in template mm (anatomy coordinates before the subject's own shift and height) */
  rangeTemplate: [number, number];
  /** stored left–right mirrored (a wrong orientation header) */
  mirrored: boolean;
  /** stored head–feet flipped (slices in reverse order) */
  flippedZ: boolean;
}

/** Draw the scan range of a protocol, in template mm (lung apex ≈ 30, domes ≈ 250, kidneys ≈ 370, femoral heads ≈ 545). */
function drawRange(r: Rand, protocol: ScanProtocol): [number, number] {
  if (protocol === 'chest-abdomen-pelvis') return [r.u(-40, 40), r.u(600, 760)];
  if (protocol === 'abdomen-pelvis') return [r.u(120, 215), r.u(575, 760)];
  return [r.u(150, 225), r.u(470, 600)];
}

export function drawAcquisition(seed: number, opts: AcquisitionOptions = {}): Acquisition {
  const r = new Rand(makeRng(hashSeed(seed, 0xacc)));
  // contrast timing: unenhanced, or seconds after injection (mostly portal-venous in practice)
  const u = r.u();
  const contrastSeconds = u < 0.15 ? 0 : u < 0.35 ? r.u(22, 45) : u < 0.8 ? r.u(50, 100) : r.u(120, 420);
  const phase: ContrastPhase = contrastSeconds === 0 ? 'unenhanced' : contrastSeconds < 48 ? 'arterial' : contrastSeconds < 110 ? 'portal-venous' : 'delayed';
  // tube voltage: iodine attenuation is ~1.6× higher at 80 kVp than at 120, ~0.85× at 140
  const kVp = r.pick([80, 100, 100, 120, 120, 120, 140]);
  const iodine = kVp === 80 ? 1.6 : kVp === 100 ? 1.3 : kVp === 120 ? 1 : 0.85;
  const contrastDose = contrastSeconds === 0 ? 0 : r.u(0.65, 1.35) * iodine;
  const oralContrast = r.chance(0.3);
  const armsDown = r.chance(0.4);
  const sliceFactor = r.pick([1, 1, 1.5, 2]);
  const psf = r.u(0.5, 1.1);
  const noiseHU = opts.noise ?? r.u(10, 40);
  const pu = r.u();
  const protocol: ScanProtocol = pu < 0.25 ? 'chest-abdomen-pelvis' : pu < 0.75 ? 'abdomen-pelvis' : 'abdomen';
  const rangeTemplate = drawRange(r, protocol);
  const mirrored = r.u() < (opts.mirroredShare ?? PHANTOM_MIRRORED_SHARE);
  const flippedZ = r.u() < (opts.flippedShare ?? PHANTOM_FLIPPED_SHARE);
  return { phase, contrastSeconds, contrastDose, kVp, oralContrast, noiseHU, sliceFactor, psf, armsDown, protocol, rangeTemplate, mirrored, flippedZ };
}

/** Tissues whose HU follow the contrast timing. */
export type Tissue = 'liver' | 'spleen' | 'pancreas' | 'cortex' | 'medulla' | 'pelvis' | 'artery' | 'vein' | 'portal' | 'myo' | 'muscle' | 'urine' | 'bowelWall';

const T = [0, 25, 35, 50, 70, 100, 180, 300, 600];
/**
 * Unenhanced HU and enhancement (HU above it at dose 1) at the times T (s after injection),
 * typical of abdominal CT time–attenuation curves: the aorta peaks at ~25–35 s, the renal cortex
 * early, the medulla later (nephrographic), the liver through the portal vein at ~60–70 s, urine in
 * the collecting system from ~3 min (excretory).
 */
const CURVES: Record<Tissue, { base: number; e: number[] }> = {
  liver: { base: 58, e: [0, 8, 18, 45, 60, 55, 40, 28, 15] },
  spleen: { base: 48, e: [0, 50, 70, 75, 68, 58, 40, 28, 15] },
  pancreas: { base: 42, e: [0, 60, 75, 62, 50, 40, 28, 20, 12] },
  cortex: { base: 32, e: [0, 150, 170, 140, 125, 110, 90, 70, 45] },
  medulla: { base: 30, e: [0, 25, 45, 90, 120, 130, 110, 90, 60] },
  pelvis: { base: 8, e: [0, 0, 0, 0, 0, 10, 150, 450, 700] },
  artery: { base: 42, e: [0, 260, 230, 170, 140, 110, 80, 55, 30] },
  vein: { base: 40, e: [0, 10, 40, 130, 140, 120, 85, 55, 30] },
  portal: { base: 40, e: [0, 15, 60, 150, 165, 130, 85, 55, 30] },
  myo: { base: 48, e: [0, 55, 60, 50, 45, 38, 30, 22, 12] },
  muscle: { base: 50, e: [0, 4, 7, 10, 10, 10, 8, 6, 4] },
  urine: { base: 8, e: [0, 0, 0, 0, 0, 0, 15, 80, 250] },
  bowelWall: { base: 40, e: [0, 30, 45, 50, 45, 35, 25, 15, 8] },
};

/** HU of a tissue at `seconds` after injection with dose factor `dose` (linear between the table's times). */
export function tissueHU(t: Tissue, seconds: number, dose: number): number {
  const c = CURVES[t];
  if (seconds <= 0 || dose <= 0) return c.base;
  let i = 0;
  while (i + 2 < T.length && seconds > T[i + 1]) i++;
  const f = Math.max(0, Math.min(1, (seconds - T[i]) / (T[i + 1] - T[i])));
  return c.base + dose * (c.e[i] + f * (c.e[i + 1] - c.e[i]));
}

/** Reconstruct thick slices: average `k` source slices (partial volume) and stair-step back. */
export function thickSlices(vol: Float32Array, shape: [number, number, number], k: number): Float32Array {
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
 * The scanner: point spread (blur), slice thickness (partial volume across slices), spatially
 * correlated noise, calibration offset and a smooth shading field inside the body.
 */
export function scan(
  hu: Float32Array,
  inBody: (i: number) => boolean,
  acq: Acquisition,
  r: Rand,
  shading: { calib: number; field: Float32Array; amp: number },
  blur?: [number, number, number],
): Float32Array {
  const N = hu.length;
  let img = gaussianBlur3d(hu, PHANTOM_SHAPE, blur ?? [0.45, acq.psf, acq.psf]);
  img = thickSlices(img, PHANTOM_SHAPE, acq.sliceFactor);
  const table = gaussTable();
  const white = new Float32Array(N);
  for (let i = 0; i < N; i++) white[i] = table[(r.next() * 65536) | 0];
  const corr = gaussianBlur3d(white, PHANTOM_SHAPE, [0.5, 0.9, 0.9]);
  let ss = 0;
  for (let i = 0; i < N; i += 97) ss += corr[i] * corr[i];
  const gain = acq.noiseHU / Math.sqrt(ss / Math.ceil(N / 97));
  for (let i = 0; i < N; i++) {
    if (inBody(i)) img[i] += gain * corr[i] + shading.calib + shading.amp * shading.field[i];
  }
  return img;
}

/** Store the scan the way its header says: mirror x and/or reverse the slices, image and labels alike. */
export function applyOrientation(img: Float32Array, lab: Uint8Array, acq: Pick<Acquisition, 'mirrored' | 'flippedZ'>): void {
  const [D, H, W] = PHANTOM_SHAPE;
  if (acq.mirrored) {
    // labels keep their meaning: a right kidney stays labelled right
    for (let row = 0; row < D * H; row++) {
      const o = row * W;
      img.subarray(o, o + W).reverse();
      lab.subarray(o, o + W).reverse();
    }
  }
  if (acq.flippedZ) {
    const plane = H * W;
    for (let z0 = 0, z1 = D - 1; z0 < z1; z0++, z1--) {
      const a = z0 * plane, b = z1 * plane;
      const ti = img.slice(a, a + plane), tl = lab.slice(a, a + plane);
      img.copyWithin(a, b, b + plane); img.set(ti, b);
      lab.copyWithin(a, b, b + plane); lab.set(tl, b);
    }
  }
}
