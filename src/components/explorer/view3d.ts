/**
 * The 3D view: plotly (gl3d bundle, loaded lazily) surfaces of the CT body, the CAM (three nested
 * levels from the threshold up, coloured by level) and the true mask (a wireframe in the mask
 * colour), plus the three slice planes as outlines, at 16³ (volumes averaged down 4×, see VIEW_SIZE).
 * The surfaces are meshed here (lib/viz/isosurface) and cached per volume, map and threshold, and
 * drawn as mesh3d traces: plotly's isosurface trace re-meshes every surface on any restyle.
 * Built once per volume; every later change restyles only the traces it touches (visibility,
 * opacity, threshold, slice planes, a new CAM).
 * The wheel zooms only after the reader clicks the plot, so scrolling the page never gets caught.
 */
import { CAM_COLORMAP, MASK_CSS, plotlyColorscale } from '../../lib/viz/colormap';
import { AXIS_DIRECTION, type Pos } from '../../lib/viz/orient';
import type { VolumeLayers } from '../../lib/viz/slice-view';
import { isosurfaces, type Mesh } from '../../lib/viz/isosurface';
import { thresholdColorscale, voxelCloud, type VoxelCloud } from '../../lib/viz/cloud';

/** 'surfaces': nested isosurfaces; 'cloud': every tissue voxel as a point coloured by the CAM (the original's look). */
export type View3dMode = 'surfaces' | 'cloud';

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

/**
 * Mesh grid of the 3D view. The cost of any plotly update is proportional to the triangles on
 * screen (measured in software GL: ~10 ms per 1000; 130k triangles at 32³, 1.3 s per update); at
 * 16³ the smooth CAM (from an 8³ or coarser stage) loses nothing and the CT and mask stay
 * recognisable, at a quarter of the triangles.
 */
export const VIEW_SIZE = 16;
const CT = 0, CAM = 1, MASK = 2, PLANES = 3;

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

export interface View3dData extends VolumeLayers {
  showCt: boolean;
  pos: Pos;
  mode: View3dMode;
  /** voxel cloud grid step: 1 draws all S³ voxels, 2 every other one (software GL) */
  cloudStride: number;
}

/** Outlines of the three slice planes, as one scatter3d line trace (plotly x, y, z = voxel x, y, z). */
function planeLines(pos: Pos, s: number) {
  const [z, y, x] = pos;
  const X: (number | null)[] = [], Y: (number | null)[] = [], Z: (number | null)[] = [];
  const rect = (pts: [number, number, number][]) => {
    for (const p of [...pts, pts[0]]) { X.push(p[0]); Y.push(p[1]); Z.push(p[2]); }
    X.push(null); Y.push(null); Z.push(null);
  };
  rect([[0, 0, z], [s, 0, z], [s, s, z], [0, s, z]]);
  rect([[0, y, 0], [s, y, 0], [s, y, s], [0, y, s]]);
  rect([[x, 0, 0], [x, s, 0], [x, s, s], [x, 0, s]]);
  return { x: X, y: Y, z: Z };
}

export class View3d {
  private plotly: Plotly | null = null;
  private ctDown: Float32Array | null = null;
  private camDown: Float32Array | null = null;
  private maskDown: Float32Array | null = null;
  private ctMesh: Mesh | null = null;
  private maskMesh: Mesh | null = null;
  /** CAM meshes of the current map by threshold (a slider has 19 stops: all fit) */
  private camMeshes = new Map<number, Mesh>();
  private ct: Float32Array | null = null;
  private cam: Float32Array | null = null;
  private cloud: VoxelCloud | null = null;
  /** points of the last voxel cloud drawn */
  cloudPoints = 0;
  /** what is on screen; null: a full draw is due */
  private shown: (View3dData & { camRef: Float32Array | null }) | null = null;
  lastDrawMs: number | null = null;
  lastUpdateMs: number | null = null;

  constructor(private el: HTMLElement) {
    // wheel zoom only once the reader has clicked into the plot; until then the page scrolls
    let engaged = false;
    el.addEventListener('pointerdown', () => (engaged = true));
    el.addEventListener('pointerleave', () => (engaged = false));
    el.addEventListener('wheel', (e) => { if (!engaged) e.stopPropagation(); }, { capture: true });
  }

  async init(): Promise<void> {
    this.plotly = await loadPlotly();
  }

  setVolume(ct: Float32Array, mask: Uint8Array | null, size: number): void {
    const f = size / VIEW_SIZE;
    this.ctDown = downsample(ct, size, f);
    this.maskDown = mask ? downsample(mask, size, f) : null;
    this.ctMesh = isosurfaces(this.ctDown, VIEW_SIZE, [0.38, 0.85], f);
    this.maskMesh = this.maskDown ? isosurfaces(this.maskDown, VIEW_SIZE, [0.5], f) : null;
    this.camDown = null;
    this.camMeshes.clear();
    this.ct = ct;
    this.cam = null;
    this.cloud = null;
    this.shown = null;
  }
  setCam(cam: Float32Array | null, size: number): void {
    this.camDown = cam ? downsample(cam, size, size / VIEW_SIZE) : null;
    this.camMeshes.clear();
    this.cam = cam;
    this.cloud = null;
  }

  private cloudOf(d: View3dData): VoxelCloud {
    if (!this.cloud || this.cloud.stride !== d.cloudStride) this.cloud = voxelCloud(this.ct!, this.cam, d.size, d.cloudStride);
    this.cloudPoints = this.cloud.x.length;
    return this.cloud;
  }

  private camMesh(threshold: number, size: number): Mesh | null {
    if (!this.camDown) return null;
    let m = this.camMeshes.get(threshold);
    if (!m) {
      const levels = [0, 1, 2].map((k) => threshold + (k * (1 - threshold)) / 3);
      m = isosurfaces(this.camDown, VIEW_SIZE, levels, size / VIEW_SIZE);
      this.camMeshes.set(threshold, m);
    }
    return m;
  }
  /** The next draw rebuilds everything (theme change). */
  invalidate(): void {
    this.shown = null;
  }

  async draw(d: View3dData): Promise<void> {
    if (!this.plotly || !this.ctDown) return;
    const t0 = performance.now();
    const prev = this.shown;
    const camRef = this.camDown;
    if (!prev || prev.mode !== d.mode || prev.cloudStride !== d.cloudStride || (d.mode === 'cloud' && prev.camRef !== camRef)) {
      await this.plotly.react(this.el, this.traces(d), this.layout(d.size), { displaylogo: false, responsive: true, scrollZoom: true, modeBarButtonsToRemove: ['toImage'] });
      this.lastDrawMs = performance.now() - t0;
    } else if (d.mode === 'cloud') {
      if (prev.threshold !== d.threshold) await this.plotly.restyle(this.el, { 'marker.colorscale': [thresholdColorscale(d.threshold)] }, [CT]);
      if (prev.opacity !== d.opacity) await this.plotly.restyle(this.el, { 'marker.opacity': d.opacity * 0.5 }, [CT]);
      if (prev.showCt !== d.showCt || prev.showCam !== d.showCam) await this.plotly.restyle(this.el, { visible: d.showCt || d.showCam }, [CT]);
      await this.restyleCommon(prev, d);
      this.lastUpdateMs = performance.now() - t0;
    } else {
      const hasCam = !!this.camDown;
      if (prev.camRef !== camRef || prev.threshold !== d.threshold) await this.plotly.restyle(this.el, meshUpdate(this.camMesh(d.threshold, d.size)), [CAM]);
      if (prev.showCt !== d.showCt) await this.plotly.restyle(this.el, { visible: d.showCt }, [CT]);
      if (prev.showCam !== d.showCam || prev.camRef !== camRef) await this.plotly.restyle(this.el, { visible: d.showCam && hasCam, showscale: false }, [CAM]);
      if (prev.opacity !== d.opacity) await this.plotly.restyle(this.el, { opacity: d.opacity }, [CAM]);
      await this.restyleCommon(prev, d);
      this.lastUpdateMs = performance.now() - t0;
    }
    this.shown = { ...d, pos: [...d.pos] as Pos, camRef };
  }

  /** The traces both modes share: the mask wireframe and the slice planes. */
  private async restyleCommon(prev: View3dData, d: View3dData): Promise<void> {
    if (prev.showMask !== d.showMask) await this.plotly!.restyle(this.el, { visible: d.showMask && !!this.maskDown }, [MASK]);
    if (prev.pos.some((v, i) => v !== d.pos[i])) {
      const l = planeLines(d.pos, d.size);
      await this.plotly!.restyle(this.el, { x: [l.x], y: [l.y], z: [l.z] }, [PLANES]);
    }
  }

  private traces(d: View3dData): unknown[] {
    const hasCam = !!this.camDown;
    const l = planeLines(d.pos, d.size);
    const base = { type: 'mesh3d', hoverinfo: 'skip', flatshading: true, showscale: false };
    const common = [
      { type: 'scatter3d', mode: 'lines', name: 'mask', ...wireframe(this.maskMesh), line: { color: MASK_CSS, width: 1 }, opacity: 0.55, hoverinfo: 'skip', showlegend: false, visible: d.showMask && !!this.maskMesh },
      { type: 'scatter3d', mode: 'lines', ...l, line: { color: '#888', width: 2 }, hoverinfo: 'skip', name: 'slices', showlegend: false },
    ];
    if (d.mode === 'cloud') {
      const c = this.cloudOf(d);
      const cloud = {
        type: 'scatter3d', mode: 'markers', name: 'voxels', x: c.x, y: c.y, z: c.z, hoverinfo: 'skip', showlegend: false, visible: d.showCt || d.showCam,
        marker: { symbol: 'square', size: c.stride === 1 ? 2 : 3.5, color: c.value, cmin: 0, cmax: 1, colorscale: thresholdColorscale(d.threshold), opacity: d.opacity * 0.5, showscale: hasCam, colorbar: { title: { text: 'CAM' }, len: 0.6, thickness: 12 }, line: { width: 0 } },
      };
      return [cloud, { ...base, name: 'none', ...meshData(null) }, ...common];
    }
    return [
      { ...base, name: 'CT', ...meshData(this.ctMesh), color: '#9aa0a8', opacity: 0.12, visible: d.showCt, lighting: { ambient: 0.8 } },
      { ...base, name: 'CAM', ...meshData(this.camMesh(d.threshold, d.size)), cmin: 0, cmax: 1, colorscale: plotlyColorscale(CAM_COLORMAP), opacity: d.opacity, visible: d.showCam && hasCam, showscale: false },
      // the mask as a wireframe (its surface's triangle edges): visible through and inside the CAM
      ...common,
    ];
  }

  private layout(s: number) {
    // follow the site theme (light / dark)
    const css = getComputedStyle(this.el);
    const bg = css.getPropertyValue('--bg-raised').trim() || '#fff';
    const fg = css.getPropertyValue('--fg').trim() || '#222';
    const gridc = css.getPropertyValue('--border').trim() || '#ddd';
    const axis = (k: 'x' | 'y' | 'z', reversed = false) => ({
      title: { text: `${AXIS_DIRECTION[k][0]} ← ${k} → ${AXIS_DIRECTION[k][1]}` },
      ...(reversed ? { autorange: 'reversed' } : { range: [0, s] }),
      showbackground: false, gridcolor: gridc, zeroline: false, color: fg,
    });
    const m = s / 2;
    // R/L, A/P, S/I at the middle of each face of the cube
    const marks: [number, number, number, string][] = [[0, m, m, 'R'], [s, m, m, 'L'], [m, 0, m, 'A'], [m, s, m, 'P'], [m, m, 0, 'S'], [m, m, s, 'I']];
    return {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      paper_bgcolor: bg,
      font: { color: fg },
      uirevision: 'keep-camera',
      showlegend: false,
      scene: {
        // z = 0 is superior: the z axis runs downwards so the head end is at the top
        xaxis: axis('x'), yaxis: axis('y'), zaxis: axis('z', true), aspectmode: 'cube',
        camera: { eye: { x: -1.5, y: -1.5, z: 0.9 } },
        annotations: marks.map(([x, y, z, text]) => ({ x, y, z, text: `<b>${text}</b>`, showarrow: false, font: { size: 15, color: fg } })),
      },
    };
  }
}

const EMPTY: Mesh = { x: new Float32Array(0), y: new Float32Array(0), z: new Float32Array(0), i: new Uint32Array(0), j: new Uint32Array(0), k: new Uint32Array(0), intensity: new Float32Array(0) };
function meshData(m: Mesh | null) {
  const v = m ?? EMPTY;
  return { x: v.x, y: v.y, z: v.z, i: v.i, j: v.j, k: v.k, intensity: v.intensity };
}
/** restyle wants each attribute wrapped in an array (one entry per trace). */
function meshUpdate(m: Mesh | null) {
  const d = meshData(m);
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, [v]]));
}

/** Triangle edges of a mesh as one line trace (null-separated segments). */
function wireframe(m: Mesh | null) {
  const n = m ? m.i.length : 0;
  const x: (number | null)[] = [], y: (number | null)[] = [], z: (number | null)[] = [];
  for (let t = 0; t < n; t++) {
    for (const v of [m!.i[t], m!.j[t], m!.k[t], m!.i[t]]) {
      x.push(m!.x[v]);
      y.push(m!.y[v]);
      z.push(m!.z[v]);
    }
    x.push(null);
    y.push(null);
    z.push(null);
  }
  return { x, y, z };
}
