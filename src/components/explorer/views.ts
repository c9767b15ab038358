/** The slice views and the 3D view, drawn from one set of layers; only what changed is redrawn. */
import type { Pos } from '../../lib/viz/orient';
import type { VolumeLayers } from '../../lib/viz/slice-view';
import type { InputVolume } from './volumes';
import { SliceViews } from './slices';
import { View3d, type View3dMode } from './view3d';
import { probeRenderers } from './runtime/backend-probe';
import { msg, type Ui } from './ui';

export type Layers = VolumeLayers & { showCt: boolean };

export class Views {
  readonly slices: SliceViews;
  view3d: View3d | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** A queued 3D update that has not started: it will draw the newest state, so a burst of changes adds no more. */
  private pending: Promise<void> | null = null;
  /** voxel cloud grid step: the full 64³ on a GPU, every other voxel (32³) on a software renderer */
  private cloudStride = 1;
  private renderer = '';

  constructor(
    private ui: Ui,
    private size: number,
    private current: () => { vol: InputVolume | null; cam: Float32Array | null; pos: Pos },
    onPick: (p: Pos) => void,
  ) {
    this.slices = new SliceViews(ui, onPick, () => current().pos);
  }

  private input(name: string): HTMLInputElement {
    return this.ui.q<HTMLInputElement>(`[data-${name}]`);
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

  async start3d(): Promise<void> {
    const el = this.ui.q('[data-plot]');
    try {
      const v = new View3d(el);
      await v.init();
      const gl = (await probeRenderers()).webgl;
      // ?cloud=full draws the full 64³ cloud anyway (to compare, or on a fast CPU)
      if (gl.software && new URLSearchParams(location.search).get('cloud') !== 'full') {
        this.cloudStride = 2;
        this.renderer = /swiftshader|llvmpipe|lavapipe|basic render/i.exec(gl.description)?.[0] ?? 'a software renderer';
      }
      this.ui.maybe('[data-plot-placeholder]')?.remove();
      this.view3d = v;
      // the plot follows the site's light / dark theme
      new MutationObserver(() => {
        v.invalidate();
        void this.draw3d();
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      const { vol, cam } = this.current();
      if (vol) v.setVolume(vol.ct, vol.mask, this.size);
      v.setCam(cam, this.size);
      await this.draw3d();
    } catch (e) {
      el.textContent = `The 3D view could not start (${msg(e)}); the slices still work.`;
    }
  }

  setVolume(vol: InputVolume): void {
    this.view3d?.setVolume(vol.ct, vol.mask, this.size);
  }
  setCam(cam: Float32Array | null): void {
    this.view3d?.setCam(cam, this.size);
  }

  /**
   * Chains 3D updates so they never overlap; each draws the state current when it runs, so while one
   * draws, any number of changes (a slider dragged) queue one more draw, not one each.
   */
  draw3d(): Promise<void> {
    if (this.pending) return this.pending;
    const next = this.queue.then(async () => {
      this.pending = null;
      const { vol, cam, pos } = this.current();
      if (!this.view3d || !vol) return;
      try {
        const mode = this.ui.q<HTMLSelectElement>('[data-view-mode]').value as View3dMode;
        await this.view3d.draw({ ...this.layers(vol, cam), pos, mode, cloudStride: this.cloudStride });
        const n = this.view3d.cloudPoints.toLocaleString('en');
        this.ui.text(
          '[data-cloud-note]',
          mode !== 'cloud' ? '' : this.cloudStride === 1
            ? `Voxel cloud: all ${n} tissue voxels of the 64³ volume.`
            : `Voxel cloud reduced to every other voxel (${n} points, 32³): this browser draws 3D in software (${this.renderer}), where the full 64³ cloud has 8× the points to draw on every frame.`,
        );
      } catch (e) {
        this.ui.q('[data-plot]').textContent = `The 3D view failed (${msg(e)}); the slices still work.`;
      }
    });
    this.pending = next;
    this.queue = next;
    return next;
  }

  redraw(): void {
    const { vol, cam, pos } = this.current();
    if (!vol) return;
    this.slices.draw(this.layers(vol, cam), pos);
    void this.draw3d();
  }

  /** Resolves once every queued 3D update has run. */
  settled(): Promise<void> {
    return this.queue;
  }
}
