/**
 * The slice views and the 3D view, drawn from one set of layers; only what changed is redrawn.
 * The 3D view is the voxel cloud by default (cloud3d.ts: WebGL of its own, points built in a
 * worker); "Surfaces" is the plotly view (view3d.ts), loaded only when the reader picks it.
 */
import type { Pos } from '../../lib/viz/orient';
import type { VolumeLayers } from '../../lib/viz/slice-view';
import { cloudValues, legendGradient, type CloudPoints, type OrbitCamera } from '../../lib/viz/cloud-view';
import type { InputVolume } from './volumes';
import { SliceViews } from './slices';
import { View3d, VIEW_SIZE, downsample, type View3dMode } from './view3d';
import { isosurfaces } from '../../lib/viz/isosurface';
import { Cloud3d } from './cloud3d';
import { buildCloud } from './cloud-client';
import { msg, type Ui } from './ui';

export type Layers = VolumeLayers & { showCt: boolean };

const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render|lavapipe/i;
/**
 * A full 64³ frame slower than this on the GPU (software GL) draws every other voxel instead: a
 * threshold or opacity restyle is one frame plus the page's own work, and its target is 150 ms
 * (npm run bench:explorer). SwiftShader drew a full frame (89k points) in 118-123 ms at load 4-5 here.
 */
const FULL_FRAME_MAX_MS = 100;

export class Views {
  readonly slices: SliceViews;
  /** the plotly surfaces view, made when the reader first picks it */
  surfaces: View3d | null = null;
  cloud: Cloud3d | null = null;
  private points: CloudPoints | null = null;
  private pointsFor: Float32Array | null = null;
  private valuesFor: Float32Array | null | undefined = undefined;
  private queue: Promise<void> = Promise.resolve();
  /** A queued surfaces update that has not started: it will draw the newest state, so a burst of changes adds no more. */
  private pending: Promise<void> | null = null;
  /** voxel cloud grid step: 1 the full 64³; 2 every other voxel where a full frame is too slow */
  private cloudStride = 1;
  private cloudReason = '';
  private building: Promise<void> | null = null;
  /** ms from the first 3D request to the first cloud frame with the CAM, and of the last restyle */
  lastDrawMs: number | null = null;
  lastUpdateMs: number | null = null;
  private started = false;
  /** The voxel the reader points at (hover / tap), shared by the slices and the 3D view. */
  hover: Pos | null = null;

  constructor(
    private ui: Ui,
    private size: number,
    private current: () => { vol: InputVolume | null; cam: Float32Array | null; pos: Pos },
    onPick: (p: Pos) => void,
    private onHover: (p: Pos | null) => void = () => {},
    private onCamera: (c: OrbitCamera) => void = () => {},
  ) {
    this.slices = new SliceViews(ui, onPick, () => current().pos, (p) => this.pointAt(p));
  }

  /** Timings of the shown 3D view, for the test hook (state().draw3dMs / update3dMs). */
  get view3d(): { lastDrawMs: number | null; lastUpdateMs: number | null } | null {
    if (this.mode() === 'surfaces') return this.surfaces;
    return this.started ? this : null;
  }

  private input(name: string): HTMLInputElement {
    return this.ui.q<HTMLInputElement>(`[data-${name}]`);
  }
  mode(): View3dMode {
    return (this.ui.maybe<HTMLSelectElement>('[data-view-mode]')?.value as View3dMode) ?? 'cloud';
  }

  layers(vol: InputVolume, cam: Float32Array | null): Layers {
    return {
      size: this.size,
      ct: vol.ct,
      cam,
      mask: vol.mask,
      threshold: Number(this.input('threshold').value),
      opacity: Number(this.input('opacity').value),
      showCt: this.input('show-ct').checked,
      showCam: this.input('show-cam').checked,
      showMask: this.input('show-mask').checked && !!vol.mask,
    };
  }

  /** A voxel pointed at in a slice or in 3D: both show it, the read-out says what is there. */
  pointAt(p: Pos | null): void {
    this.hover = p;
    this.cloud?.setHover(p);
    this.compare?.setHover(p);
    this.slices.showHover(p);
    this.onHover(p);
  }

  /** Starts the 3D view (the cloud; plotly only if the URL or the reader asks for surfaces). */
  async start3d(): Promise<void> {
    const el = this.ui.q('[data-plot]');
    this.started = true;
    const t0 = performance.now();
    try {
      const host = document.createElement('div');
      host.className = 'c3d';
      host.dataset.cloudHost = '';
      el.append(host);
      const cloud = new Cloud3d(host, {
        onHover: (p) => this.pointAt(p),
        onCamera: (c) => {
          this.compare?.setCamera(c);
          this.onCamera(c);
        },
      });
      const renderer = cloud.rendererName();
      if (SOFTWARE_GL.test(renderer) && new URLSearchParams(location.search).get('cloud') !== 'full') this.cloudReason = renderer;
      this.ui.maybe('[data-plot-placeholder]')?.remove();
      // a comparison asked for before the view started
      queueMicrotask(() => this.compareCam && this.setCompare(this.compareCam, this.compareLabels));
      this.ui.maybe('[data-touch-done]')?.addEventListener('click', () => {
        cloud.setEngaged(false);
        this.compare?.setEngaged(false);
      });
      if (this.initialCamera) cloud.setCamera(this.initialCamera);
      this.cloud = cloud;
      this.ui.root.dataset.renderer = renderer;
      new MutationObserver(() => {
        cloud.readTheme();
        this.surfaces?.invalidate();
        if (this.mode() === 'surfaces') void this.drawSurfaces();
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      this.applyMode();
      await this.ensurePoints();
      this.draw3d();
      await nextFrame();
      this.lastDrawMs = performance.now() - t0;
      performance.mark('explorer:3d-first');
      this.ui.root.dataset.view3d = 'ready';
    } catch (e) {
      el.textContent = `The 3D view could not start (${msg(e)}); the slices still work.`;
    }
  }

  /** The cloud's points for the current volume, built in the worker; on software GL the grid step is chosen by a timed frame. */
  private ensurePoints(): Promise<void> {
    const { vol } = this.current();
    if (!vol || !this.cloud) return Promise.resolve();
    if (this.pointsFor === vol.ct && this.building === null) return Promise.resolve();
    const ct = vol.ct;
    const build = (async () => {
      let p = await buildCloud(ct, this.size, this.cloudStride);
      if (this.current().vol?.ct !== ct) return;
      this.cloud!.setPoints(p, ct);
      this.compare?.setPoints(p, ct);
      this.compareValuesFor = undefined;
      this.points = p;
      this.pointsFor = ct;
      this.valuesFor = undefined;
      this.applyValues();
      this.applyStyle();
      if (this.cloudReason && this.cloudStride === 1) {
        // time a full frame on the GPU (not blocking the page); too slow → every other voxel
        const ms = await this.cloud!.timeFrame();
        if (this.current().vol?.ct !== ct) return;
        if (ms !== null) this.ui.root.dataset.fullFrameMs = ms.toFixed(0);
        if (ms !== null && ms > FULL_FRAME_MAX_MS) {
          this.cloudStride = 2;
          this.fullFrameMs = ms;
          p = await buildCloud(ct, this.size, 2);
          if (this.current().vol?.ct !== ct) return;
          this.cloud!.setPoints(p, ct);
          this.compare?.setPoints(p, ct);
          this.compareValuesFor = undefined;
          this.points = p;
          this.valuesFor = undefined;
          this.applyValues();
        }
      }
      this.note();
    })();
    this.building = build;
    return build.finally(() => {
      if (this.building === build) this.building = null;
    });
  }
  private fullFrameMs = 0;

  private note(): void {
    if (this.mode() !== 'cloud' || !this.points) return this.ui.text('[data-cloud-note]', '');
    const n = this.points.n.toLocaleString('en');
    this.ui.root.dataset.cloudStride = String(this.cloudStride);
    this.ui.text(
      '[data-cloud-note]',
      this.cloudStride === 1
        ? `Voxel cloud: all ${n} tissue voxels of the 64³ volume. `
        : `Voxel cloud reduced to every other voxel (${n} points, 32³): this browser draws 3D in software (${this.cloudReason}), where a full 64³ frame took ${Math.round(this.fullFrameMs)} ms. `,
    );
  }

  private applyValues(): void {
    const { cam } = this.current();
    if (this.compare && this.points && this.compareValuesFor !== this.compareCam) {
      this.compare.setValues(cloudValues(this.points, this.compareCam));
      this.compareValuesFor = this.compareCam;
    }
    if (!this.cloud || !this.points || this.valuesFor === cam) return;
    this.cloud.setValues(cloudValues(this.points, cam));
    this.valuesFor = cam;
  }

  private applyStyle(): void {
    const { vol, cam, pos } = this.current();
    if (!this.cloud || !vol) return;
    const l = this.layers(vol, cam);
    this.cloud.setStyle({ threshold: l.threshold, opacity: l.opacity, showCt: l.showCt, showCam: l.showCam && !!cam });
    this.cloud.setPlanes(pos);
    this.cloud.setMask(l.showMask && vol.mask ? this.maskLines(vol.mask) : null);
    if (this.compare && this.compareCam) {
      this.compare.setStyle({ threshold: l.threshold, opacity: l.opacity, showCt: l.showCt, showCam: l.showCam });
      this.compare.setPlanes(pos);
      this.compare.setMask(l.showMask && vol.mask ? this.maskLines(vol.mask) : null);
      this.applyValues();
    }
  }

  /** The one colour legend: grey below the threshold, the colormap above, as the views draw it. */
  legend(): void {
    const t = Number(this.input('threshold').value);
    const bar = this.ui.maybe('[data-colorbar]');
    if (bar) bar.style.background = legendGradient(t);
    const tick = this.ui.maybe('[data-legend-threshold]');
    if (tick) {
      tick.hidden = !(t > 0.08 && t < 0.92);
      tick.textContent = t.toFixed(2);
      tick.style.left = `${t * 100}%`;
    }
    const showCam = this.input('show-cam').checked;
    this.ui.maybe('[data-legend]')?.toggleAttribute('data-off', !showCam);
    this.ui.text('[data-legend-text]', !showCam
      ? 'CAM hidden: the tissue in grey.'
      : t > 0
        ? `grey: tissue with a CAM below ${t.toFixed(2)}; above it inferno, dark low to bright high. Air is left out.`
        : 'every tissue voxel coloured by its CAM value (inferno, dark low to bright high); air is left out.');
  }
  /** The second map, side by side with the first on the same volume, cameras linked. */
  compare: Cloud3d | null = null;
  private compareCam: Float32Array | null = null;
  private compareLabels: [string, string] = ['', ''];
  private compareValuesFor: Float32Array | null | undefined = undefined;

  /** Shows `cam` beside the main map (null: one view again); `labels`: [main, second]. */
  setCompare(cam: Float32Array | null, labels: [string, string] = ['', '']): void {
    const plot = this.ui.q('[data-plot]');
    this.compareCam = cam;
    this.compareLabels = labels;
    plot.toggleAttribute('data-comparing', !!cam);
    this.ui.root.toggleAttribute('data-comparing', !!cam);
    const titles = plot.querySelectorAll<HTMLElement>('[data-plot-title]');
    titles.forEach((t, i) => (t.textContent = cam ? labels[i] : ''));
    if (!cam) {
      this.cloud?.setHover(this.hover);
      this.cloud?.request();
      return;
    }
    if (!this.compare && this.cloud) {
      const host = document.createElement('div');
      host.className = 'c3d c3d-compare';
      plot.append(host);
      const c = new Cloud3d(host, {
        label: '3D voxel cloud of the same CT coloured by the second map; drag to rotate (both views turn together)',
        onHover: (p) => this.pointAt(p),
        onCamera: (cam) => {
          this.cloud?.setCamera(cam);
          this.onCamera(cam);
        },
      });
      c.setCamera(this.cloud.camera);
      this.compare = c;
    }
    this.compareValuesFor = undefined;
    if (this.points && this.pointsFor) this.compare?.setPoints(this.points, this.pointsFor);
    this.applyStyle();
    this.cloud?.request();
  }

  /** A camera from the URL, applied when the 3D view starts. */
  initialCamera: OrbitCamera | null = null;

  private maskFor: Uint8Array | null = null;
  private maskSeg: Float32Array | null = null;
  /** The mask's surface (16³ isosurface, as the surfaces view meshes it) as line segments in the cloud's frame. */
  private maskLines(mask: Uint8Array): Float32Array {
    if (this.maskFor === mask && this.maskSeg) return this.maskSeg;
    const S = this.size, f = S / VIEW_SIZE;
    const m = isosurfaces(downsample(mask, S, f), VIEW_SIZE, [0.5], f);
    const out = new Float32Array(m.i.length * 18);
    const at = (v: number, o: number) => {
      out[o] = m.x[v] - S / 2;
      out[o + 1] = m.y[v] - S / 2;
      out[o + 2] = S / 2 - m.z[v];
    };
    for (let t = 0, o = 0; t < m.i.length; t++) {
      const a = m.i[t], b = m.j[t], c = m.k[t];
      for (const [p, q] of [[a, b], [b, c], [c, a]]) {
        at(p, o);
        at(q, o + 3);
        o += 6;
      }
    }
    this.maskFor = mask;
    this.maskSeg = out;
    return out;
  }

  private applyMode(): void {
    const cloudHost = this.ui.maybe('[data-cloud-host]');
    const surf = this.ui.maybe('[data-surfaces-host]');
    const m = this.mode();
    if (cloudHost) cloudHost.hidden = m !== 'cloud';
    if (surf) surf.hidden = m !== 'surfaces';
    const cmp = this.ui.maybe('.c3d-compare');
    if (cmp) cmp.hidden = m !== 'cloud';
    this.ui.root.dataset.shownView = m;
  }

  setVolume(vol: InputVolume): void {
    this.surfaces?.setVolume(vol.ct, vol.mask, this.size);
    this.slices.showHover(null);
    if (this.cloud) void this.ensurePoints().then(() => this.draw3d());
  }
  setCam(cam: Float32Array | null): void {
    this.surfaces?.setCam(cam, this.size);
    this.applyValues();
  }

  /** The 3D view follows the controls: the cloud restyles at once (uniforms), surfaces queue. */
  draw3d(): Promise<void> {
    this.applyMode();
    if (this.mode() === 'surfaces') return this.drawSurfaces();
    if (!this.cloud) return Promise.resolve();
    const t0 = performance.now();
    this.applyValues();
    this.applyStyle();
    this.note();
    return nextFrame().then(() => {
      this.lastUpdateMs = performance.now() - t0;
    });
  }

  /** Chains plotly updates so they never overlap; a burst of changes queues one more draw, not one each. */
  private drawSurfaces(): Promise<void> {
    if (this.pending) return this.pending;
    const next = this.queue.then(async () => {
      this.pending = null;
      const { vol, cam, pos } = this.current();
      if (!vol) return;
      try {
        if (!this.surfaces) {
          const el = this.ui.q('[data-plot]');
          const host = document.createElement('div');
          host.className = 'ex-surfaces';
          host.dataset.surfacesHost = '';
          el.append(host);
          this.applyMode();
          const v = new View3d(host);
          await v.init();
          v.setVolume(vol.ct, vol.mask, this.size);
          v.setCam(cam, this.size);
          this.surfaces = v;
        }
        this.ui.text('[data-cloud-note]', '');
        await this.surfaces.draw({ ...this.layers(vol, cam), pos, mode: 'surfaces', cloudStride: 1 });
      } catch (e) {
        this.ui.text('[data-cloud-note]', `The surfaces view failed (${msg(e)}); the voxel cloud and the slices still work.`);
      }
    });
    this.pending = next;
    this.queue = next;
    return next;
  }

  redraw(): void {
    const { vol, cam, pos } = this.current();
    this.legend();
    if (!vol) return;
    this.slices.draw(this.layers(vol, cam), pos);
    void this.draw3d();
  }

  /** Resolves once every queued 3D update has run. */
  async settled(): Promise<void> {
    await this.building;
    await this.queue;
    await nextFrame();
  }
}

function nextFrame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}
