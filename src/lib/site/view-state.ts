/**
 * The explorer's view state in its URL, both ways, beside explorer-link.ts's CAM state (volume,
 * method, stage, target, threshold): the 3D view mode, the layers shown, the CAM opacity, the
 * slice position, the 3D camera and the side-by-side comparison. A link to the explorer then opens
 * exactly the view it was copied from, and the Results page's snapshots open at the slice they show.
 * Pure TypeScript; malformed values are dropped.
 *   view=cloud|surfaces  opacity=0.60  show=ct,cam[,mask]  slice=z,y,x  camera=yaw,pitch,zoom  compare=<method>-s<stage>
 */
export type ViewMode = 'cloud' | 'surfaces';

export interface ViewState {
  mode?: ViewMode;
  opacity?: number;
  layers?: { ct: boolean; cam: boolean; mask: boolean };
  /** voxel [z, y, x] the slices go through */
  slice?: [number, number, number];
  camera?: { yaw: number; pitch: number; zoom: number };
  /** the second map shown side by side: a method key like 'gradcam-s4' */
  compare?: string;
}

/** Defaults: not written to the URL. */
export const VIEW_DEFAULTS = { mode: 'cloud' as ViewMode, opacity: 0.6, layers: { ct: true, cam: true, mask: false } };

const nums = (s: string | null, n: number): number[] | null => {
  if (!s) return null;
  const v = s.split(',').map(Number);
  return v.length === n && v.every(Number.isFinite) ? v : null;
};

export function parseViewState(search: string | URLSearchParams, size = 64): ViewState {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const out: ViewState = {};
  const mode = q.get('view');
  if (mode === 'cloud' || mode === 'surfaces') out.mode = mode;
  const op = Number(q.get('opacity'));
  if (q.get('opacity') && op > 0 && op <= 1) out.opacity = op;
  const show = q.get('show');
  if (show !== null && /^(ct|cam|mask)?(,(ct|cam|mask))*$/.test(show)) {
    const s = new Set(show.split(','));
    out.layers = { ct: s.has('ct'), cam: s.has('cam'), mask: s.has('mask') };
  }
  const sl = nums(q.get('slice'), 3);
  if (sl && sl.every((v) => Number.isInteger(v) && v >= 0 && v < size)) out.slice = sl as [number, number, number];
  const cam = nums(q.get('camera'), 3);
  if (cam && Math.abs(cam[1]) <= 90 && cam[2] > 0 && cam[2] <= 10) out.camera = { yaw: cam[0], pitch: cam[1], zoom: cam[2] };
  const cmp = q.get('compare');
  if (cmp && /^[a-z][a-z0-9-]{0,40}-s[1-4]$/.test(cmp)) out.compare = cmp;
  return out;
}

/** The query pairs of a view state that differ from the defaults, in a fixed order. */
export function viewQuery(s: ViewState): [string, string][] {
  const out: [string, string][] = [];
  if (s.mode && s.mode !== VIEW_DEFAULTS.mode) out.push(['view', s.mode]);
  if (s.opacity !== undefined && Math.abs(s.opacity - VIEW_DEFAULTS.opacity) > 1e-9) out.push(['opacity', s.opacity.toFixed(2)]);
  if (s.layers) {
    const d = VIEW_DEFAULTS.layers;
    if (s.layers.ct !== d.ct || s.layers.cam !== d.cam || s.layers.mask !== d.mask)
      out.push(['show', (['ct', 'cam', 'mask'] as const).filter((k) => s.layers![k]).join(',')]);
  }
  if (s.slice) out.push(['slice', s.slice.join(',')]);
  if (s.camera) out.push(['camera', `${Math.round(s.camera.yaw)},${Math.round(s.camera.pitch)},${s.camera.zoom.toFixed(2)}`]);
  if (s.compare) out.push(['compare', s.compare]);
  return out;
}

/** `slice=z,y,x` for a link (the Results snapshots: the CAM maximum they slice through). */
export function sliceParam(at: { z: number; y: number; x: number }): string {
  return `slice=${at.z},${at.y},${at.x}`;
}
