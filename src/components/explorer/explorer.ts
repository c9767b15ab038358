/**
 * The explorer controller: wires the volume source, the model runner, the CAM runner and the
 * views together and keeps the controls, the views and the address bar in step.
 * URL parameters: the state (lib/site/explorer-link: volume, method, stage, target, threshold)
 * plus ?backend=webgpu|webgl|wasm|cpu (default: the fastest measured), ?model=<folder under models/>,
 * ?autorun=0|1 (never / always start the live CAM when a volume opens; default: when quick).
 */
import { displayName } from '../../lib/data/labels';
import type { BackendName } from '../../lib/model/backend';
import { SHIPPED_MODEL } from '../../lib/model/shipped';
import { parseExplorerQuery } from '../../lib/site/explorer-link';
import { maskCentre, type Pos } from '../../lib/viz/orient';
import type { CamRequest, CurvesResult, PredictResult } from './runtime/protocol';
import { ModelRunner } from './runtime/model';
import { VolumeSource, type InputVolume } from './volumes';
import { CamRunner, camPasses, describeCam, type CamState } from './cam';
import { AtWork } from './at-work';
import { openIndex } from './open';
import { parseBaseline } from './baseline';
import { Views } from './views';
import { showCurveAnimation } from './curves-anim';
import { applyViewState, showReadout } from './view-controls';
import { parseViewState } from '../../lib/site/view-state';
import { CAM_METHOD_LIST, isCamMethod, type CamMethod } from '../../lib/cam/methods';
import type { PrecomputedCam } from './precomputed';
import { renderBackend, renderProbs } from './panels';
import { makeHook } from './test-hook';
import { applyState, camRequest, wireControls, writeUrl } from './controls';
import { Ui, msg, methodName, BACKEND_LABEL } from './ui';

const SIZE = 64;
/**
 * The live CAM starts by itself when a volume opens only if it should take less than this (the
 * estimate: this browser's measured time per forward input × the method's forward passes).
 */
const AUTORUN_MAX_MS = 3_000;
/** A changed method, stage or target recomputes by itself only if it should take less than this. */
const RERUN_MAX_MS = 3_000;

export class Explorer {
  readonly ui: Ui;
  readonly params = new URLSearchParams(location.search);
  /** The page's query, parsed once: the state to open and the model runtime's options. */
  private readonly query = parseExplorerQuery(this.params, 11, SIZE);
  readonly model: ModelRunner;
  readonly volumes: VolumeSource;
  readonly cams: CamRunner;
  readonly views: Views;
  backendChoice: BackendName | 'auto';
  vol: InputVolume | null = null;
  cam: CamState | null = null;
  probs: Float32Array | null = null;
  /** the current volume's out-of-distribution score (the worker's, with its prediction) */
  private ood: PredictResult['ood'] = null;
  predicted = -1;
  precomputed: PrecomputedCam[] = [];
  lastCurves: CurvesResult | null = null;
  pos: Pos = [32, 32, 32];
  /** Bumped by every volume opened: work for an older volume stops where it checks it. */
  private token = 0;
  newLoad(): number {
    return ++this.token;
  }
  isCurrent(token: number): boolean {
    return token === this.token;
  }

  constructor(root: HTMLElement) {
    this.ui = new Ui(root);
    const base = root.dataset.base ?? '/';
    this.backendChoice = this.query.runtime?.backend ?? 'auto';
    const modelName = this.query.runtime?.model ?? root.dataset.model ?? SHIPPED_MODEL;
    this.volumes = new VolumeSource(this.ui, base, SIZE, root.dataset.volumes);
    this.model = new ModelRunner(this.volumes.url(`models/${encodeURIComponent(modelName)}/`), SIZE, {
      progress: (l, f) => this.ui.progress(l, f),
      fellBack: () => renderBackend(this.ui, this.model, this.backendChoice, (b) => void this.switchBackend(b)),
    }, this.query.runtime);
    const figure = this.ui.maybe('[data-at-work]');
    this.cams = new CamRunner(this.ui, this.model, () => this.updateButtons(), figure ? new AtWork(figure) : null, parseBaseline(root.dataset.baseline));
    this.views = new Views(
      this.ui,
      SIZE,
      () => ({ vol: this.vol, cam: this.cam?.cam ?? null, pos: this.pos }),
      (p) => this.movePos(p),
      (p) => showReadout(this.ui, this.vol, this.cam?.cam ?? null, p ?? this.pos, !p),
      () => this.cameraMoved(),
    );
    const view = this.query.view ?? {};
    applyViewState(this.ui, view);
    this.views.initialCamera = view.camera ?? null;
    this.wantedSlice = view.slice ?? null;
  }

  async start(): Promise<void> {
    this.ui.root.dataset.js = '1';
    const s = this.query;
    applyState(this.ui, s);
    wireControls(this);
    this.ui.maybe('[data-compare]')?.addEventListener('change', () => {
      void this.updateCompare();
      writeUrl(this);
    });
    await openIndex(this, s.volume);
    const idle = (cb: () => void) => ('requestIdleCallback' in window ? window.requestIdleCallback(cb, { timeout: 800 }) : setTimeout(cb, 200));
    idle(() => void this.views.start3d());
    idle(() => void this.startModel());
  }

  setVolume(v: InputVolume, pre: PrecomputedCam[]): void {
    // blank / out-of-distribution input: said beside the prediction (lib/data/input-check.ts)
    const warn = this.ui.maybe('[data-input-warning]');
    if (warn) {
      warn.textContent = v.warnings.map((w) => w.message).join(' ');
      warn.hidden = v.warnings.length === 0;
      this.ui.root.dataset.inputIssues = v.warnings.map((w) => w.issue).join(' ');
    }
    this.vol = v;
    this.cam = null;
    this.probs = null;
    this.ood = null;
    this.predicted = -1;
    this.lastCurves = null;
    this.precomputed = pre;
    this.ui.maybe('[data-curve-plot]')?.replaceChildren();
    this.ui.text('[data-volume-info]', v.info);
    this.ui.q<HTMLInputElement>('[data-show-mask]').disabled = !v.mask;
    this.showProbs();
    this.views.setVolume(v);
    // a link's slice (the Results snapshots: through the CAM maximum) for the volume it names
    this.pos = (this.wantedSlice && (!this.params.get('volume') || v.entry?.id === this.params.get('volume')) ? this.wantedSlice : null) ?? maskCentre(v.mask, SIZE) ?? [32, 32, 32];
    this.wantedSlice = null;
    showReadout(this.ui, v, null, this.pos, true);
    this.dropForeignPrecomputed();
    if (!this.showPrecomputed()) this.redraw();
    writeUrl(this);
    this.updateButtons();
    this.fillCompare();
    void this.updateCompare();
  }

  // ------------------------------------------------------------------ side by side
  /** The comparison picker: the build's maps of this volume first, then any method at stages 4 and 3, live. */
  private fillCompare(): void {
    const sel = this.ui.maybe<HTMLSelectElement>('[data-compare]');
    if (!sel) return;
    const keep = sel.value || this.params.get('compare') || '';
    sel.replaceChildren(new Option('nothing', ''));
    const seen = new Set<string>();
    for (const p of this.precomputed) {
      const key = `${p.method}-s${p.stage}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sel.add(new Option(`${methodName(p.method)}, stage ${p.stage} (build)`, key));
    }
    for (const stage of [4, 3]) for (const m of CAM_METHOD_LIST) {
      const key = `${m.id}-s${stage}`;
      if (!seen.has(key)) sel.add(new Option(`${methodName(m.id)}, stage ${stage} (live)`, key));
    }
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
  }

  private compareToken = 0;
  /** Shows the picked second map beside the first: the build's at once, a live one when the model is free. */
  async updateCompare(): Promise<void> {
    const sel = this.ui.maybe<HTMLSelectElement>('[data-compare]');
    const key = sel?.value ?? '';
    const mine = ++this.compareToken;
    const m = /^(.+)-s([1-4])$/.exec(key);
    const vol = this.vol;
    if (!m || !vol || !isCamMethod(m[1])) return this.views.setCompare(null);
    const method = m[1] as CamMethod, stage = Number(m[2]) as 1 | 2 | 3 | 4;
    const left = this.cam ? describeCam(this.cam) : 'CT';
    const pre = this.precomputed.find((p) => p.method === method && p.stage === stage);
    if (pre) return this.views.setCompare(pre.cam, [left, `Precomputed ${methodName(method)}, stage ${stage}`]);
    this.ui.text('[data-cloud-note]', `Computing ${methodName(method)}, stage ${stage} for the right-hand view…`);
    await this.model.ready;
    while (this.cams.running) await new Promise((r) => setTimeout(r, 250));
    if (mine !== this.compareToken || vol !== this.vol) return;
    const target = this.cam?.target ?? (this.predicted >= 0 ? this.predicted : undefined);
    const r = await this.model.run((w) => w.run({ type: 'cam', volume: vol.ct, opts: { method, stage, target } })).catch(() => null);
    if (mine !== this.compareToken || vol !== this.vol) return;
    if (!r) return this.ui.text('[data-cloud-note]', `${methodName(method)} could not be computed for the comparison.`);
    this.views.setCompare(r.cam, [this.cam ? describeCam(this.cam) : 'CT', `Live ${methodName(method)}, stage ${stage} (${(r.timings.totalMs / 1000).toFixed(1)} s)`]);
    this.ui.root.dataset.compareReady = key;
  }

  /** Precomputed CAMs from other weights than the loaded model's are not this model's explanation. */
  private dropForeignPrecomputed(): void {
    const sha = this.model.init?.manifest.weights?.sha256;
    if (!sha || !this.precomputed.length || this.precomputed[0].weightsSha256 === sha) return;
    this.precomputed = [];
    this.ui.root.dataset.precomputedMismatch = '1';
    this.ui.text('[data-cam-status]', 'The precomputed CAMs come from other model weights than the loaded model; compute the CAM live.');
    if (this.cam?.source === 'precomputed') {
      this.cam = null;
      this.views.setCam(null);
      this.redraw();
    }
  }

  /** Shows the build's map for the controls' method and stage (or the closest); false if none. */
  private showPrecomputed(): boolean {
    const { method, stage } = this.request();
    const p = this.precomputed.find((c) => c.method === method && c.stage === stage) ?? this.precomputed.find((c) => c.method === method) ?? this.precomputed[0];
    if (!p) return false;
    this.setCam({ cam: p.cam, source: 'precomputed', method: p.method, stage: p.stage, target: p.target });
    return true;
  }

  async afterVolume(token: number): Promise<void> {
    await this.model.ready;
    if (token !== this.token || !this.vol) return;
    const ms = await this.predict();
    if (token !== this.token || ms === null) return;
    // the estimate with the whole worker pool: helpers join while the first prediction runs
    if (!this.poolMeasured) {
      const workers = (await this.model.worker?.poolReady()) ?? 1;
      if (token !== this.token || !this.vol) return;
      const vol = this.vol;
      const backend = this.model.init?.backend ?? 'wasm';
      const stored = loadSpeed(backend, workers);
      if (stored !== null) {
        // this browser's own measurement from an earlier visit (the last full run's time per input)
        this.perInputMs = stored;
        this.ui.root.dataset.calibrationMs = `stored ${stored.toFixed(1)}/input`;
      } else {
        // time the path a Score-CAM takes (masked batches across the pool): a warm-up run of 16 inputs
        // pays the pool's one-time costs, then 32 inputs (stage 2) give the time per input
        const calibrate = async (stage: 1 | 2) => {
          const r = await this.model.run((w) => w.run({ type: 'cam', volume: vol.ct, opts: { method: 'scorecam', stage } })).catch(() => null);
          return r && r.timings.forwardInputs > 0 ? { ms: r.timings.totalMs, n: r.timings.forwardInputs } : null;
        };
        await calibrate(1);
        const big = token === this.token ? await calibrate(2) : null;
        if (token !== this.token) return;
        if (big) this.perInputMs = big.ms / big.n;
        this.ui.root.dataset.calibrationMs = big ? `${big.ms.toFixed(0)}/${big.n}` : '';
      }
      this.speedKey = { backend, workers };
      this.poolMeasured = true;
    }
    const req = this.request();
    const estimate = this.estimate(req);
    this.ui.root.dataset.camEstimateMs = Number.isFinite(estimate) ? estimate.toFixed(0) : '';
    const auto = this.query.runtime?.autorun;
    if (auto !== false && (auto === true || estimate <= AUTORUN_MAX_MS)) {
      this.ui.root.dataset.autorun = auto === true ? 'forced' : 'estimate';
      await this.runCam(req);
    } else {
      this.markStale();
      // the build's map is on screen: say what a live run would cost here
      if (this.cam && !this.camStale() && Number.isFinite(estimate))
        this.ui.text('[data-cam-status]', `${describeCam(this.cam)} (build). Press Run for the live Score-CAM: about ${(estimate / 1000).toFixed(1)} s here.`);
    }
  }
  private poolMeasured = false;
  private wantedSlice: Pos | null = null;
  private urlTimer: ReturnType<typeof setTimeout> | null = null;
  /** The camera moved: the URL follows once the drag settles. */
  private cameraMoved(): void {
    if (this.urlTimer) clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => writeUrl(this), 300);
  }

  private forwardMs: number | null = null;
  /** where this browser's measured speed is kept (backend and pool size) */
  private speedKey: { backend: string; workers: number } | null = null;
  /** the worker pool's measured time per forward input (its last run, else its estimate) */
  private perInputMs: number | null = null;
  private estimate(req: CamRequest): number {
    return (this.perInputMs ?? Infinity) * camPasses(req.method, req.stage);
  }

  // ------------------------------------------------------------------ model
  private async startModel(order?: BackendName[]): Promise<void> {
    this.ui.text('[data-backend-badge]', 'Starting TensorFlow.js…');
    this.updateButtons();
    try {
      await this.model.start(this.backendChoice, order);
    } catch (e) {
      this.ui.progress(null);
      this.ui.text('[data-backend-badge]', 'Model not loaded');
      this.ui.showError(`The model could not be loaded: ${msg(e)}`, () => void this.startModel(order));
      return;
    }
    if (!this.model.init) return; // superseded by a newer start
    this.ui.clearError();
    const m = this.model.measurements.find((x) => x.backend === this.model.init!.backend);
    this.forwardMs = m?.forwardMs ?? null;
    renderBackend(this.ui, this.model, this.backendChoice, (b) => void this.switchBackend(b));
    this.dropForeignPrecomputed();
    this.ui.root.dataset.ready = '1';
    this.updateButtons();
  }

  async switchBackend(b: BackendName | 'auto'): Promise<void> {
    this.backendChoice = b;
    this.model.cancel();
    this.ui.root.dataset.ready = '0';
    await this.startModel();
    void this.afterVolume(this.token);
  }

  /** Classify the current volume; returns the forward time (ms) or null. */
  private async predict(): Promise<number | null> {
    const vol = this.vol;
    if (!vol) return null;
    try {
      const r = await this.model.run((w) => w.run({ type: 'predict', volume: vol.ct }));
      if (vol !== this.vol) return null;
      this.probs = r.probs;
      this.predicted = r.predicted;
      this.ood = r.ood;
      if (r.oodNote) this.ui.root.dataset.oodNote = r.oodNote;
      this.forwardMs ??= r.ms;
      this.perInputMs = r.perInputMs;
      this.showProbs();
      renderBackend(this.ui, this.model, this.backendChoice, (b) => void this.switchBackend(b));
      return r.ms;
    } catch (e) {
      this.ui.showError(`Prediction failed: ${msg(e)}`, () => void this.predict());
      return null;
    }
  }

  private showProbs(): void {
    renderProbs(this.ui, this.probs, this.predicted, this.vol?.entry?.label ?? -1, !!this.model.init, this.ood);
  }

  // ------------------------------------------------------------------ CAM
  private request(): CamRequest {
    return camRequest(this.ui);
  }

  async runCam(req = this.request()) {
    const vol = this.vol;
    if (!vol || !this.model.init) return null;
    const target = req.target ?? this.predicted;
    const r = await this.cams.run(vol.ct, req, { ct: vol.ct, size: SIZE, mask: vol.mask, view: 'axial', pos: [...this.pos], pFull: this.probs?.[target] });
    if (!r || vol !== this.vol) {
      if (!r && this.cam) this.markStale();
      return null;
    }
    this.probs = r.probs;
    this.predicted = r.predicted;
    // calibrate the next estimates on this run (methods with many passes only)
    const passes = camPasses(r.method, r.stage);
    if (passes >= 16) {
      this.perInputMs = r.timings.totalMs / passes;
      if (this.speedKey) saveSpeed(this.speedKey.backend, this.speedKey.workers, this.perInputMs);
    }
    this.showProbs();
    this.setCam({ cam: r.cam, source: 'live', method: r.method, stage: r.stage, target: r.target, ms: r.timings.totalMs, channels: r.channels, totalChannels: r.totalChannels });
    return r;
  }

  private setCam(c: CamState): void {
    this.cam = c;
    this.lastCurves = null;
    this.ui.maybe('[data-curve-plot]')?.replaceChildren();
    this.cams.showDone(c);
    this.ui.text('[data-cam-caption]', `${describeCam(c)}. Click the plot, then drag to rotate and scroll to zoom.`);
    this.ui.root.dataset.camSource = c.source;
    this.views.setCam(c.cam);
    if (!this.views.hover && this.vol) showReadout(this.ui, this.vol, c.cam, this.pos, true);
    if (this.ui.maybe<HTMLSelectElement>('[data-compare]')?.value) void this.updateCompare();
    this.markStale();
    this.redraw();
    this.updateButtons();
  }

  /** Does the view show what the controls ask for? If not, say so (the views get a mark). */
  camStale(): boolean {
    if (!this.cam) return false;
    const r = this.request();
    const target = r.target ?? (this.cam.source === 'live' ? this.predicted : this.cam.target);
    return this.cam.method !== r.method || this.cam.stage !== r.stage || this.cam.target !== target;
  }
  private markStale(): void {
    const stale = this.camStale() || (!this.cam && !!this.model.init);
    this.ui.root.toggleAttribute('data-cam-stale', stale);
    if (!stale || this.cams.running) return;
    const r = this.request();
    const est = this.estimate(r);
    const what = `${methodName(r.method)}, stage ${r.stage}${r.target !== undefined ? `, target ${displayName(r.target)}` : ''}`;
    this.ui.text(
      '[data-cam-status]',
      `${this.cam ? `Out of date: the views show the ${describeCam(this.cam).toLowerCase()}. ` : ''}Press Run for the live ${what}${Number.isFinite(est) ? ` (about ${est < 10_000 ? (est / 1000).toFixed(1) : Math.round(est / 1000)} s on ${BACKEND_LABEL[this.model.init!.backend]})` : ''}.`,
    );
  }

  /** Method, stage or target changed: quick CAMs recompute by themselves, slow ones mark the view. */
  camControlsChanged(): void {
    writeUrl(this);
    if (!this.camStale() && this.cam) return this.markStale();
    const req = this.request();
    const quick = camPasses(req.method, req.stage) <= 2 || req.stage <= 2 || this.estimate(req) <= RERUN_MAX_MS;
    if (this.cam?.source !== 'live' && this.showPrecomputed() && !this.camStale()) return;
    if (quick && this.model.init && this.vol && this.probs) void this.runCam(req);
    else this.markStale();
  }

  async runCurves(): Promise<void> {
    if (!this.vol || !this.cam) return;
    const vol = this.vol, cam = this.cam;
    this.lastCurves = await this.cams.curves(vol.ct, cam);
    // the masked volume beside its curve, scrubbable (curves-anim.ts)
    if (this.lastCurves && vol === this.vol && cam === this.cam)
      showCurveAnimation(this.ui.q('[data-curve-plot]'), { ct: vol.ct, cam: cam.cam, size: SIZE, baseline: this.cams.baseline, curves: this.lastCurves, view: 'axial', pos: [...this.pos] });
  }

  // ------------------------------------------------------------------ views
  redraw(): void {
    this.views.redraw();
  }
  movePos(p: Pos): void {
    this.pos = p;
    this.views.redraw();
    if (!this.views.hover) showReadout(this.ui, this.vol, this.cam?.cam ?? null, p, true);
    this.cameraMoved();
  }

  private updateButtons(): void {
    const ready = !!this.model.init && !!this.vol;
    const busy = this.cams.running;
    this.ui.q<HTMLButtonElement>('[data-run]').disabled = !ready || busy;
    this.ui.q<HTMLButtonElement>('[data-cancel]').disabled = !busy;
    const c = this.ui.maybe<HTMLButtonElement>('[data-curves]');
    if (c) c.disabled = !ready || !this.cam || busy;
  }
}

export function startExplorers(): void {
  document.querySelectorAll<HTMLElement>('[data-explorer]').forEach((root, i) => {
    const ex = new Explorer(root);
    if (i === 0) window.__explorer = makeHook(ex);
    void ex.start();
  });
}

/** This browser's measured time per forward input of a pooled CAM run, kept between visits (a week). */
const SPEED_KEY = 'scorecam-explorer-speed';
function loadSpeed(backend: string, workers: number): number | null {
  try {
    const v = JSON.parse(localStorage.getItem(SPEED_KEY) ?? 'null') as { backend: string; workers: number; perInputMs: number; at: number } | null;
    return v && v.backend === backend && v.workers === workers && Date.now() - v.at < 7 * 864e5 && v.perInputMs > 0 ? v.perInputMs : null;
  } catch {
    return null;
  }
}
function saveSpeed(backend: string, workers: number, perInputMs: number): void {
  try {
    localStorage.setItem(SPEED_KEY, JSON.stringify({ backend, workers, perInputMs, at: Date.now() }));
  } catch {
    /* private mode: measured again next visit */
  }
}
