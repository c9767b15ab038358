/**
 * The three orthogonal slice views: each canvas shows lib/viz/slice-view's pixels (the snapshots'
 * renderer, the site's one orientation); crosshairs and the R/L, A/P, S/I edge labels are HTML
 * on top, so the canvas pixels stay exactly the rendered slice.
 */
import { pixelToPos, posToPixel, VIEWS, type Pos, type View } from '../../lib/viz/orient';
import { renderSlice, type VolumeLayers } from '../../lib/viz/slice-view';
import type { Ui } from './ui';

export class SliceViews {
  lastMs: number | null = null;

  constructor(
    private ui: Ui,
    onPick: (p: Pos) => void,
    getPos: () => Pos,
    /** the voxel under the pointer (null: it left the slice) */
    onHover: (p: Pos | null) => void = () => {},
  ) {
    for (const view of VIEWS) {
      const canvas = this.canvas(view);
      const at = (ev: MouseEvent) => {
        const r = canvas.getBoundingClientRect();
        const S = canvas.width;
        return pixelToPos(view, getPos(), ((ev.clientY - r.top) / r.height) * S, ((ev.clientX - r.left) / r.width) * S, S);
      };
      canvas.addEventListener('click', (ev) => {
        const p = at(ev);
        onPick(p);
        onHover(p);
      });
      canvas.addEventListener('pointermove', (ev) => {
        if (ev.pointerType === 'mouse') onHover(at(ev));
      });
      canvas.addEventListener('pointerleave', (ev) => {
        if (ev.pointerType === 'mouse') onHover(null);
      });
    }
  }

  /** The pointed-at voxel as a ring on each slice (where it projects), or none. */
  showHover(p: Pos | null): void {
    for (const view of VIEWS) {
      const box = this.canvas(view).parentElement!;
      box.toggleAttribute('data-hover', !!p);
      if (!p) continue;
      const S = this.canvas(view).width;
      const { row, col } = posToPixel(view, p);
      box.style.setProperty('--hrow', String((row + 0.5) / S));
      box.style.setProperty('--hcol', String((col + 0.5) / S));
    }
  }

  canvas(view: View): HTMLCanvasElement {
    return this.ui.q<HTMLCanvasElement>(`[data-slice="${view}"]`);
  }

  draw(d: VolumeLayers, pos: Pos): void {
    const t0 = performance.now();
    const S = d.size;
    for (const view of VIEWS) {
      const canvas = this.canvas(view);
      if (canvas.width !== S) canvas.width = canvas.height = S;
      const ctx = canvas.getContext('2d');
      if (!ctx) continue;
      const img = renderSlice(d, view, pos);
      ctx.putImageData(new ImageData(new Uint8ClampedArray(img.rgba.buffer as ArrayBuffer), S, S), 0, 0);
      const { row, col } = posToPixel(view, pos);
      const box = canvas.parentElement!;
      box.style.setProperty('--row', String((row + 0.5) / S));
      box.style.setProperty('--col', String((col + 0.5) / S));
      const range = this.ui.q<HTMLInputElement>(`[data-slice-range="${view}"]`);
      const at = String(pos[VIEWS.indexOf(view)]);
      range.value = at;
      this.ui.text(`[data-slice-out="${view}"]`, at);
    }
    if (this.lastMs === null) performance.mark('explorer:slices-first');
    this.lastMs = performance.now() - t0;
  }
}
