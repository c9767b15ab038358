/**
 * The original project's 3D look (its plot_00404.png): every tissue voxel of the CT as a translucent
 * point coloured by the CAM. Pure TypeScript; the explorer hands the points to a plotly scatter3d.
 */
import { CAM_COLORMAP, colormap } from './colormap';

export interface VoxelCloud {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** CAM value per point (0 where there is no CAM) */
  value: Float32Array;
  /** grid step in voxels (1: the full S³) */
  stride: number;
}

/** Tissue voxels (CT ≥ tissueMin) on every `stride`-th voxel of an S³ volume, C-order [z][y][x]. */
export function voxelCloud(ct: ArrayLike<number>, cam: ArrayLike<number> | null, S: number, stride = 1, tissueMin = 0.3): VoxelCloud {
  const xs: number[] = [], ys: number[] = [], zs: number[] = [], vs: number[] = [];
  for (let z = 0; z < S; z += stride)
    for (let y = 0; y < S; y += stride)
      for (let x = 0; x < S; x += stride) {
        const i = (z * S + y) * S + x;
        if (ct[i] < tissueMin) continue;
        xs.push(x + 0.5); ys.push(y + 0.5); zs.push(z + 0.5);
        vs.push(cam ? cam[i] : 0);
      }
  return { x: Float32Array.from(xs), y: Float32Array.from(ys), z: Float32Array.from(zs), value: Float32Array.from(vs), stride };
}

/** Plotly colorscale on [0, 1]: gray below the threshold (tissue only), the CAM colormap above it. */
export function thresholdColorscale(threshold: number, n = 8): Array<[number, string]> {
  const t = Math.min(0.99, Math.max(0, threshold));
  const out: Array<[number, string]> = [[0, 'rgb(150,150,150)'], [t, 'rgb(150,150,150)']];
  for (let k = 0; k < n; k++) {
    const u = t + ((1 - t) * k) / (n - 1);
    const [r, g, b] = colormap(CAM_COLORMAP, u);
    out.push([k === 0 ? Math.min(1, t + 1e-6) : u, `rgb(${r},${g},${b})`]);
  }
  return out;
}
