/** Three orthogonal slice views on <canvas>: CT gray, CAM (jet) above the threshold, mask outline. */
import { colormapLut } from '../../lib/viz/colormap';

export type Axis = 'axial' | 'coronal' | 'sagittal';
export const AXES: Axis[] = ['axial', 'coronal', 'sagittal'];

/** The layers both the slice views and the 3D view draw, and their display settings. */
export interface VolumeLayers {
  size: number;
  /** S³ CT in [0,1] */
  ct: Float32Array;
  cam: Float32Array | null;
  mask: Uint8Array | null;
  threshold: number;
  opacity: number;
  showCam: boolean;
  showMask: boolean;
}

/** Position [z, y, x]. Axial shows rows y, cols x at fixed z (z drawn top = high); coronal rows z, cols x; sagittal rows z, cols y. */
export function sliceIndex(axis: Axis, pos: [number, number, number], r: number, c: number, s: number): number {
  const [z, y, x] = pos;
  if (axis === 'axial') return (z * s + r) * s + c;
  const zz = s - 1 - r; // high z at the top
  if (axis === 'coronal') return (zz * s + y) * s + c;
  return (zz * s + c) * s + x;
}

export function drawSlice(canvas: HTMLCanvasElement, axis: Axis, pos: [number, number, number], d: VolumeLayers): void {
  const s = d.size;
  if (canvas.width !== s) canvas.width = canvas.height = s;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(s, s);
  const px = img.data;
  const jet = colormapLut('jet');
  const a = d.opacity;
  for (let r = 0; r < s; r++) {
    for (let c = 0; c < s; c++) {
      const i = sliceIndex(axis, pos, r, c, s);
      const g = Math.round(Math.min(1, Math.max(0, d.ct[i])) * 255);
      let R = g, G = g, B = g;
      if (d.showCam && d.cam) {
        const v = d.cam[i];
        if (v >= d.threshold) {
          const k = Math.round(Math.min(1, v) * 255) * 3;
          const w = Math.min(1, a + 0.25);
          R = R * (1 - w) + jet[k] * w;
          G = G * (1 - w) + jet[k + 1] * w;
          B = B * (1 - w) + jet[k + 2] * w;
        }
      }
      if (d.showMask && d.mask && d.mask[i]) {
        // outline: a mask voxel with a non-mask 4-neighbour in this slice
        let edge = r === 0 || c === 0 || r === s - 1 || c === s - 1;
        if (!edge) {
          edge =
            !d.mask[sliceIndex(axis, pos, r - 1, c, s)] || !d.mask[sliceIndex(axis, pos, r + 1, c, s)] ||
            !d.mask[sliceIndex(axis, pos, r, c - 1, s)] || !d.mask[sliceIndex(axis, pos, r, c + 1, s)];
        }
        if (edge) { R = 40; G = 230; B = 90; }
      }
      const o = (r * s + c) * 4;
      px[o] = R; px[o + 1] = G; px[o + 2] = B; px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  // crosshair of the two other slices
  ctx.fillStyle = 'rgba(255,255,255,0.55)';
  const [z, y, x] = pos;
  const [row, col] = axis === 'axial' ? [y, x] : axis === 'coronal' ? [s - 1 - z, x] : [s - 1 - z, y];
  ctx.fillRect(0, row, s, 0.35);
  ctx.fillRect(col, 0, 0.35, s);
}

/** Canvas click → new [z, y, x]. */
export function clickToPos(axis: Axis, pos: [number, number, number], fx: number, fy: number, s: number): [number, number, number] {
  const c = Math.max(0, Math.min(s - 1, Math.floor(fx * s)));
  const r = Math.max(0, Math.min(s - 1, Math.floor(fy * s)));
  const [z, y, x] = pos;
  if (axis === 'axial') return [z, r, c];
  if (axis === 'coronal') return [s - 1 - r, y, c];
  return [s - 1 - r, c, x];
}
