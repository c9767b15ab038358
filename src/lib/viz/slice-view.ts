/**
 * One slice of the explorer's views as RGBA pixels (1 pixel per voxel): the CT in gray, the CAM in
 * the site's colormap above a threshold, the organ mask's outline. It is the snapshot's drawPanel
 * on the orient.ts slice, so the explorer and the static snapshots cannot disagree. Pure TypeScript.
 */
import { CAM_COLORMAP, MASK_RGB } from './colormap';
import type { RgbaImage } from './montage';
import { sliceOf, VIEW_AXIS, type Pos, type View } from './orient';
import { drawPanel } from './snapshot';

/** The layers the slice views and the 3D view draw, and their display settings. */
export interface VolumeLayers {
  size: number;
  /** S³ CT in [0,1] */
  ct: Float32Array;
  /** S³ CAM in [0,1] */
  cam: Float32Array | null;
  mask: Uint8Array | null;
  threshold: number;
  opacity: number;
  showCam: boolean;
  showMask: boolean;
}

export function renderSlice(d: VolumeLayers, view: View, pos: Pos): RgbaImage {
  const S = d.size;
  const at = pos[VIEW_AXIS[view]];
  const image: RgbaImage = { width: S, height: S, rgba: new Uint8Array(S * S * 4) };
  drawPanel(
    image,
    0,
    0,
    S,
    sliceOf(d.ct, S, view, at),
    d.showCam && d.cam ? sliceOf(d.cam, S, view, at) : null,
    d.showMask && d.mask ? sliceOf(d.mask, S, view, at) : null,
    { scale: 1, colormap: CAM_COLORMAP, alpha: d.opacity, outline: MASK_RGB, interpolation: 'nearest', threshold: d.threshold },
  );
  return image;
}
