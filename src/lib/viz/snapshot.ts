/**
 * Static per-organ snapshot: orthogonal slices (axial, coronal, sagittal) through the CAM's maximum,
 * the CT in gray on the top row and the CT with the CAM overlaid on the bottom row, the organ's
 * ground-truth outline on both, plus a maximum-intensity projection column. Slices come from
 * orient.ts (radiological convention); drawPanel also paints the explorer's slice views, so a
 * snapshot and the explorer show the same pixels. Pure TypeScript
 * (browser + Node); returns RGBA pixels for encodePng. Volumes are C-order [z][y][x], S³.
 */
import { CAM_COLORMAP, MASK_RGB, colormapLut, type ColormapName } from './colormap';
import type { RgbaImage } from './montage';
import { argmax } from '../util/array';
import { sliceOf, VIEWS, type View } from './orient';

export interface SnapshotOptions {
  /** Output pixels per voxel (bilinear), default 4. */
  scale?: number;
  colormap?: ColormapName;
  /** Max overlay opacity (at CAM = 1), default 0.6. */
  alpha?: number;
  /** Gap between panels, px. */
  gap?: number;
  /** Background (RGB). */
  background?: [number, number, number];
  /** Outline colour of the ground-truth mask. */
  outline?: [number, number, number];
  /** Add a fourth column with maximum-intensity projections along z (default true). */
  mip?: boolean;
  /**
   * Upsampling of the CT and the CAM: 'nearest' shows each voxel as a crisp block (and compresses
   * several times better as PNG), 'bilinear' smooths. The mask outline is always smooth. Default 'nearest'.
   */
  interpolation?: 'nearest' | 'bilinear';
}

/** Voxel index of the maximum of a volume (first on ties). */
export function argmax3d(v: ArrayLike<number>, S: number): [number, number, number] {
  const bi = argmax(v);
  return [Math.floor(bi / (S * S)), Math.floor(bi / S) % S, bi % S];
}

/** Maximum projection along z (rows = y, cols = x). */
export function mipZ(vol: ArrayLike<number>, S: number, scale = 1): Float32Array {
  const out = new Float32Array(S * S).fill(-Infinity);
  for (let z = 0; z < S; z++)
    for (let j = 0; j < S * S; j++) {
      const v = vol[z * S * S + j] * scale;
      if (v > out[j]) out[j] = v;
    }
  return out;
}

function nearest(img: Float32Array, S: number, px: number, py: number, scale: number): number {
  return img[Math.min(S - 1, Math.floor(py / scale)) * S + Math.min(S - 1, Math.floor(px / scale))];
}

function bilinear(img: Float32Array, S: number, px: number, py: number, scale: number): number {
  const fx = Math.min(S - 1, Math.max(0, (px + 0.5) / scale - 0.5));
  const fy = Math.min(S - 1, Math.max(0, (py + 0.5) / scale - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(S - 1, x0 + 1);
  const y1 = Math.min(S - 1, y0 + 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const top = img[y0 * S + x0] * (1 - ax) + img[y0 * S + x1] * ax;
  const bot = img[y1 * S + x0] * (1 - ax) + img[y1 * S + x1] * ax;
  return top * (1 - ay) + bot * ay;
}

/**
 * Draws one panel at (ox, oy) of `out`: gray CT (in [0,1]), optional CAM overlay (in [0,1]) and
 * the outline of mask > 0.5 (mask upsampled bilinearly, so the contour is smooth).
 */
export function drawPanel(
  out: RgbaImage,
  ox: number,
  oy: number,
  S: number,
  ct: Float32Array,
  cam: Float32Array | null,
  mask: Float32Array | null,
  o: Required<Pick<SnapshotOptions, 'scale' | 'colormap' | 'alpha' | 'outline'>> & Pick<SnapshotOptions, 'interpolation'> & {
    /** CAM values below this are not drawn (the explorer's threshold; default 0: all). */
    threshold?: number;
  },
): void {
  const n = S * o.scale;
  const sample = o.interpolation === 'bilinear' ? bilinear : nearest;
  const lut = colormapLut(o.colormap);
  const inside = mask ? new Uint8Array(n * n) : null;
  if (mask && inside) for (let py = 0; py < n; py++) for (let px = 0; px < n; px++) inside[py * n + px] = bilinear(mask, S, px, py, o.scale) > 0.5 ? 1 : 0;
  for (let py = 0; py < n; py++)
    for (let px = 0; px < n; px++) {
      const g = Math.min(1, Math.max(0, sample(ct, S, px, py, o.scale))) * 255;
      let r = g;
      let gg = g;
      let b = g;
      if (cam) {
        const t = Math.min(1, Math.max(0, sample(cam, S, px, py, o.scale)));
        const a = t >= (o.threshold ?? 0) ? o.alpha * Math.sqrt(t) : 0;
        const k = Math.round(t * 255) * 3;
        r = r * (1 - a) + lut[k] * a;
        gg = gg * (1 - a) + lut[k + 1] * a;
        b = b * (1 - a) + lut[k + 2] * a;
      }
      if (inside) {
        const v = inside[py * n + px];
        const edge =
          v &&
          ((px > 0 && !inside[py * n + px - 1]) ||
            (px < n - 1 && !inside[py * n + px + 1]) ||
            (py > 0 && !inside[(py - 1) * n + px]) ||
            (py < n - 1 && !inside[(py + 1) * n + px]));
        if (edge) [r, gg, b] = o.outline;
      }
      const q = ((oy + py) * out.width + ox + px) * 4;
      out.rgba[q] = r;
      out.rgba[q + 1] = gg;
      out.rgba[q + 2] = b;
      out.rgba[q + 3] = 255;
    }
}

export interface SnapshotLayout {
  /** Slice position of each view (voxel index along its axis): the CAM maximum. */
  at: { z: number; y: number; x: number };
  columns: string[];
  rows: string[];
}

/**
 * 2 rows (CT | CT + CAM) × 3 or 4 columns (axial, coronal, sagittal through the CAM maximum; MIP).
 * `ct` is uint8 (0-255) or [0,1] floats; `cam` in [0,1]; `mask` 0/1 (optional).
 */
export function renderSnapshot(
  ct: Uint8Array | Float32Array,
  cam: Float32Array,
  mask: Uint8Array | null,
  S: number,
  opts: SnapshotOptions = {},
): { image: RgbaImage; layout: SnapshotLayout } {
  if (ct.length !== S ** 3 || cam.length !== S ** 3 || (mask && mask.length !== S ** 3)) {
    throw new RangeError(`renderSnapshot: expected volumes of ${S}³ voxels`);
  }
  const o = {
    scale: opts.scale ?? 4,
    colormap: opts.colormap ?? CAM_COLORMAP,
    alpha: opts.alpha ?? 0.6,
    outline: opts.outline ?? MASK_RGB,
    interpolation: opts.interpolation ?? 'nearest',
  };
  const gap = opts.gap ?? 6;
  const bg = opts.background ?? [40, 40, 40];
  const withMip = opts.mip ?? true;
  const ctScale = ct instanceof Uint8Array ? 1 / 255 : 1;
  const [z, y, x] = argmax3d(cam, S);
  const cols = withMip ? 4 : 3;
  const n = S * o.scale;
  const width = cols * n + (cols - 1) * gap;
  const height = 2 * n + gap;
  const image: RgbaImage = { width, height, rgba: new Uint8Array(width * height * 4) };
  for (let i = 0; i < width * height; i++) {
    image.rgba[i * 4] = bg[0];
    image.rgba[i * 4 + 1] = bg[1];
    image.rgba[i * 4 + 2] = bg[2];
    image.rgba[i * 4 + 3] = 255;
  }
  const at: Record<View, number> = { axial: z, coronal: y, sagittal: x };
  VIEWS.forEach((view, c) => {
    const ctS = sliceOf(ct, S, view, at[view], ctScale);
    const camS = sliceOf(cam, S, view, at[view]);
    const maskS = mask ? sliceOf(mask, S, view, at[view]) : null;
    drawPanel(image, c * (n + gap), 0, S, ctS, null, maskS, o);
    drawPanel(image, c * (n + gap), n + gap, S, ctS, camS, maskS, o);
  });
  if (withMip) {
    const ctM = mipZ(ct, S, ctScale);
    const camM = mipZ(cam, S);
    const maskM = mask ? mipZ(mask, S) : null;
    drawPanel(image, 3 * (n + gap), 0, S, ctM, null, maskM, o);
    drawPanel(image, 3 * (n + gap), n + gap, S, ctM, camM, maskM, o);
  }
  return {
    image,
    layout: {
      at: { z, y, x },
      columns: [`axial (z = ${z})`, `coronal (y = ${y})`, `sagittal (x = ${x})`, ...(withMip ? ['maximum projection along z'] : [])],
      rows: ['CT with organ outline', 'CT with CAM overlay'],
    },
  };
}
