/**
 * The voxel cloud, the original project's 3D look (its plot_00404.png): every tissue voxel of the CT
 * as a translucent square coloured continuously by the CAM. This module is the math every renderer
 * of it shares, so the build's static image (renderCloudImage, a PNG on the landing page), the
 * explorer's WebGL view (components/explorer/cloud3d.ts) and its hover read-out agree:
 * - the points (cloudPoints; the explorer builds them in a worker),
 * - the orbit camera (yaw, pitch, zoom → a view basis and a perspective projection),
 * - a back-to-front drawing order of the grid for any view direction (translucent squares need it),
 * - the R/L, A/P, S/I labels, placed outside the cube and never overlapping,
 * - the voxel under a screen pixel (a ray marched through the volume).
 *
 * World frame: X = voxel x (the patient's right → left), Y = voxel y (anterior → posterior),
 * Z = −voxel z (inferior → superior: the head end is up), centred on the cube's centre, 1 unit per
 * voxel. Pure TypeScript (browser + Node).
 */
import { CAM_COLORMAP, colormapLut } from './colormap';
import type { Pos } from './orient';

/** CT values at or above this are tissue (drawn); below is air. */
export const TISSUE_MIN = 0.3;

export interface CloudPoints {
  /** grid size S */
  size: number;
  /** grid step (1: every voxel of S³, 2: every other one) */
  stride: number;
  /** point count */
  n: number;
  /** world x, y, z per point (3n) */
  positions: Float32Array;
  /** CT value per point */
  ct: Float32Array;
  /** flat voxel index (C order [z][y][x]) per point */
  voxel: Uint32Array;
}

/** The tissue voxels on every `stride`-th voxel of an S³ CT (C order [z][y][x]). */
export function cloudPoints(ct: ArrayLike<number>, S: number, stride = 1, tissueMin = TISSUE_MIN): CloudPoints {
  let n = 0;
  for (let z = 0; z < S; z += stride) for (let y = 0; y < S; y += stride) for (let x = 0; x < S; x += stride) if (ct[(z * S + y) * S + x] >= tissueMin) n++;
  const positions = new Float32Array(3 * n), cts = new Float32Array(n), voxel = new Uint32Array(n);
  const h = S / 2, o = stride / 2; // a point stands for the stride³ block it starts
  let k = 0;
  for (let z = 0; z < S; z += stride)
    for (let y = 0; y < S; y += stride)
      for (let x = 0; x < S; x += stride) {
        const i = (z * S + y) * S + x;
        if (ct[i] < tissueMin) continue;
        positions[3 * k] = x + o - h;
        positions[3 * k + 1] = y + o - h;
        positions[3 * k + 2] = h - (z + o);
        cts[k] = ct[i];
        voxel[k] = i;
        k++;
      }
  return { size: S, stride, n, positions, ct: cts, voxel };
}

/** The CAM value at each point (0 without a CAM). */
export function cloudValues(p: CloudPoints, cam: ArrayLike<number> | null): Float32Array {
  const out = new Float32Array(p.n);
  if (cam) for (let k = 0; k < p.n; k++) out[k] = cam[p.voxel[k]];
  return out;
}

// ------------------------------------------------------------------ camera

export interface OrbitCamera {
  /** degrees about the vertical axis; 0 looks from the front (anterior), + from the patient's right */
  yaw: number;
  /** degrees above the horizontal */
  pitch: number;
  /** 1: the whole cube fits; larger is closer */
  zoom: number;
}

/** The default view: from the front, the patient's right and above, like the original's figure. */
export const DEFAULT_CAMERA: OrbitCamera = { yaw: 35, pitch: 22, zoom: 1 };

const FOV = (30 * Math.PI) / 180;
type V3 = [number, number, number];

export interface Projection {
  eye: V3;
  /** camera right, up and forward (unit vectors, world frame) */
  right: V3;
  up: V3;
  fwd: V3;
  /** pixels per world unit at depth 1 */
  focal: number;
  width: number;
  height: number;
}

export function clampCamera(c: OrbitCamera): OrbitCamera {
  return { yaw: ((((c.yaw + 180) % 360) + 360) % 360) - 180, pitch: Math.max(-89, Math.min(89, c.pitch)), zoom: Math.max(0.5, Math.min(6, c.zoom)) };
}

/** The view of an S³ cube on a width × height image. */
export function projection(cam: OrbitCamera, S: number, width: number, height: number): Projection {
  const yaw = (cam.yaw * Math.PI) / 180, pitch = (cam.pitch * Math.PI) / 180;
  const focal = Math.min(width, height) / 2 / Math.tan(FOV / 2);
  // far enough that the cube's bounding sphere fits at zoom 1, with a margin for the labels
  const dist = (S * 0.866 * 1.12) / Math.sin(FOV / 2) / cam.zoom;
  const dir: V3 = [-Math.sin(yaw) * Math.cos(pitch), -Math.cos(yaw) * Math.cos(pitch), Math.sin(pitch)];
  const eye: V3 = [dir[0] * dist, dir[1] * dist, dir[2] * dist];
  const fwd: V3 = [-dir[0], -dir[1], -dir[2]];
  const right = norm(cross(fwd, [0, 0, 1]));
  const up = cross(right, fwd);
  return { eye, right, up, fwd, focal, width, height };
}

/** Screen pixel (x right, y down) and depth of a world point. */
export function project(p: Projection, w: V3): { x: number; y: number; depth: number } {
  const d: V3 = [w[0] - p.eye[0], w[1] - p.eye[1], w[2] - p.eye[2]];
  const depth = dot(d, p.fwd);
  return { x: p.width / 2 + (dot(d, p.right) * p.focal) / depth, y: p.height / 2 - (dot(d, p.up) * p.focal) / depth, depth };
}

/** World position of a voxel's centre. */
export function voxelWorld(pos: Pos, S: number): V3 {
  const [z, y, x] = pos;
  return [x + 0.5 - S / 2, y + 0.5 - S / 2, S / 2 - (z + 0.5)];
}

// ------------------------------------------------------------------ drawing order

/**
 * Point indices from the farthest to the nearest for a view direction: the grid walked with the
 * axis most along the view outermost, each axis from its far end. Translucent squares drawn in
 * this order blend as they should (plotly's scatter3d does not sort, so its clouds change with the
 * draw order). `pointOf` maps a voxel to its point (−1: none), from pointIndex.
 */
export function drawOrder(p: CloudPoints, pointOf: Int32Array, fwd: V3): Uint32Array {
  const S = p.size, st = p.stride;
  // depth grows with voxel x by fwd.x, with y by fwd.y, with z by −fwd.z (Z = −z)
  const coef = [-fwd[2], fwd[1], fwd[0]]; // for the voxel axes z, y, x
  const axes = [0, 1, 2].sort((a, b) => Math.abs(coef[b]) - Math.abs(coef[a]));
  const stepOf = (a: number) => (coef[a] > 0 ? [S - st - ((S - st) % st), -st] : [0, st]); // far end first
  const out = new Uint32Array(p.n);
  let k = 0;
  const idx = [0, 0, 0];
  const [a0, a1, a2] = axes;
  const [s0, d0] = stepOf(a0), [s1, d1] = stepOf(a1), [s2, d2] = stepOf(a2);
  for (let i0 = 0, c0 = s0; i0 < S / st; i0++, c0 += d0) {
    idx[a0] = c0;
    for (let i1 = 0, c1 = s1; i1 < S / st; i1++, c1 += d1) {
      idx[a1] = c1;
      for (let i2 = 0, c2 = s2; i2 < S / st; i2++, c2 += d2) {
        idx[a2] = c2;
        const q = pointOf[(idx[0] * S + idx[1]) * S + idx[2]];
        if (q >= 0) out[k++] = q;
      }
    }
  }
  return out;
}

/** Voxel → point index (−1 where no point stands). */
export function pointIndex(p: CloudPoints): Int32Array {
  const m = new Int32Array(p.size ** 3).fill(-1);
  for (let k = 0; k < p.n; k++) m[p.voxel[k]] = k;
  return m;
}

/** A key for drawOrder's result: the orders differ only by the axis ranking and the signs. */
export function orderKey(fwd: V3): string {
  const coef = [-fwd[2], fwd[1], fwd[0]];
  const axes = [0, 1, 2].sort((a, b) => Math.abs(coef[b]) - Math.abs(coef[a]));
  return axes.join('') + coef.map((c) => (c > 0 ? '+' : '-')).join('');
}

// ------------------------------------------------------------------ labels

export interface PlacedLabel {
  text: 'R' | 'L' | 'A' | 'P' | 'S' | 'I';
  x: number;
  y: number;
  /** false: hidden (seen end-on, or it would overlap a nearer label) */
  shown: boolean;
}

/**
 * R/L, A/P, S/I just outside the middle of each face of the cube. A label whose axis points at the
 * viewer (it would sit over the data) is hidden, and so is any label that would overlap a nearer
 * one (`box`: the label's size in pixels), so the labels never overlap.
 */
export function placeLabels(p: Projection, S: number, box = 18): PlacedLabel[] {
  const m = S / 2 + S * 0.13;
  const defs: [PlacedLabel['text'], V3][] = [['R', [-m, 0, 0]], ['L', [m, 0, 0]], ['A', [0, -m, 0]], ['P', [0, m, 0]], ['S', [0, 0, m]], ['I', [0, 0, -m]]];
  const labels = defs.map(([text, w]) => {
    const s = project(p, w);
    // how much the face looks at the viewer: the label then lands on the cube's projection
    const endOn = Math.abs(dot(norm(w), p.fwd)) > 0.85;
    return { text, x: s.x, y: s.y, depth: s.depth, endOn };
  });
  const placed: PlacedLabel[] = [];
  const kept: { x: number; y: number }[] = [];
  for (const l of [...labels].sort((a, b) => a.depth - b.depth)) {
    const inside = l.x < box / 2 || l.y < box / 2 || l.x > p.width - box / 2 || l.y > p.height - box / 2;
    const clash = kept.some((k) => Math.abs(k.x - l.x) < box && Math.abs(k.y - l.y) < box);
    const shown = !l.endOn && !inside && !clash;
    if (shown) kept.push(l);
    placed.push({ text: l.text, x: l.x, y: l.y, shown });
  }
  return defs.map(([t]) => placed.find((q) => q.text === t)!);
}

// ------------------------------------------------------------------ picking

/**
 * The voxel seen at screen pixel (sx, sy): the first voxel along the ray that the cloud draws
 * (CT ≥ tissueMin), or null where the ray meets only air.
 */
export function pickVoxel(p: Projection, ct: ArrayLike<number>, S: number, sx: number, sy: number, tissueMin = TISSUE_MIN): Pos | null {
  const a = (sx - p.width / 2) / p.focal, b = -(sy - p.height / 2) / p.focal;
  const d = norm([p.fwd[0] + a * p.right[0] + b * p.up[0], p.fwd[1] + a * p.right[1] + b * p.up[1], p.fwd[2] + a * p.right[2] + b * p.up[2]]);
  // the ray's span inside the cube [−S/2, S/2]³ (slab method)
  let t0 = 0, t1 = Infinity;
  for (let i = 0; i < 3; i++) {
    if (Math.abs(d[i]) < 1e-9) {
      if (Math.abs(p.eye[i]) > S / 2) return null;
      continue;
    }
    let ta = (-S / 2 - p.eye[i]) / d[i], tb = (S / 2 - p.eye[i]) / d[i];
    if (ta > tb) [ta, tb] = [tb, ta];
    t0 = Math.max(t0, ta);
    t1 = Math.min(t1, tb);
  }
  if (t0 >= t1) return null;
  for (let t = t0 + 1e-4; t < t1; t += 0.25) {
    const X = p.eye[0] + t * d[0], Y = p.eye[1] + t * d[1], Z = p.eye[2] + t * d[2];
    const x = Math.floor(X + S / 2), y = Math.floor(Y + S / 2), z = Math.floor(S / 2 - Z);
    if (x < 0 || y < 0 || z < 0 || x >= S || y >= S || z >= S) continue;
    if (ct[(z * S + y) * S + x] >= tissueMin) return [z, y, x];
  }
  return null;
}

// ------------------------------------------------------------------ colour

/** Per-point alpha of the cloud: the slider's opacity spread over the layers a ray crosses. */
export function pointAlpha(opacity: number, stride: number): number {
  // a ray crosses ~S/stride layers of tissue; a stride-2 point stands for 8 voxels
  return Math.min(1, opacity * 0.06 * stride);
}

/** The grey of voxels below the threshold (tissue without CAM colour). */
export const BELOW_RGB: [number, number, number] = [150, 150, 150];

/** Colour of a point: the CAM colormap from the threshold up, grey below (what the legend shows). */
export function pointRgb(value: number, threshold: number, lut = colormapLut(CAM_COLORMAP)): [number, number, number] {
  if (!Number.isFinite(value) || value < threshold) return BELOW_RGB;
  const i = Math.round(Math.min(1, Math.max(0, value)) * 255) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** CSS gradient of the legend: grey up to the threshold, the colormap above it. */
export function legendGradient(threshold: number, lut = colormapLut(CAM_COLORMAP)): string {
  const stops: string[] = [];
  const t = Math.max(0, Math.min(1, threshold));
  const grey = `rgb(${BELOW_RGB.join(' ')})`;
  if (t > 0) stops.push(`${grey} 0%`, `${grey} ${(t * 100).toFixed(1)}%`);
  for (let k = 0; k <= 8; k++) {
    const u = t + ((1 - t) * k) / 8;
    const i = Math.round(u * 255) * 3;
    stops.push(`rgb(${lut[i]} ${lut[i + 1]} ${lut[i + 2]}) ${(u * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

// ------------------------------------------------------------------ static image

export interface CloudImageOptions {
  width: number;
  height: number;
  camera?: OrbitCamera;
  threshold?: number;
  opacity?: number;
  /** background [r, g, b]; null: transparent (the PNG then suits light and dark pages) */
  background?: [number, number, number] | null;
}

/**
 * The cloud as RGBA pixels, drawn as the WebGL view draws it (same camera, order, colours and
 * alpha): the build's static figure, shown until the live view takes over.
 */
export function renderCloudImage(p: CloudPoints, values: Float32Array, o: CloudImageOptions): Uint8Array {
  const { width: W, height: H } = o;
  const cam = o.camera ?? DEFAULT_CAMERA;
  const pr = projection(cam, p.size, W, H);
  const bg = o.background === undefined ? [255, 255, 255] : o.background;
  // premultiplied colour and coverage, composited back to front ("over")
  const acc = new Float32Array(W * H * 3);
  const cover = new Float32Array(W * H).fill(bg ? 1 : 0);
  if (bg) for (let i = 0; i < W * H; i++) (acc[3 * i] = bg[0]), (acc[3 * i + 1] = bg[1]), (acc[3 * i + 2] = bg[2]);
  const alpha = pointAlpha(o.opacity ?? DEFAULT_OPACITY, p.stride);
  const lut = colormapLut(CAM_COLORMAP);
  const order = drawOrder(p, pointIndex(p), pr.fwd);
  for (const k of order) {
    const s = project(pr, [p.positions[3 * k], p.positions[3 * k + 1], p.positions[3 * k + 2]]);
    const half = (pr.focal * p.stride) / s.depth / 2;
    const [r, g, b] = pointRgb(values[k], o.threshold ?? 0, lut);
    const x0 = Math.max(0, Math.round(s.x - half)), x1 = Math.min(W, Math.round(s.x + half));
    const y0 = Math.max(0, Math.round(s.y - half)), y1 = Math.min(H, Math.round(s.y + half));
    for (let y = y0; y < y1; y++)
      for (let x = x0, q = (y * W + x0) * 3; x < x1; x++, q += 3) {
        acc[q] += (r - acc[q]) * alpha;
        acc[q + 1] += (g - acc[q + 1]) * alpha;
        acc[q + 2] += (b - acc[q + 2]) * alpha;
        cover[q / 3] += (1 - cover[q / 3]) * alpha;
      }
  }
  const out = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    // acc holds colour premultiplied by coverage (over a black, transparent start when bg is null)
    const c = bg ? 1 : cover[i] > 0 ? 1 / cover[i] : 0;
    out[4 * i] = Math.min(255, Math.round(acc[3 * i] * c));
    out[4 * i + 1] = Math.min(255, Math.round(acc[3 * i + 1] * c));
    out[4 * i + 2] = Math.min(255, Math.round(acc[3 * i + 2] * c));
    out[4 * i + 3] = Math.round(cover[i] * 255);
  }
  return out;
}

/** The default opacity slider value of the cloud. */
export const DEFAULT_OPACITY = 0.6;

/** The 12 edges of the cube as world line segments (x0 y0 z0 x1 y1 z1 ...). */
export function cubeEdges(S: number): Float32Array {
  const h = S / 2;
  const c = [-h, h];
  const out: number[] = [];
  for (const a of c) for (const b of c) {
    out.push(-h, a, b, h, a, b);
    out.push(a, -h, b, a, h, b);
    out.push(a, b, -h, a, b, h);
  }
  return Float32Array.from(out);
}

/** The outlines of the three slice planes through `pos` as world line segments. */
export function planeOutlines(pos: Pos, S: number): Float32Array {
  const h = S / 2;
  const [X, Y, Z] = voxelWorld(pos, S);
  const rect = (pts: V3[]) => pts.flatMap((q, i) => [...q, ...pts[(i + 1) % 4]]);
  return Float32Array.from([
    ...rect([[-h, -h, Z], [h, -h, Z], [h, h, Z], [-h, h, Z]]),
    ...rect([[-h, Y, -h], [h, Y, -h], [h, Y, h], [-h, Y, h]]),
    ...rect([[X, -h, -h], [X, h, -h], [X, h, h], [X, -h, h]]),
  ]);
}

/** A small 3D cross at a voxel (the hover marker) as world line segments. */
export function crossAt(pos: Pos, S: number, r = 3): Float32Array {
  const [X, Y, Z] = voxelWorld(pos, S);
  return Float32Array.from([X - r, Y, Z, X + r, Y, Z, X, Y - r, Z, X, Y + r, Z, X, Y, Z - r, X, Y, Z + r]);
}

function dot(a: V3, b: V3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function cross(a: V3, b: V3): V3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function norm(a: V3): V3 {
  const l = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / l, a[1] / l, a[2] / l];
}
