/**
 * Slice montage of a dataset split: one column per class, `rows` samples per class; each
 * cell shows the mid axial (z) slice and, below it, the mid coronal (y) slice of the S³ crop, in
 * the site's one orientation (orient.ts). Optional mask outline in the site's mask colour. Pure TypeScript (browser + Node); returns RGBA pixels.
 */
import { NUM_CLASSES } from '../data/labels';
import { maskAt, volumeAt, type Split } from '../data/medmnist';
import { MASK_RGB } from './colormap';
import { sliceOf } from './orient';

export interface MontageOptions {
  /** samples per class (default 3) */
  rows?: number;
  /** pixel scale per voxel (default 1) */
  scale?: number;
  /** views per sample: 'axial' | 'coronal' | both (default both, stacked) */
  views?: ('axial' | 'coronal' | 'sagittal')[];
  /** draw the organ mask outline (MASK_RGB) when masks exist (default true) */
  outline?: boolean;
  /** gap between cells in pixels (default 2) */
  gap?: number;
  /** pick samples starting at this index within each class (default 0) */
  offset?: number;
}

export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function montage(split: Split, opts: MontageOptions = {}): RgbaImage {
  const rows = opts.rows ?? 3;
  const scale = opts.scale ?? 1;
  const views = opts.views ?? ['axial', 'coronal'];
  const gap = opts.gap ?? 2;
  const outline = opts.outline ?? true;
  const S = split.images.shape[1];
  const cell = S * scale;
  const cellH = cell * views.length + gap * (views.length - 1);
  const width = NUM_CLASSES * cell + (NUM_CLASSES + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap * 2;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = 24; rgba[i * 4 + 1] = 24; rgba[i * 4 + 2] = 32; rgba[i * 4 + 3] = 255;
  }
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let i = 0; i < split.count; i++) byClass[split.labels[i]].push(i);
  const mid = S >> 1;
  for (let c = 0; c < NUM_CLASSES; c++) {
    for (let r = 0; r < rows; r++) {
      const idx = byClass[c][(opts.offset ?? 0) + r];
      if (idx === undefined) continue;
      const vol = volumeAt(split, idx);
      const m = maskAt(split, idx);
      views.forEach((view, vi) => {
        const img = sliceOf(vol, S, view, mid);
        const msk = m ? sliceOf(m, S, view, mid) : null;
        const ox = gap + c * (cell + gap);
        const oy = gap * 2 + r * (cellH + gap * 2) + vi * (cell + gap);
        for (let y = 0; y < cell; y++)
          for (let x = 0; x < cell; x++) {
            const sy = (y / scale) | 0, sx = (x / scale) | 0;
            const v = img[sy * S + sx];
            const p = ((oy + y) * width + ox + x) * 4;
            let edge = false;
            if (outline && msk && msk[sy * S + sx]) {
              edge =
                sx === 0 || sy === 0 || sx === S - 1 || sy === S - 1 ||
                !msk[sy * S + sx - 1] || !msk[sy * S + sx + 1] || !msk[(sy - 1) * S + sx] || !msk[(sy + 1) * S + sx];
            }
            if (edge) {
              [rgba[p], rgba[p + 1], rgba[p + 2]] = MASK_RGB;
            } else {
              rgba[p] = v; rgba[p + 1] = v; rgba[p + 2] = v;
            }
          }
      });
    }
  }
  return { width, height, rgba };
}
