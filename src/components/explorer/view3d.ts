/**
 * The 3D view: plotly (gl3d bundle, loaded lazily) isosurfaces of the CT body and the CAM
 * (and optionally the true mask) at 32³, plus the three slice planes as outlines.
 * Volumes are averaged down 2× first: plotly isosurfaces of 64³ take seconds in software GL.
 */
import { plotlyColorscale } from '../../lib/viz/colormap';
import type { VolumeLayers } from './slices';

type Plotly = {
  react(el: HTMLElement, data: unknown[], layout: unknown, config?: unknown): Promise<unknown>;
  restyle(el: HTMLElement, update: unknown, idx?: number[]): Promise<unknown>;
  purge(el: HTMLElement): void;
};
let plotlyPromise: Promise<Plotly> | null = null;
export function loadPlotly(): Promise<Plotly> {
  plotlyPromise ??= import('plotly.js-gl3d-dist-min').then((m) => ((m as { default?: Plotly }).default ?? (m as unknown as Plotly)));
  return plotlyPromise;
}

export const VIEW_SIZE = 32;

/** Average-pool an S³ volume by an integer factor (C order [z][y][x]). */
export function downsample(src: ArrayLike<number>, s: number, f: number): Float32Array {
  const n = s / f;
  const out = new Float32Array(n * n * n);
  const inv = 1 / (f * f * f);
  for (let z = 0; z < s; z++) for (let y = 0; y < s; y++) {
    const row = (z * s + y) * s;
    const orow = ((Math.floor(z / f) * n) + Math.floor(y / f)) * n;
    for (let x = 0; x < s; x++) out[orow + Math.floor(x / f)] += src[row + x] * inv;
  }
  return out;
}

let gridCache: { x: Float32Array; y: Float32Array; z: Float32Array } | null = null;
/** Flat coordinates of the n³ grid in voxel units of the S³ volume; plotly wants x fastest. */
function grid(n: number, s: number) {
  if (gridCache && gridCache.x.length === n ** 3) return gridCache;
  const f = s / n;
  const x = new Float32Array(n ** 3), y = new Float32Array(n ** 3), z = new Float32Array(n ** 3);
  let i = 0;
  for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let l = 0; l < n; l++) {
    z[i] = (k + 0.5) * f; y[i] = (j + 0.5) * f; x[i] = (l + 0.5) * f; i++;
  }
  gridCache = { x, y, z };
  return gridCache;
}

export interface View3dData extends VolumeLayers {
  showCt: boolean;
  pos: [number, number, number];
}

function planes(pos: [number, number, number], s: number) {
  const [z, y, x] = pos;
  const X: (number | null)[] = [], Y: (number | null)[] = [], Z: (number | null)[] = [];
  const rect = (pts: [number, number, number][]) => {
    for (const p of [...pts, pts[0]]) { X.push(p[0]); Y.push(p[1]); Z.push(p[2]); }
    X.push(null); Y.push(null); Z.push(null);
  };
  rect([[0, 0, z], [s, 0, z], [s, s, z], [0, s, z]]);
  rect([[0, y, 0], [s, y, 0], [s, y, s], [0, y, s]]);
  rect([[x, 0, 0], [x, s, 0], [x, s, s], [x, 0, s]]);
  return { type: 'scatter3d', mode: 'lines', x: X, y: Y, z: Z, line: { color: '#444', width: 2 }, hoverinfo: 'skip', name: 'slices', showlegend: false };
}

export class View3d {
  private plotly: Plotly | null = null;
  private ctDown: Float32Array | null = null;
  private camDown: Float32Array | null = null;
  private maskDown: Float32Array | null = null;
  lastDrawMs = 0;
  constructor(private el: HTMLElement) {}

  async init(): Promise<void> {
    this.plotly = await loadPlotly();
  }

  setVolume(ct: Float32Array, mask: Uint8Array | null, size: number): void {
    const f = size / VIEW_SIZE;
    this.ctDown = downsample(ct, size, f);
    this.maskDown = mask ? downsample(mask, size, f) : null;
    this.camDown = null;
  }
  setCam(cam: Float32Array | null, size: number): void {
    this.camDown = cam ? downsample(cam, size, size / VIEW_SIZE) : null;
  }

  async draw(d: View3dData): Promise<void> {
    if (!this.plotly || !this.ctDown) return;
    const t0 = performance.now();
    const g = grid(VIEW_SIZE, d.size);
    const base = { type: 'isosurface', x: g.x, y: g.y, z: g.z, showscale: false, hoverinfo: 'skip', caps: { x: { show: false }, y: { show: false }, z: { show: false } } };
    const traces: unknown[] = [];
    traces.push({ ...base, name: 'CT', value: this.ctDown, isomin: 0.38, isomax: 0.85, surface: { count: 2 }, colorscale: [[0, '#b8bcc2'], [1, '#6b7178']], opacity: 0.12, visible: d.showCt, flatshading: false, lighting: { ambient: 0.8 } });
    traces.push({ ...base, name: 'CAM', value: this.camDown ?? new Float32Array(VIEW_SIZE ** 3), isomin: d.threshold, isomax: 1, cmin: 0, cmax: 1, surface: { count: 4 }, colorscale: plotlyColorscale('jet'), opacity: d.opacity, visible: d.showCam && !!this.camDown, showscale: !!this.camDown && d.showCam, colorbar: { title: { text: 'CAM' }, len: 0.6, thickness: 12 } });
    traces.push({ ...base, name: 'mask', value: this.maskDown ?? new Float32Array(VIEW_SIZE ** 3), isomin: 0.5, isomax: 1.01, surface: { count: 1 }, colorscale: [[0, '#1fae5b'], [1, '#1fae5b']], opacity: 0.3, visible: d.showMask && !!this.maskDown });
    traces.push(planes(d.pos, d.size));
    // follow the site theme (light / dark)
    const css = getComputedStyle(this.el);
    const bg = css.getPropertyValue('--bg-raised').trim() || '#fff';
    const fg = css.getPropertyValue('--fg').trim() || '#222';
    const gridc = css.getPropertyValue('--border').trim() || '#ddd';
    const axis = (t: string) => ({ title: { text: t }, range: [0, d.size], showbackground: false, gridcolor: gridc, zeroline: false, color: fg });
    const layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      paper_bgcolor: bg,
      font: { color: fg },
      uirevision: 'keep-camera',
      showlegend: false,
      scene: { xaxis: axis('x'), yaxis: axis('y'), zaxis: axis('z'), aspectmode: 'cube', camera: { eye: { x: 1.5, y: -1.5, z: 1.1 } } },
    };
    await this.plotly.react(this.el, traces, layout, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['toImage'] });
    this.lastDrawMs = performance.now() - t0;
  }
}
