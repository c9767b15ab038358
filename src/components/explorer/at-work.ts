/**
 * "Score-CAM at work" (AtWorkFigure.astro): draws the method's pieces as the worker's batches of
 * channel scores arrive — the channel maps, the masked input of the latest channel, the scores as
 * bars, the weighted sum so far — and afterwards lets the reader walk through the channels from the
 * strongest down. The math is src/lib/cam/at-work.ts (checked against Score-CAM itself); this
 * module only paints.
 */
import { channelMap, channelMaskOnPlane, maskedInput, partialCam, partialCamOnPlane, rankByWeight, topWeights, type ChannelMaps, type Plane } from '../../lib/cam/at-work';
import { displayName } from '../../lib/data/labels';
import { pearson } from '../../lib/metrics/stats';
import { colormapLut, CAM_COLORMAP } from '../../lib/viz/colormap';
import { sliceOf, VIEW_AXIS, type Pos, type View } from '../../lib/viz/orient';
import { renderSlice } from '../../lib/viz/slice-view';
import type { CamDetail } from './runtime/protocol';

/** Tile grid: 16 columns on a wide figure, 8 on a phone; each tile the CT slice under the channel's map. */
let TILE_COLS = 16;
const TILE_PX = 42; // 40 px tile + 2 px gap
/** 16 columns where the figure is wide, 8 on a phone (tiles stay ≥ 40 px on screen). */
const tileColumns = (width: number) => (width > 0 && width < 560 ? 8 : 16);
/**
 * The figure's canvases are software (CPU) canvases: the browser's hint for canvases read back
 * often, which also keeps them off the GPU path. Painted while a pool of workers takes every core,
 * a GPU-backed canvas moves each putImageData through the GPU process and the compositor, and in
 * headless Chromium on 2 cores that made a 2-worker Score-CAM 15 % slower with the figure open
 * (1131 vs 959 ms, npm run bench:browser -- --at-work open|closed); as CPU canvases, open and closed
 * time the same (984 vs 988 ms). Every getContext call must pass the same attributes.
 */
const CANVAS_2D: CanvasRenderingContext2DSettings = { willReadFrequently: true };
/** Least time between two paints of a running Score-CAM (see schedulePaint). */
const PAINT_INTERVAL_MS = 400;

export interface AtWorkInput {
  ct: Float32Array;
  size: number;
  mask: Uint8Array | null;
  /** Where the panels slice the volume. */
  view: View;
  pos: Pos;
  /** p(target | X), the line on the score chart. */
  pFull?: number;
}

export class AtWork {
  private input: AtWorkInput | null = null;
  private c: ChannelMaps | null = null;
  private target = -1;
  private weights = new Float32Array(0);
  private scored = 0;
  private current: number[] = [];
  private full: Float32Array | null = null;
  private order: number[] = [];
  /** Time spent painting (ms), for the status line and the tests. */
  lastPaintMs = 0;
  /** When the running state was last painted (performance.now()), and the pending paint. */
  private lastPaintAt = -Infinity;
  private paintTimer: ReturnType<typeof setTimeout> | null = null;
  /** The tiles' image for the current maps and slice, and each tile's opacity in it. */
  private tiles: { maps: Float32Array; key: string; img: ImageData; alpha: Uint8Array } | null = null;

  constructor(private readonly root: HTMLElement) {
    this.scrub.addEventListener('input', () => this.showTop(Number(this.scrub.value)));
    // a tile clicked (or chosen with the keyboard): that channel's mask and masked input
    const tiles = this.q<HTMLCanvasElement>('[data-aw-tiles]');
    tiles.addEventListener('click', (e) => {
      const r = tiles.getBoundingClientRect();
      const x = ((e.clientX - r.left) / r.width) * tiles.width, y = ((e.clientY - r.top) / r.height) * tiles.height;
      const j = Math.floor(y / TILE_PX) * TILE_COLS + Math.floor(x / TILE_PX);
      if (this.c && j >= 0 && j < this.c.indices.length) this.select(j);
    });
    tiles.addEventListener('keydown', (e) => {
      if (!this.c || !['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) return;
      e.preventDefault();
      const n = this.c.indices.length;
      const at = this.current[this.current.length - 1] ?? 0;
      const d = e.key === 'ArrowLeft' ? -1 : e.key === 'ArrowRight' ? 1 : e.key === 'ArrowUp' ? -TILE_COLS : TILE_COLS;
      this.select(Math.max(0, Math.min(n - 1, at + d)));
    });
    // a phone turned or a window narrowed: the grid follows, with no new run
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.relayout()).observe(this.root);
  }

  /** Sizes the tile canvas for the figure's width; repaints the tiles when the column count changed. */
  private relayout(force = false): void {
    const cols = tileColumns(this.root.clientWidth);
    if (!this.c || this.root.dataset.state === 'empty' || (cols === TILE_COLS && !force)) return;
    TILE_COLS = cols;
    const tiles = this.q<HTMLCanvasElement>('[data-aw-tiles]');
    tiles.width = TILE_COLS * TILE_PX;
    tiles.height = Math.ceil(this.c.indices.length / TILE_COLS) * TILE_PX;
    if (!force) this.drawTiles();
  }

  /** Shows channel j: its tile outlined, its mask and masked input, its score and rank. */
  select(j: number): void {
    if (!this.c || !this.input) return;
    this.current = [j];
    this.paint(this.full ?? partialCamOnPlane(this.c, this.weights, this.input.size, this.plane()), j);
    const w = this.weights[j];
    const rank = this.order.length ? this.order.indexOf(j) + 1 : 0;
    this.root.dataset.selected = String(j);
    this.text(
      '[data-aw-status]',
      `Channel ${this.c.indices[j]}${Number.isFinite(w) ? `: score ${fmtScore(w)}${rank ? `, number ${rank} of ${this.scored} by score` : ''}` : ': not scored yet'}. Its map (upsampled, scaled to [0, 1]) is the mask; the model scores the CT times that mask.`,
    );
  }

  /** Nothing to draw: say why (a gradient method, a precomputed map, a stopped run). */
  empty(why: string): void {
    this.cancelPaint();
    this.root.dataset.state = 'empty';
    this.text('[data-aw-status]', why);
  }

  private q<T extends HTMLElement>(sel: string): T {
    const el = this.root.querySelector<T>(sel);
    if (!el) throw new Error(`at-work figure: missing ${sel}`);
    return el;
  }
  private get scrub(): HTMLInputElement {
    return this.q<HTMLInputElement>('[data-aw-scrub]');
  }
  private text(sel: string, t: string): void {
    this.q(sel).textContent = t;
  }

  /** A new Score-CAM run on this volume begins: clear the panels. */
  begin(input: AtWorkInput): void {
    this.cancelPaint();
    this.lastPaintAt = -Infinity;
    this.input = input;
    this.c = null;
    this.full = null;
    this.scored = 0;
    this.current = [];
    this.root.dataset.state = 'waiting';
    delete this.root.dataset.selected;
    this.order = [];
    this.q('[data-aw-scrub-label]').hidden = true;
    this.scrub.disabled = true;
    for (const sel of ['[data-aw-tiles]', '[data-aw-masked]', '[data-aw-bars]', '[data-aw-sum]']) {
      const cv = this.q<HTMLCanvasElement>(sel);
      cv.getContext('2d', CANVAS_2D)?.clearRect(0, 0, cv.width, cv.height);
    }
    this.text('[data-aw-status]', 'Running the unmasked pass…');
  }

  /** False while the figure sits in a closed <details> panel (the explorer's), so nobody sees it. */
  shown(): boolean {
    const panel = this.root.closest('details');
    return !panel || panel.open;
  }

  /** A message from the worker: the channel maps (painted at once) or a batch of scores (painted by schedulePaint). */
  detail(d: CamDetail): void {
    if (!this.input) return;
    const t0 = performance.now();
    if (d.kind === 'channels') {
      this.c = { maps: d.maps, shape: d.shape, indices: d.indices };
      this.target = d.target;
      this.weights = new Float32Array(d.indices.length).fill(NaN);
      this.root.dataset.state = 'running';
      this.relayout(true);
      this.tiles = null;
      this.text('[data-aw-tiles-cap]', `The ${d.indices.length} channels Score-CAM runs at this stage (${d.shape.join('×')} voxels each), each over the CT slice the views show: bright where the channel responds. Click a tile to see its mask and masked input.`);
    } else if (this.c) {
      this.weights.set(d.scores, d.from);
      this.scored += d.scores.length;
      this.current = Array.from({ length: d.scores.length }, (_, j) => d.from + j);
      this.schedulePaint();
      return;
    }
    this.lastPaintMs = performance.now() - t0;
  }

  /**
   * Paint the running state at most every PAINT_INTERVAL_MS: the batches arrive every ~100 ms
   * from a pool of workers that takes every core, and each paint (128 tiles, the partial sum and
   * the latest mask) runs on the page's thread, which then competes with them (measured in
   * headless Chromium on 2 cores: painting every batch made a 2-worker Score-CAM 13 % slower). So
   * a running paint also upsamples the sum and the mask on the shown plane only, not in 3D.
   */
  private schedulePaint(): void {
    if (this.paintTimer !== null) return;
    const wait = Math.max(0, this.lastPaintAt + PAINT_INTERVAL_MS - performance.now());
    this.paintTimer = setTimeout(() => {
      this.paintTimer = null;
      this.paintRunning();
    }, wait);
  }

  private cancelPaint(): void {
    if (this.paintTimer !== null) clearTimeout(this.paintTimer);
    this.paintTimer = null;
  }

  private paintRunning(): void {
    if (!this.c || !this.input || this.scored === 0) return;
    const t0 = performance.now();
    const last = this.current[this.current.length - 1];
    // the map on the shown plane only: each paint runs on the page's thread, beside the pool
    this.paint(partialCamOnPlane(this.c, this.weights, this.input.size, this.plane()), last);
    this.text(
      '[data-aw-status]',
      `${this.scored} of ${this.c.indices.length} channels scored for ${displayName(this.target)}; the map is the score-weighted sum of those so far.`,
    );
    this.lastPaintAt = performance.now();
    this.lastPaintMs = this.lastPaintAt - t0;
  }

  /** The run finished (or stopped): keep what was scored and offer the walk through the channels. */
  finish(completed: boolean): void {
    this.cancelPaint();
    if (!this.c || !this.input || this.scored === 0) {
      this.empty(completed ? 'This run scored no channel: every channel was constant over the volume, so Score-CAM had nothing to weigh.' : 'The run stopped before any channel was scored; press Run to watch Score-CAM work.');
      return;
    }
    this.root.dataset.state = completed ? 'done' : 'stopped';
    this.order = rankByWeight(this.weights);
    this.full = partialCam(this.c, this.weights, this.input.size);
    const n = this.scored;
    const s = this.scrub;
    s.max = String(n);
    s.value = String(n);
    s.disabled = false;
    this.q('[data-aw-scrub-label]').hidden = false;
    // the full map, beside the strongest channel's masked input
    this.showTop(n, this.order[0]);
  }

  /** The sum of the `k` strongest channels, beside the masked input of channel `j` (default the k-th strongest). */
  private showTop(k: number, j = this.order[k - 1]): void {
    if (!this.c || !this.input || !this.full) return;
    // all of them: the full map, already summed
    const map = k === this.scored ? this.full : partialCam(this.c, topWeights(this.weights, this.order, k), this.input.size);
    this.current = [j];
    this.paint(map, j);
    const r = map ? pearson(map, this.full) : 0;
    this.text('[data-aw-scrub-text]', `Strongest ${k} of ${this.scored} channels`);
    this.text(
      '[data-aw-status]',
      `${k === this.scored ? 'All' : `The ${k} strongest of`} ${this.scored} scored channels: Pearson r ${r.toFixed(3)} with the full map. Channel ${this.c.indices[j]} is number ${this.order.indexOf(j) + 1} by score (${this.weights[j].toFixed(3)}).`,
    );
  }

  /** The plane the figure's slices show. */
  private plane(): Plane {
    const inp = this.input!;
    const axis = VIEW_AXIS[inp.view];
    return { axis, index: inp.pos[axis] };
  }

  /** `sum`: the map so far, a whole volume or (while a run paints) its shown plane only. */
  private paint(sum: Float32Array | null, latest: number): void {
    const c = this.c!;
    const inp = this.input!;
    this.drawTiles();
    this.drawBars();
    const S = inp.size;
    const plane = this.plane();
    // the CT times the mask on the shown slice only (the mask is zero off the plane)
    const h = channelMaskOnPlane(c, latest, S, plane);
    const hSlice = sliceOf(h, S, inp.view, plane.index);
    const masked = maskedInput(sliceOf(inp.ct, S, inp.view, plane.index), hSlice);
    putGray(this.q<HTMLCanvasElement>('[data-aw-masked]'), masked, S);
    const maskCv = this.root.querySelector<HTMLCanvasElement>('[data-aw-mask]');
    if (maskCv) putHeat(maskCv, hSlice, S);
    const w = this.weights[latest];
    this.q('[data-aw-masked-cap]').textContent = `Channel ${c.indices[latest]}: its map H upsampled and scaled to [0, 1] (left), the CT times H (right); p(${displayName(this.target)}) = ${Number.isFinite(w) ? fmtScore(w) : '…'}.`;
    const img = renderSlice({ size: S, ct: inp.ct, cam: sum, mask: inp.mask, threshold: 0, opacity: 0.7, showCam: !!sum, showMask: true }, inp.view, inp.pos);
    const cv = this.q<HTMLCanvasElement>('[data-aw-sum]');
    cv.width = cv.height = S;
    cv.getContext('2d', CANVAS_2D)?.putImageData(new ImageData(new Uint8ClampedArray(img.rgba.buffer as ArrayBuffer), S, S), 0, 0);
  }

  private drawTiles(): void {
    const cv = this.q<HTMLCanvasElement>('[data-aw-tiles]');
    const ctx = cv.getContext('2d', CANVAS_2D);
    if (!ctx) return;
    ctx.putImageData(this.tileImage(ctx, cv.width, cv.height), 0, 0);
    const px = TILE_PX - 2;
    ctx.strokeStyle = cssVar(this.root, '--accent', '#c2255c');
    ctx.lineWidth = 2;
    for (const j of this.current) ctx.strokeRect(...tileOrigin(j), px, px);
  }

  /**
   * The 128 channel tiles in one image (nearest-neighbour, as drawImage without smoothing draws
   * them), made once per run and slice; a later paint only raises the opacity of the tiles scored
   * since (unscored tiles show at 30 %). Each paint runs on the page's thread, beside the pool.
   */
  private tileImage(ctx: CanvasRenderingContext2D, width: number, height: number): ImageData {
    const c = this.c!;
    const inp = this.input!;
    const s = c.shape[1];
    const at = Math.min(s - 1, Math.floor((inp.pos[VIEW_AXIS[inp.view]] * s) / inp.size));
    const key = `${inp.view}:${at}:${width}×${height}`;
    const px = TILE_PX - 2;
    const alphaOf = (j: number) => (Number.isFinite(this.weights[j]) ? 255 : 77);
    const setAlpha = (img: ImageData, j: number, a: number) => {
      const [x0, y0] = tileOrigin(j);
      for (let ty = 0; ty < px; ty++) for (let tx = 0, o = ((y0 + ty) * img.width + x0) * 4 + 3; tx < px; tx++, o += 4) img.data[o] = a;
    };
    let t = this.tiles;
    if (!t || t.maps !== c.maps || t.key !== key) {
      const img = ctx.createImageData(width, height);
      const lut = colormapLut(CAM_COLORMAP);
      // the CT slice under every tile (nearest), the channel's slice over it (bilinear: a 4×4 map reads as a blob, not as noise)
      const S = inp.size;
      const ctSlice = sliceOf(inp.ct, S, inp.view, inp.pos[VIEW_AXIS[inp.view]]);
      const ctPx = new Float32Array(px * px);
      for (let ty = 0; ty < px; ty++) for (let tx = 0; tx < px; tx++) ctPx[ty * px + tx] = ctSlice[Math.min(S - 1, Math.floor(((ty + 0.5) * S) / px)) * S + Math.min(S - 1, Math.floor(((tx + 0.5) * S) / px))];
      const coord = Float32Array.from({ length: px }, (_, i) => Math.max(0, Math.min(s - 1, ((i + 0.5) * s) / px - 0.5)));
      for (let j = 0; j < c.indices.length; j++) {
        const sl = sliceOf(channelMap(c, j), s, inp.view, at);
        let lo = Infinity, hi = -Infinity;
        for (const v of sl) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
        const [x0, y0] = tileOrigin(j);
        for (let ty = 0; ty < px; ty++) {
          let o = ((y0 + ty) * img.width + x0) * 4;
          const fy = coord[ty], r0 = Math.floor(fy), r1 = Math.min(s - 1, r0 + 1), wy = fy - r0;
          for (let tx = 0; tx < px; tx++, o += 4) {
            const fx = coord[tx], c0 = Math.floor(fx), c1 = Math.min(s - 1, c0 + 1), wx = fx - c0;
            const v = (sl[r0 * s + c0] * (1 - wx) + sl[r0 * s + c1] * wx) * (1 - wy) + (sl[r1 * s + c0] * (1 - wx) + sl[r1 * s + c1] * wx) * wy;
            const u = hi > lo ? (v - lo) / (hi - lo) : 0;
            const q = Math.round(u * 255) * 3;
            const g = ctPx[ty * px + tx] * 200, a = 0.25 + 0.7 * u;
            img.data[o] = g + (lut[q] - g) * a;
            img.data[o + 1] = g + (lut[q + 1] - g) * a;
            img.data[o + 2] = g + (lut[q + 2] - g) * a;
          }
        }
      }
      t = this.tiles = { maps: c.maps, key, img, alpha: new Uint8Array(c.indices.length) };
    }
    for (let j = 0; j < c.indices.length; j++) {
      const a = alphaOf(j);
      if (t.alpha[j] !== a) setAlpha(t.img, j, (t.alpha[j] = a));
    }
    return t.img;
  }

  private drawBars(): void {
    const c = this.c!;
    const cv = this.q<HTMLCanvasElement>('[data-aw-bars]');
    const ctx = cv.getContext('2d', CANVAS_2D);
    if (!ctx) return;
    const W = cv.width, H = cv.height, pad = 4;
    const n = c.indices.length;
    const bw = (W - 2 * pad) / n;
    const fg = cssVar(this.root, '--fg-muted', '#666');
    const accent = cssVar(this.root, '--accent', '#c2255c');
    ctx.clearRect(0, 0, W, H);
    // the axis runs to the largest score (rounded up), not to 1: scores of masked copies are often tiny
    let top = 0;
    for (let j = 0; j < n; j++) if (Number.isFinite(this.weights[j])) top = Math.max(top, this.weights[j]);
    const yMax = niceCeil(top || 1);
    const scale = (H - 2 * pad) / yMax;
    this.text('[data-aw-ymax]', fmtScore(yMax));
    this.text('[data-aw-ymid]', fmtScore(yMax / 2));
    ctx.strokeStyle = fg;
    ctx.globalAlpha = 0.35;
    ctx.beginPath();
    ctx.moveTo(pad, pad + 0.5);
    ctx.lineTo(W - pad, pad + 0.5);
    ctx.moveTo(pad, H / 2);
    ctx.lineTo(W - pad, H / 2);
    ctx.stroke();
    ctx.globalAlpha = 1;
    for (let j = 0; j < n; j++) {
      const w = this.weights[j];
      if (!Number.isFinite(w)) continue;
      const h = Math.max(1, w * scale);
      ctx.fillStyle = this.current.includes(j) ? accent : fg;
      ctx.fillRect(pad + j * bw, H - pad - h, Math.max(1, bw - 1), h);
    }
    const p = this.input?.pFull;
    const onScale = p !== undefined && Number.isFinite(p) && p <= yMax;
    if (onScale) {
      const y = H - pad - p! * scale;
      ctx.strokeStyle = accent;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(pad, y);
      ctx.lineTo(W - pad, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    const organ = displayName(this.target).toLowerCase();
    const note = this.root.querySelector('[data-aw-bars-note]');
    if (note && top > 0) {
      const pTxt = p !== undefined && Number.isFinite(p) ? `p(${organ} | X) = ${fmtScore(p)} for the whole CT${onScale ? ' (dashed line)' : `, ${Math.round(p / top)}× the largest score, off this scale`}` : '';
      note.textContent = top < 0.05
        ? `All scores are small (largest ${fmtScore(top)}): a softmax over the 11 organs gives an input with no evidence about 1/11 ≈ 0.09 per organ, and each masked copy keeps so little of the ${organ} that the model gives it to another organ. Score-CAM uses only the scores' ratios (the map is rescaled to [0, 1] afterwards), so the axis is stretched to the largest score. ${pTxt}.`
        : `The axis runs to ${fmtScore(yMax)}. ${pTxt}.`;
    }
  }
}

/** A round number ≥ v for an axis top (1, 2, 2.5, 5 × 10^k). */
function niceCeil(v: number): number {
  const e = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v * 0.999) return m * e;
  return 10 * e;
}

/** A score as printed: three significant digits however small. */
function fmtScore(v: number): string {
  return v >= 0.01 ? v.toFixed(3) : v.toPrecision(2);
}

/** The top-left pixel of channel tile j in the grid (1 px inside its cell). */
function tileOrigin(j: number): [number, number] {
  return [(j % TILE_COLS) * TILE_PX + 1, Math.floor(j / TILE_COLS) * TILE_PX + 1];
}

function putGray(cv: HTMLCanvasElement, v: Float32Array, S: number): void {
  cv.width = cv.height = S;
  const img = new ImageData(S, S);
  for (let i = 0; i < v.length; i++) {
    const g = Math.round(Math.min(1, Math.max(0, v[i])) * 255);
    img.data.set([g, g, g, 255], i * 4);
  }
  cv.getContext('2d', CANVAS_2D)?.putImageData(img, 0, 0);
}

/** A [0, 1] slice in the heat-map colours (the mask H). */
function putHeat(cv: HTMLCanvasElement, v: Float32Array, S: number): void {
  cv.width = cv.height = S;
  const img = new ImageData(S, S);
  const lut = colormapLut(CAM_COLORMAP);
  for (let i = 0; i < v.length; i++) {
    const q = Math.round(Math.min(1, Math.max(0, v[i])) * 255) * 3;
    img.data.set([lut[q], lut[q + 1], lut[q + 2], 255], i * 4);
  }
  cv.getContext('2d', CANVAS_2D)?.putImageData(img, 0, 0);
}

function cssVar(el: HTMLElement, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}
