/**
 * Procedural CT phantom dataset, built the way OrganMNIST3D was built:
 * synthetic CT torsos (HU) → per-organ 3D bounding box (+ small random margin) →
 * trilinear resize to S³ → abdominal window (L40/W400) → uint8; ground-truth organ
 * mask kept for every crop. Deterministic from a seed. Pure TypeScript (browser + Node).
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
 * organ's orientation relative to it tell left from right — as in the real data.
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
export interface PhantomSubject {
  /** HU volume [z][y][x] */
  hu: Float32Array;
  /** organ label map: 0 = background, k+1 = organ k (ORGAN_LABELS order) */
  labels: Uint8Array;
  shape: [number, number, number];
  spacing: [number, number, number];
}

export interface PhantomSubjectOptions {
  /** Gaussian noise SD in HU (default 14) */
  noise?: number;
  /** blur SD in voxels [z, y, x] (default [0.5, 0.7, 0.7]) */
  blur?: [number, number, number];
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

/** Generate one synthetic CT torso (HU + organ label map). Deterministic in `seed`. */
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

  // ---- subject parameters
  const a = r.u(148, 172); // body half-width (mm)
  const b = r.u(96, 116); // body half-depth
  const fat = r.u(10, 28); // subcutaneous fat
  const wall = r.u(9, 14); // muscle wall
  const zs = r.u(0.94, 1.04); // cranio-caudal scale
  const z0 = r.u(-12, 12); // cranio-caudal shift
  const Zp = (z: number) => z0 + z * zs; // anatomical Z (template mm) → scan Z
  const yBody = r.u(-4, 4);
  // HU jitter per subject (scanner/contrast variation)
  const dHU = r.n(0, 5);

  // body half-width as function of Z (thorax, waist, pelvis); thighs below
  const zThigh = Zp(585);
  const halfW = (Z: number): number => {
    const t = (Z - z0) / zs;
    if (t < 60) return a * (0.86 + 0.14 * (t / 60));
    if (t < 270) return a;
    if (t < 400) return a * (1 - 0.05 * Math.sin(((t - 270) / 130) * Math.PI));
    return a * 1.04;
  };

  // smooth random fields (bowel texture, gas, vessels) from coarse grids
  const field = (gz: number, gy: number, gx: number): Float32Array => {
    const g = new Float32Array(gz * gy * gx);
    for (let i = 0; i < g.length; i++) g[i] = r.u(-1, 1);
    return resizeTrilinear(g, [gz, gy, gx], [D, H, W]);
  };
  const bowelF = field(22, 14, 20);
  const gasF = field(26, 16, 24);
  const vesF = field(40, 26, 36);

  // ---- body, fat, muscle wall, cavity
  const thighC = a * 0.47;
  const thighA = a * 0.5, thighB = b * 0.78;
  for (let z = 0; z < D; z++) {
    const Z = Zs[z];
    const aw = halfW(Z);
    const abdomen = (Z - z0) / zs > 255;
    for (let y = 0; y < H; y++) {
      const Y = Ys[y] - yBody;
      for (let x = 0; x < W; x++) {
        const X = Xs[x];
        const i = (z * H + y) * W + x;
        let dOut: number; // approx depth below skin (mm), <0 outside
        let ex: number, ey: number;
        if (Z > zThigh) {
          const cx = X < 0 ? -thighC : thighC;
          ex = (X - cx) / thighA; ey = (Y - b * 0.05) / thighB;
          dOut = (1 - Math.sqrt(ex * ex + ey * ey)) * Math.min(thighA, thighB);
        } else {
          // flatter back: superellipse-ish
          // slightly flattened back
          ex = X / aw; ey = Y > 0 ? (Y / b) * (1 + 0.12 * (Y / b) * (Y / b)) : Y / b;
          const rr = Math.sqrt(ex * ex + ey * ey);
          dOut = (1 - rr) * Math.min(aw, b) * 1.15;
        }
        if (dOut < 0) continue;
        if (dOut < fat) {
          region[i] = REGION_FAT;
          hu[i] = -105 + 10 * vesF[i];
        } else if (dOut < fat + wall || Z > zThigh) {
          region[i] = REGION_WALL;
          hu[i] = 45 + dHU;
        } else {
          region[i] = REGION_CAVITY;
          if (!abdomen) hu[i] = -70 + 40 * bowelF[i]; // mediastinal / thoracic fat
          else {
            const v = bowelF[i];
            if (v > 0.05) hu[i] = gasF[i] > 0.55 ? -950 : v > 0.15 ? 30 + 20 * gasF[i] : 60; // loops, gas, walls
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
    const xa = Math.max(0, Math.floor(box[0] / sx + W / 2 - 0.5)), xb = Math.min(W - 1, Math.ceil(box[1] / sx + W / 2 - 0.5));
    const ya = Math.max(0, Math.floor((box[2] + yBody) / sy + H / 2 - 0.5)), yb = Math.min(H - 1, Math.ceil((box[3] + yBody) / sy + H / 2 - 0.5));
    const za = Math.max(0, Math.floor(box[4] / sz - 0.5)), zb = Math.min(D - 1, Math.ceil(box[5] / sz - 0.5));
    for (let z = za; z <= zb; z++) {
      const Z = Zs[z];
      for (let y = ya; y <= yb; y++) {
        const Y = Ys[y] - yBody;
        let i = (z * H + y) * W + xa;
        for (let x = xa; x <= xb; x++, i++) {
          const rg = region[i];
          if (where === 'cavity' ? rg !== REGION_CAVITY : where === 'body' ? rg === REGION_OUT : false) continue;
          const X = Xs[x];
          const qq = q(X, Y, Z);
          if (qq < 1) {
            const v = shade(qq, X, Y, Z, i);
            if (v === v) {
              hu[i] = v;
              lab[i] = label;
            }
          }
        }
      }
    }
  };
  const paintBlob = (bl: Blob, shade: (q: number, X: number, Y: number, Z: number, i: number) => number, label: number, where: 'cavity' | 'body' | 'any' = 'cavity') =>
    paint(blobBox(bl), (X, Y, Z) => blobQ(bl, X, Y, Z), shade, label, where);
  const paintTube = (t: Tube, shade: (q: number, X: number, Y: number, Z: number, i: number) => number, label: number, where: 'cavity' | 'body' | 'any' = 'cavity') =>
    paint(tubeBox(t), (X, Y, Z) => tubeQ(t, X, Y, Z), shade, label, where);
  const flat = (v: number) => () => v;
  const jit = (s: number) => r.n(0, s);
  const L = (k: number) => k + 1; // organ index → label value

  // ---- lungs (7 right, 8 left) — one distribution, mirrored
  for (const [side, k] of [[-1, 7], [1, 8]] as const) {
    const bl = makeBlob(
      r,
      side,
      [a * 0.43 + jit(5), -b * 0.02 + jit(4), Zp(150) + jit(8)],
      [a * 0.3 + jit(3), b * 0.62 + jit(4), 118 * zs + jit(6)],
      [jit(0.08), jit(0.05), jit(0.05)],
      4,
      0.06,
    );
    paintBlob(bl, (q, _X, _Y, _Z, i) => {
      const v = vesF[i];
      return Math.abs(v) < 0.035 + 0.05 * (1 - q) ? -600 + 200 * (1 - q) : -860 + 40 * bowelF[i];
    }, L(k));
  }
  // ---- heart (6), left-anterior
  {
    const bl = makeBlob(r, 1, [a * 0.1 + jit(5), -b * 0.3 + jit(4), Zp(215) + jit(8)], [52 + jit(4), 42 + jit(3), 52 + jit(4)], [0.6 + jit(0.1), 0.25 + jit(0.08), jit(0.08)], 3, 0.06);
    paintBlob(bl, (q) => (q > 0.72 ? 42 + dHU : 55 + dHU), L(6));
    // pericardial fat rim is the mediastinal fat already there
  }
  // ---- aorta + IVC (context, unlabelled)
  const ySp = b * 0.52; // vertebral body centre Y
  {
    const ao: Tube = { side: 1, pts: [[a * 0.02, -b * 0.15, Zp(150)], [a * 0.08, ySp - 32, Zp(240)], [a * 0.06, ySp - 30, Zp(440)], [0, ySp - 25, Zp(470)]], rad: [14, 12, 11, 9] };
    paintTube(ao, flat(50 + dHU), 0);
    const ivc: Tube = { side: 1, pts: [[-a * 0.12, ySp - 30, Zp(260)], [-a * 0.12, ySp - 30, Zp(460)]], rad: [11, 11] };
    paintTube(ivc, flat(45 + dHU), 0);
  }
  // ---- stomach (left upper abdomen, air–fluid level), unlabelled context
  {
    const bl = makeBlob(r, 1, [a * 0.3 + jit(6), -b * 0.3 + jit(5), Zp(285) + jit(8)], [38 + jit(4), 30 + jit(4), 40 + jit(5)], [jit(0.3), jit(0.1), jit(0.1)], 3, 0.08);
    const gasTop = bl.c[1] - bl.ax[1] * r.u(0.2, 0.6);
    paintBlob(bl, (q, _X, Y) => (q > 0.85 ? 50 : Y < gasTop ? -950 : 15), 0);
  }
  // ---- liver (0): right lobe + left lobe crossing the midline anteriorly
  {
    const right = makeBlob(r, 1, [-a * 0.36 + jit(5), -b * 0.02 + jit(4), Zp(300) + jit(8)], [a * 0.42 + jit(4), b * 0.72 + jit(4), 72 * zs + jit(5)], [jit(0.1), jit(0.08), jit(0.08)], 4, 0.06);
    const left = makeBlob(r, 1, [a * 0.05 + jit(6), -b * 0.42 + jit(4), Zp(280) + jit(8)], [a * 0.33 + jit(4), b * 0.28 + jit(3), 38 + jit(4)], [jit(0.15), jit(0.08), jit(0.08)], 3, 0.06);
    const liverHU = 62 + dHU + r.n(0, 4);
    const box1 = blobBox(right), box2 = blobBox(left);
    const box: Box = [Math.min(box1[0], box2[0]), Math.max(box1[1], box2[1]), Math.min(box1[2], box2[2]), Math.max(box1[3], box2[3]), Math.min(box1[4], box2[4]), Math.max(box1[5], box2[5])];
    paint(box, (X, Y, Z) => Math.min(blobQ(right, X, Y, Z), blobQ(left, X, Y, Z)), (_q, _X, _Y, _Z, i) => (Math.abs(vesF[i]) < 0.03 ? liverHU - 25 : liverHU), L(0));
    // gallbladder notch (unlabelled), under the liver
    const gb = makeBlob(r, 1, [-a * 0.22 + jit(5), -b * 0.45 + jit(4), Zp(335) + jit(6)], [14 + jit(2), 14 + jit(2), 24 + jit(3)], [jit(0.3), jit(0.2), jit(0.2)], 2, 0.05);
    paintBlob(gb, flat(8), 0);
  }
  // ---- spleen (9), left posterolateral
  {
    const bl = makeBlob(r, 1, [a * 0.6 + jit(5), b * 0.32 + jit(5), Zp(295) + jit(8)], [24 + jit(2), 50 + jit(4), 50 + jit(4)], [-0.6 + jit(0.1), jit(0.1), jit(0.1)], 4, 0.07);
    const spHU = 52 + dHU + r.n(0, 4);
    paintBlob(bl, flat(spHU), L(9));
  }
  // ---- spine: vertebral bodies with discs, canal, posterior arch (unlabelled)
  const discPhase = r.u(0, 28);
  const spineZ1 = Zp(470);
  {
    const vb: Tube = { side: 1, pts: [[0, ySp - 6, 0], [0, ySp, Zp(200)], [0, ySp - 8, Zp(420)], [0, ySp + 5, spineZ1]], rad: [15, 17, 20, 19] };
    paintTube(vb, (q, _X, _Y, Z) => {
      if ((Z + discPhase) % 28 < 6) return 85;
      return q > 0.8 ? 750 : 230;
    }, 0, 'body');
    const canal: Tube = { side: 1, pts: [[0, ySp + 22, 0], [0, ySp + 26, Zp(420)], [0, ySp + 30, spineZ1]], rad: [8, 8, 6] };
    const arch: Tube = { side: 1, pts: canal.pts, rad: [15, 15, 12] };
    paintTube(arch, (_q, _X, Y, Z) => ((Z + discPhase) % 28 < 8 ? NaN : Y > ySp + 18 ? 650 : NaN), 0, 'body');
    paintTube(canal, flat(15), 0, 'body');
    // spinous process
    const sp: Tube = { side: 1, pts: [[0, ySp + 34, 0], [0, ySp + 50, 0]], rad: [5, 4] };
    paint([-8, 8, ySp + 28, ySp + 56, 0, spineZ1], (X, Y) => tubeQ(sp, X, Y, 0), (_q, _X, _Y, Z) => ((Z + discPhase) % 28 < 10 ? NaN : 600), 0, 'body');
  }
  // ---- paraspinal muscles and psoas (mirrored), unlabelled context
  for (const side of [-1, 1]) {
    const para: Tube = { side, pts: [[30, ySp + 40, Zp(120)], [34, ySp + 40, Zp(480)]], rad: [20, 24] };
    paintTube(para, flat(48 + dHU), 0, 'body');
    const psoas: Tube = { side, pts: [[22, ySp - 2, Zp(360)], [34, ySp - 8, Zp(440)], [45, ySp - 30, Zp(520)]], rad: [8, 18, 20] };
    paintTube(psoas, flat(48 + dHU), 0);
  }
  // ---- kidneys (1 right, 2 left): cortex, medulla, hilum facing antero-medially
  for (const [side, k] of [[-1, 1], [1, 2]] as const) {
    const bl = makeBlob(
      r,
      side,
      [a * 0.4 + jit(4), b * 0.36 + jit(4), Zp(370) + jit(10)],
      [26 + jit(2), 24 + jit(2), 52 * zs + jit(4)],
      [0.45 + jit(0.12), 0.2 + jit(0.08), jit(0.08)],
      4,
      0.05,
    );
    paintBlob(bl, (q) => {
      const u = bl.u;
      // hilum notch on the medial side of the local frame (u[0] < 0 after mirroring)
      if (u[0] < -0.35 && Math.abs(u[2]) < 0.35 && q < 0.95) return -70;
      if (q > 0.62) return 150 + dHU;
      if (q > 0.3) return 60 + dHU;
      return 20;
    }, L(k));
  }
  // ---- pancreas (10): head (right of midline) → tail towards the splenic hilum
  {
    const t: Tube = {
      side: 1,
      pts: [
        [-a * 0.18 + jit(4), b * 0.02 + jit(4), Zp(385) + jit(6)],
        [-a * 0.02 + jit(3), -b * 0.12 + jit(3), Zp(362) + jit(5)],
        [a * 0.24 + jit(4), -b * 0.02 + jit(3), Zp(350) + jit(5)],
        [a * 0.46 + jit(4), b * 0.22 + jit(4), Zp(330) + jit(6)],
      ],
      rad: [17 + jit(2), 11 + jit(1.5), 11 + jit(1.5), 9 + jit(1.5)],
    };
    paintTube(t, (_q, _X, _Y, _Z, i) => (gasF[i] > 0.5 ? -40 : 45 + dHU), L(10));
  }
  // ---- ribs (unlabelled), painted into the wall/cavity boundary
  {
    const nR = 11;
    for (let j = 0; j < nR; j++) {
      const zr = Zp(55 + j * 26);
      const reach = j < 7 ? -0.9 : -0.9 + (j - 6) * 0.25; // lower ribs stop further back
      paint([-a * 1.05, a * 1.05, -b, b, zr - 10, zr + 55], (X, Y, Z) => {
        const aw = halfW(Z) - fat - wall * 0.5, bw = b - fat - wall * 0.5;
        const ny = Y / bw;
        if (ny < reach || Math.abs(X) < 25) return 2;
        const rr = Math.sqrt((X / aw) ** 2 + ny * ny);
        const dz = Z - (zr + 38 * (1 - ny) * 0.5);
        return Math.hypot(((rr - 1) * (aw + bw)) / 2 / 6, dz / 6);
      }, (q) => (q > 0.55 ? 700 : 250), 0, 'body');
    }
  }
  // ---- pelvis (unlabelled): iliac wings, sacrum, acetabula, pubic rami — mirrored
  const femurHead: V3 = [a * 0.55 + jit(4), b * 0.0 + jit(3), Zp(545) + jit(6)];
  for (const side of [-1, 1]) {
    const ilium = makeBlob(r, side, [a * 0.5 + jit(3), b * 0.3, Zp(460)], [9, 55, 50], [0.75, 0.25, 0.1], 2, 0.05);
    paintBlob(ilium, (q) => (q > 0.6 ? 700 : 300), 0, 'body');
    const fh: V3 = [femurHead[0], femurHead[1], femurHead[2]];
    paint([side * fh[0] - 40, side * fh[0] + 40, fh[1] - 40, fh[1] + 40, fh[2] - 40, fh[2] + 40], (X, Y, Z) => {
      const d = Math.hypot(side * X - fh[0], Y - fh[1], Z - fh[2]);
      return (side * X - fh[0] > 8 || Z - fh[2] > 10) ? 2 : Math.abs(d - 30) / 6;
    }, (q) => (q > 0.5 ? 750 : 350), 0, 'body');
    const ramus: Tube = { side, pts: [[8, -b * 0.6, Zp(560)], [a * 0.45, -b * 0.2, Zp(550)]], rad: [9, 10] };
    paintTube(ramus, (q) => (q > 0.6 ? 700 : 300), 0, 'body');
  }
  {
    const sac: Tube = { side: 1, pts: [[0, ySp + 5, spineZ1], [0, ySp + 25, Zp(530)], [0, ySp + 45, Zp(575)]], rad: [30, 24, 10] };
    paintTube(sac, (q) => (q > 0.75 ? 700 : 260), 0, 'body');
  }
  // ---- bladder (5), midline pelvis, variable filling
  {
    const fill = r.u(0.75, 1.2);
    const bl = makeBlob(r, 1, [jit(4), -b * 0.35 + jit(4), Zp(535) + jit(6)], [40 * fill, 32 * fill, 30 * fill], [jit(0.2), jit(0.1), jit(0.1)], 3, 0.06);
    paintBlob(bl, (q) => (q > 0.9 ? 40 : 8), L(5), 'body');
  }
  // ---- femurs (3 right, 4 left): head, neck, shaft; cortical shell, marrow
  for (const [side, k] of [[-1, 3], [1, 4]] as const) {
    const head = [femurHead[0] + jit(2), femurHead[1] + jit(2), femurHead[2] + jit(3)] as V3;
    const troch: V3 = [a * 0.78 + jit(4), b * 0.12 + jit(3), head[2] + 25 + jit(4)];
    const shaftEnd: V3 = [a * 0.6 + jit(5), b * 0.02 + jit(4), Zp(760)];
    const hr = 22 + jit(1.5);
    const shaft: Tube = { side, pts: [head, troch, [troch[0] - 6, troch[1], troch[2] + 25], shaftEnd], rad: [hr, 16, 15, 13] };
    paintTube(shaft, (q, X, Y, Z) => {
      const dh = Math.hypot(side * X - head[0], Y - head[1], Z - head[2]) / hr;
      if (dh < 1) return dh > 0.86 ? 800 : 300;
      return q > 0.74 ? 950 : 40;
    }, L(k), 'body');
  }

  // ---- scanner: blur + noise
  const blurred = gaussianBlur3d(hu, PHANTOM_SHAPE, opts.blur ?? [0.5, 0.7, 0.7]);
  const ns = opts.noise ?? 14;
  const table = gaussTable();
  const next = r.next;
  for (let i = 0; i < N; i++) {
    if (region[i] !== REGION_OUT) blurred[i] += ns * table[(next() * 65536) | 0];
  }
  return { hu: blurred, labels: lab, shape: [D, H, W], spacing: PHANTOM_SPACING };
}

// ------------------------------------------------------------------ crops
export interface OrganCrop {
  label: number; // organ index 0..10
  /** S³ uint8 (windowed) */
  image: Uint8Array;
  /** S³ uint8 0/1 */
  mask: Uint8Array;
  /** crop box in subject voxels, [z0,z1)×[y0,y1)×[x0,x1) */
  box: [number, number, number, number, number, number];
}

/**
 * Crop every organ of a subject (3D bounding box + random margin, like MedMNIST) and
 * resize to each requested size S³. Organs with fewer than `minVoxels` voxels are skipped.
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
        if (!l) continue;
        const k = (l - 1) * 3;
        cnt[l - 1]++;
        if (z < lo[k]) lo[k] = z; if (z > hi[k]) hi[k] = z;
        if (y < lo[k + 1]) lo[k + 1] = y; if (y > hi[k + 1]) hi[k + 1] = y;
        if (x < lo[k + 2]) lo[k + 2] = x; if (x > hi[k + 2]) hi[k + 2] = x;
      }
    }
  const mMin = opts.marginMin ?? 0.04, mMax = opts.marginMax ?? 0.14;
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
    let o = 0;
    for (let z = za; z < zb; z++)
      for (let y = ya; y < yb; y++) {
        const i0 = (z * H + y) * W;
        for (let x = xa; x < xb; x++, o++) {
          sub[o] = subj.hu[i0 + x];
          msk[o] = lab[i0 + x] === c + 1 ? 1 : 0;
        }
      }
    for (const S of sizes) {
      const rs = resizeTrilinear(sub, [cd, ch, cw], [S, S, S]);
      const image = windowHU(rs);
      const rm = resizeTrilinear(msk, [cd, ch, cw], [S, S, S]);
      const mask = new Uint8Array(S * S * S);
      for (let i = 0; i < mask.length; i++) mask[i] = rm[i] >= 0.5 ? 1 : 0;
      res.get(S)!.push({ label: c, image, mask, box: [za, zb, ya, yb, xa, xb] });
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
  onProgress?: (done: number, total: number) => void;
}

export const PHANTOM_DEFAULT_SEED = 20261127;
export const PHANTOM_DEFAULT_SUBJECTS: Record<SplitName, number> = { train: 89, val: 15, test: 56 };
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
  let subj = 0;
  for (const sp of splitsOrder) {
    for (let j = 0; j < nSub[sp]; j++, subj++) {
      const sSeed = hashSeed(seed, subj);
      const subject = generatePhantomSubject(sSeed, opts.subject);
      const crops = cropOrgans(subject, sizes, makeRng(hashSeed(sSeed, 7)));
      for (const s of sizes) perSize.get(s)![sp].push(...crops.get(s)!);
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
      const labels = new Int32Array(n);
      list.forEach((c, i) => {
        images.set(c.image, i * vox);
        masks.set(c.mask, i * vox);
        labels[i] = c.label;
      });
      const split: Split = {
        images: { dtype: 'uint8', shape: [n, S, S, S], data: images },
        masks: { dtype: 'uint8', shape: [n, S, S, S], data: masks },
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
