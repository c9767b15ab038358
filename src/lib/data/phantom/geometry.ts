/**
 * Shape primitives of the phantom, in patient millimetres (see subject.ts for the axes):
 * deformed rotated ellipsoids ("blobs") and chains of capsules ("tubes"). Each returns a
 * normalised distance q (q < 1 inside), so painters can shade by depth below the surface.
 */
import type { Rand } from './random';

export type V3 = [number, number, number];
/** X0 X1 Y0 Y1 Z0 Z1 (mm) */
export type Box = [number, number, number, number, number, number];

/** Deformed, rotated, bent ellipsoid in a frame mirrored by `side` (X_frame = side * X). */
export interface Blob {
  side: number;
  c: V3;
  ax: V3;
  R: number[]; // 3×3 row-major rotation (local → frame)
  deform: number[]; // groups of 5: kx, ky, kz (already × frequency), phase, amplitude
  /** bend: the local u axis is shifted by bend[0]·w² + bend[1]·v² (a banana / kidney-bean curve) */
  bend: [number, number];
  u: V3; // last local coords (normalised), for shading
}

export function rotation(yaw: number, pitch: number, roll: number): number[] {
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

/**
 * A blob whose outline varies per subject beyond scaling: each axis is scaled on its own
 * (±`aspect`), the surface is lobulated by `nDeform` random waves, and the long axis bends.
 */
export function makeBlob(r: Rand, side: number, c: V3, ax: V3, rot: V3, nDeform = 4, amp = 0.08, aspect = 0.18): Blob {
  amp *= 1.8; // irregular, lobulated outlines
  const deform: number[] = [];
  for (let i = 0; i < nDeform; i++) {
    let kx = r.n(), ky = r.n(), kz = r.n();
    const kn = Math.hypot(kx, ky, kz) || 1;
    const f = r.u(1.5, 3.2);
    kx = (kx / kn) * f; ky = (ky / kn) * f; kz = (kz / kn) * f;
    deform.push(kx, ky, kz, r.u(0, 2 * Math.PI), amp * r.u(0.4, 1));
  }
  const a3: V3 = [ax[0] * r.u(1 - aspect, 1 + aspect), ax[1] * r.u(1 - aspect, 1 + aspect), ax[2] * r.u(1 - aspect, 1 + aspect)];
  return { side, c, ax: a3, R: rotation(rot[0], rot[1], rot[2]), deform, bend: [r.u(-0.25, 0.25), r.u(-0.15, 0.15)], u: [0, 0, 0] };
}

export function blobQ(b: Blob, X: number, Y: number, Z: number): number {
  const x = b.side * X - b.c[0], y = Y - b.c[1], z = Z - b.c[2];
  const R = b.R;
  const v = (R[1] * x + R[4] * y + R[7] * z) / b.ax[1];
  const w = (R[2] * x + R[5] * y + R[8] * z) / b.ax[2];
  const u = (R[0] * x + R[3] * y + R[6] * z) / b.ax[0] - b.bend[0] * w * w - b.bend[1] * v * v;
  b.u[0] = u; b.u[1] = v; b.u[2] = w;
  let g = 1;
  const d = b.deform;
  for (let i = 0; i < d.length; i += 5) g += d[i + 4] * Math.sin(d[i] * u + d[i + 1] * v + d[i + 2] * w + d[i + 3]);
  return Math.sqrt(u * u + v * v + w * w) / g;
}

export function blobBox(b: Blob): Box {
  const m = Math.max(b.ax[0], b.ax[1], b.ax[2]) * 1.5;
  const cx = b.side * b.c[0];
  return [cx - m, cx + m, b.c[1] - m, b.c[1] + m, b.c[2] - m, b.c[2] + m];
}

/** Chain of capsules with radii at the nodes. q = distance / interpolated radius. */
export interface Tube {
  side: number;
  pts: V3[];
  rad: number[];
}

export function tubeQ(t: Tube, X: number, Y: number, Z: number): number {
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

export function tubeBox(t: Tube): Box {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, z0 = Infinity, z1 = -Infinity;
  const rm = Math.max(...t.rad) * 1.15;
  for (const p of t.pts) {
    const x = t.side * p[0];
    x0 = Math.min(x0, x - rm); x1 = Math.max(x1, x + rm);
    y0 = Math.min(y0, p[1] - rm); y1 = Math.max(y1, p[1] + rm);
    z0 = Math.min(z0, p[2] - rm); z1 = Math.max(z1, p[2] + rm);
  }
  return [x0, x1, y0, y1, z0, z1];
}

/** Union of two boxes. */
export function boxUnion(p: Box, q: Box): Box {
  return [Math.min(p[0], q[0]), Math.max(p[1], q[1]), Math.min(p[2], q[2]), Math.max(p[3], q[3]), Math.min(p[4], q[4]), Math.max(p[5], q[5])];
}
