/**
 * The explorer controller: loads the shipped volume index, the model (in a worker), runs the
 * prediction, Score-CAM and deletion/insertion curves, and keeps the views in sync.
 * URL parameters (for readers and tests): ?backend=webgpu|webgl|wasm|cpu, ?volume=test-0012,
 * ?model=<folder under models/>, ?autorun=0|1 (never / always start the live CAM when a volume opens; default: when quick), ?method=, ?stage=, ?target=.
 */
import { ORGAN_LABELS, displayName } from '../../lib/data/labels';
import { parseShippedIndex, parseShippedVolume, volumesByLabel, type ShippedIndex, type ShippedVolumeEntry } from '../../lib/data/shipped';
import { uint8ToUnit } from '../../lib/data/volume';
import type { BackendName } from '../../lib/model/backend';

/** Same order as lib/model/backend's BACKEND_ORDER (not imported: that module pulls in TensorFlow.js, which only the worker loads). */
const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
import { FASTER_TOP_N, type CamMethod } from '../../lib/cam/types';
import { pearson } from '../../lib/metrics/localization';
import { USER_MAX_FILE_BYTES } from '../../lib/data/user-volume';
import type { InputWarning } from '../../lib/data/input-check';
// files are parsed in a worker (upload-worker.ts): the page never blocks on a large or hostile file
import { parseUpload } from './upload-client';
import { ModelWorker, WorkerError } from './client';
import type { CamRequest, CamResultMsg, CurvesResult, InitResult, PredictResult } from './protocol';
import { AXES, clickToPos, drawSlice, type Axis } from './slices';
import { curvesSvg } from './curves';
import { View3d } from './view3d';
import { loadPrecomputed, type PrecomputedCam } from './precomputed';
import { SHIPPED_MODEL } from '../../lib/model/shipped';

const SIZE = 64;
const BACKEND_LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly (SIMD)', cpu: 'plain JavaScript (CPU)' };
const CURVE_STEPS = 32;
/** The live CAM starts by itself when a volume opens only if it should take less than this. */
const AUTORUN_MAX_MS = 40_000;

interface CamState {
  cam: Float32Array;
  source: 'precomputed' | 'live';
  method: CamMethod;
  stage: number;
  target: number;
  ms?: number;
  channels?: number;
}

function $(root: HTMLElement, sel: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(sel);
  if (!el) throw new Error(`explorer: missing ${sel}`);
  return el;
}

class Explorer {
  private base: string;
  private params = new URLSearchParams(location.search);
  private worker: ModelWorker | null = null;
  private init: InitResult | null = null;
  private index: ShippedIndex | null = null;
  private entry: ShippedVolumeEntry | null = null;
  private userName: string | null = null;
  private ct: Float32Array | null = null;
  private mask: Uint8Array | null = null;
  private probs: Float32Array | null = null;
  private predicted = -1;
  private cam: CamState | null = null;
  private precomputed: PrecomputedCam[] = [];
  private pos: [number, number, number] = [32, 32, 32];
  private view3d: View3d | null = null;
  private job: { cancel(): void } | null = null;
  private volumeToken = 0;
  private backendChoice: BackendName | 'auto';
  private fallbackNote = '';
  private modelReady: Promise<void>;
  private resolveReady!: () => void;
  readonly errors: string[] = [];
  lastCurves: CurvesResult | null = null;

  constructor(private root: HTMLElement) {
    this.base = root.dataset.base ?? '/';
    const b = this.params.get('backend');
    this.backendChoice = b && (BACKEND_ORDER as readonly string[]).includes(b) ? (b as BackendName) : 'auto';
    this.modelReady = new Promise((r) => (this.resolveReady = r));
  }

  private url(path: string): string {
    return this.base.replace(/\/$/, '') + '/' + path.replace(/^\//, '');
  }
  private q<T extends HTMLElement = HTMLElement>(sel: string): T {
    return $(this.root, sel) as T;
  }
  private maybe<T extends HTMLElement = HTMLElement>(sel: string): T | null {
    return this.root.querySelector<T>(sel);
  }

  // ------------------------------------------------------------------ start
  async start(): Promise<void> {
    this.wireControls();
    const backendSelect = this.q<HTMLSelectElement>('[data-backend-select]');
    backendSelect.value = this.backendChoice;
    // ?method=, ?stage=, ?target= preset the CAM controls (ignored when not one of the options)
    for (const [param, sel] of [['method', '[data-method]'], ['stage', '[data-stage]'], ['target', '[data-target]']] as const) {
      const v = this.params.get(param);
      const el = this.q<HTMLSelectElement>(sel);
      if (v && [...el.options].some((o) => o.value === v)) el.value = v;
    }
    await this.loadIndex();
    // heavy code after the page is interactive
    const idle = (cb: () => void) => ('requestIdleCallback' in window ? (window as Window).requestIdleCallback(cb, { timeout: 800 }) : setTimeout(cb, 200));
    idle(() => void this.start3d());
    idle(() => void this.startModel());
  }

  private showError(text: string, retry: (() => void) | null): void {
    const box = this.q('[data-error]');
    this.q('[data-error-text]').textContent = text;
    const btn = this.q<HTMLButtonElement>('[data-retry]');
    btn.hidden = !retry;
    btn.onclick = retry
      ? () => {
          box.hidden = true;
          retry();
        }
      : null;
    box.hidden = false;
  }
  private clearError(): void {
    this.q('[data-error]').hidden = true;
  }

  private progress(label: string | null, frac = 0): void {
    const box = this.q('[data-model-progress]');
    if (label === null) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    this.q('[data-model-progress-label]').textContent = label;
    const p = box.querySelector('progress')!;
    if (frac < 0) p.removeAttribute('value');
    else p.value = frac;
  }

  // ------------------------------------------------------------------ volumes
  private async fetchBytes(path: string): Promise<Uint8Array> {
    const res = await fetch(this.url(path));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  private async loadIndex(): Promise<void> {
    this.progress('Loading the list of test volumes…', -1);
    try {
      const bytes = await this.fetchBytes('volumes/index.json');
      this.index = parseShippedIndex(JSON.parse(new TextDecoder().decode(bytes)), 'volumes/index.json');
    } catch (e) {
      this.progress(null);
      this.showError(`Could not load the test volumes (${msg(e)}).`, () => void this.loadIndex().then(() => this.startModelIfIdle()));
      return;
    }
    const organ = this.q<HTMLSelectElement>('[data-organ]');
    const byLabel = volumesByLabel(this.index);
    organ.innerHTML = '';
    for (const [label] of [...byLabel].sort((a, b) => a[0] - b[0])) organ.add(new Option(displayName(label), String(label)));
    organ.disabled = false;
    const want = this.params.get('volume');
    const first = this.index.volumes.find((v) => v.id === want) ?? this.index.volumes[0];
    organ.value = String(first.label);
    this.fillVolumes(first.id);
    await this.selectVolume(first);
  }

  private fillVolumes(selected?: string): void {
    if (!this.index) return;
    const label = Number(this.q<HTMLSelectElement>('[data-organ]').value);
    const sel = this.q<HTMLSelectElement>('[data-volume]');
    sel.innerHTML = '';
    for (const v of volumesByLabel(this.index).get(label) ?? []) sel.add(new Option(`${v.id} (${v.displayName})`, v.id));
    sel.disabled = false;
    if (selected) sel.value = selected;
  }

  private async selectVolume(entry: ShippedVolumeEntry): Promise<void> {
    const token = ++this.volumeToken;
    this.cancelJob();
    this.progress(`Loading volume ${entry.id}…`, -1);
    let vol;
    try {
      vol = parseShippedVolume(await this.fetchBytes(`volumes/${entry.file}`), entry, this.index!.dataset.size);
    } catch (e) {
      this.progress(null);
      this.showError(`Could not load volume ${entry.id} (${msg(e)}).`, () => void this.selectVolume(entry));
      return;
    }
    if (token !== this.volumeToken) return;
    this.clearError();
    this.progress(null);
    this.entry = entry;
    this.userName = null;
    this.setVolume(uint8ToUnit(vol.image), vol.mask);
    this.q('[data-volume-info]').textContent = `Test volume ${entry.index} of the ${this.index!.dataset.name} dataset; true organ: ${entry.displayName}.`;
    this.precomputed = [];
    try {
      if (this.root.dataset.precomputed === '1') this.precomputed = await loadPrecomputed(this.url(''), entry.index, this.index!.dataset.size);
    } catch {
      this.precomputed = [];
    }
    if (token !== this.volumeToken) return;
    this.dropForeignPrecomputed();
    this.showPrecomputed();
    void this.afterVolume(token);
  }

  /** A new input volume (shipped or the reader's own). */
  private setVolume(ct: Float32Array, mask: Uint8Array | null, warnings: InputWarning[] = []): void {
    // blank / out-of-distribution input: said beside the prediction (lib/data/input-check.ts)
    const warn = this.maybe('[data-input-warning]');
    if (warn) {
      warn.textContent = warnings.map((w) => w.message).join(' ');
      warn.hidden = warnings.length === 0;
      this.root.dataset.inputIssues = warnings.map((w) => w.issue).join(' ');
    }
    this.ct = ct;
    this.mask = mask;
    this.cam = null;
    this.probs = null;
    this.predicted = -1;
    this.lastCurves = null;
    const cp = this.maybe('[data-curve-plot]');
    if (cp) cp.innerHTML = '';
    const showMask = this.q<HTMLInputElement>('[data-show-mask]');
    showMask.disabled = !mask;
    this.renderProbs();
    this.view3d?.setVolume(ct, mask, SIZE);
    this.view3d?.setCam(null, SIZE);
    this.pos = centreOf(mask) ?? [32, 32, 32];
    this.syncSliders();
    this.drawSlices();
    void this.draw3d();
    this.updateButtons();
  }

  /** Precomputed CAMs from other weights than the loaded model's are not this model's explanation. */
  private dropForeignPrecomputed(): void {
    const sha = this.init?.manifest.weights?.sha256;
    if (!sha || !this.precomputed.length || this.precomputed[0].weightsSha256 === sha) return;
    this.precomputed = [];
    this.q('[data-cam-status]').textContent = 'The precomputed CAMs come from other model weights than the loaded model; compute the CAM live.';
    if (this.cam?.source === 'precomputed') {
      this.cam = null;
      this.view3d?.setCam(null, SIZE);
      this.drawSlices();
      void this.draw3d();
      this.q('[data-cam-caption]').textContent = 'Drag to rotate, scroll to zoom.';
      delete this.root.dataset.camSource;
    }
    this.root.dataset.precomputedMismatch = '1';
  }

  private showPrecomputed(): void {
    const method = this.q<HTMLSelectElement>('[data-method]').value as CamMethod;
    const stage = Number(this.q<HTMLSelectElement>('[data-stage]').value);
    const p = this.precomputed.find((c) => c.method === method && c.stage === stage) ?? this.precomputed.find((c) => c.method === method) ?? this.precomputed[0];
    if (!p) {
      this.q('[data-cam-status]').textContent = 'No precomputed CAM for this volume; run it live.';
      return;
    }
    this.setCam({ cam: p.cam, source: 'precomputed', method: p.method, stage: p.stage, target: p.target });
  }

  private async afterVolume(token: number): Promise<void> {
    await this.modelReady;
    if (token !== this.volumeToken || !this.ct) return;
    const perInputMs = await this.predict();
    if (token !== this.volumeToken) return;
    if (this.params.get('autorun') === '0') return;
    // run the live CAM by itself only where it is quick; on a slow device (software GPU, CPU)
    // the precomputed map stays and the reader decides. The time per input is the worker pool's
    // measured speed on this backend (client.ts, worker.ts).
    const req = this.camRequest();
    const passes = req.method === 'scorecam' ? 128 : req.method === 'faster-scorecam' ? FASTER_TOP_N : 2;
    const estimate = (perInputMs ?? Infinity) * passes;
    if (estimate <= AUTORUN_MAX_MS || this.params.get('autorun') === '1') await this.runCam(req);
    else {
      this.q('[data-cam-status]').textContent =
        `${this.cam ? 'Showing the precomputed map. ' : ''}A live ${methodName(req.method)} would take about ${Math.round(estimate / 1000)} s on ${BACKEND_LABEL[this.init!.backend]} here: press Run to start it, or pick Faster Score-CAM or Grad-CAM.`;
    }
  }

  // ------------------------------------------------------------------ model
  private started = false;
  private startModelIfIdle(): void {
    if (!this.started) void this.startModel();
  }

  private order(): BackendName[] {
    if (this.backendChoice === 'auto') return [...BACKEND_ORDER];
    const i = BACKEND_ORDER.indexOf(this.backendChoice);
    return BACKEND_ORDER.slice(i);
  }

  private gen = 0;
  private async startModel(order = this.order()): Promise<void> {
    const gen = ++this.gen;
    this.started = true;
    this.worker?.terminate();
    this.init = null;
    this.updateButtons();
    this.q('[data-backend-badge]').textContent = 'Starting TensorFlow.js…';
    this.progress('Starting TensorFlow.js…', -1);
    const modelName = this.params.get('model') ?? this.root.dataset.model ?? SHIPPED_MODEL;
    const modelUrl = this.url(`models/${encodeURIComponent(modelName)}/`);
    this.worker = new ModelWorker();
    const job = this.worker.run({ type: 'init', order, modelUrl }, (m) => {
      if (m.phase === 'model') this.progress(`Downloading ${m.label ?? 'the model'}: ${kb(m.done)}${m.total ? ` of ${kb(m.total)}` : ''}`, m.total ? m.done / m.total : -1);
    });
    let init: InitResult;
    try {
      init = await job.promise;
    } catch (e) {
      if (gen !== this.gen) return; // superseded by a newer start (backend switch)
      this.progress(null);
      this.q('[data-backend-badge]').textContent = 'Model not loaded';
      this.showError(`The model could not be loaded: ${msg(e)}`, () => void this.startModel(order));
      return;
    }
    if (gen !== this.gen) return;
    this.init = init;
    this.dropForeignPrecomputed();
    this.progress(null);
    this.clearError();
    const failed = this.init.attempts.filter((a) => !a.ok);
    const bs = this.q<HTMLSelectElement>('[data-backend-select]');
    bs.disabled = false;
    this.q('[data-backend-badge]').textContent = `Running on ${BACKEND_LABEL[this.init.backend]}`;
    this.root.dataset.backend = this.init.backend;
    const notes: string[] = [];
    if (this.fallbackNote) notes.push(this.fallbackNote);
    if (failed.length) notes.push(`Fell back: ${failed.map((a) => `${BACKEND_LABEL[a.backend]} unavailable (${a.error})`).join('; ')}.`);
    notes.push(`Model ${this.init.manifest.name} loaded in ${(this.init.loadMs / 1000).toFixed(1)} s.`);
    this.q('[data-backend-note]').textContent = notes.join(' ');
    this.fallbackNote = '';
    this.resolveReady();
    this.updateButtons();
    this.root.dataset.ready = '1';
  }

  /** Run a worker job; a backend failure mid-run falls back to the next backend and retries once. */
  private async runJob<T>(make: () => { promise: Promise<T>; cancel(): void }): Promise<T> {
    const job = make();
    this.job = job;
    try {
      return await job.promise;
    } catch (e) {
      if (e instanceof WorkerError && e.kind === 'backend' && this.init) {
        const cur = this.init.backend;
        const rest = BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(cur) + 1);
        if (rest.length === 0) throw e;
        this.fallbackNote = `${BACKEND_LABEL[cur]} failed mid-run (${e.message}); switched to the next backend.`;
        this.modelReady = new Promise((r) => (this.resolveReady = r));
        await this.startModel(rest);
        if (!this.init) throw e;
        const again = make();
        this.job = again;
        return await again.promise;
      }
      throw e;
    } finally {
      this.job = null;
    }
  }

  /** Classify the current volume; returns the expected ms per Score-CAM input on the current pool, or null. */
  private async predict(): Promise<number | null> {
    if (!this.worker || !this.ct) return null;
    try {
      const r = await this.runJob(() => this.worker!.run({ type: 'predict', volume: this.ct! }));
      this.probs = r.probs;
      this.predicted = r.predicted;
      this.renderProbs();
      return r.perInputMs;
    } catch (e) {
      if (!isAbort(e)) this.showError(`Prediction failed: ${msg(e)}`, () => void this.predict());
      return null;
    }
  }

  private renderProbs(): void {
    const list = this.q('[data-probs]');
    const truth = this.entry && !this.userName ? this.entry.label : -1;
    list.querySelectorAll<HTMLElement>('li').forEach((li) => {
      const k = Number(li.dataset.class);
      const p = this.probs ? this.probs[k] : 0;
      (li.querySelector('.ex-prob-bar span') as HTMLElement).style.width = `${(p * 100).toFixed(1)}%`;
      li.querySelector('.ex-prob-val')!.textContent = this.probs ? `${(p * 100).toFixed(1)}%` : '–';
      li.classList.toggle('predicted', k === this.predicted);
      li.classList.toggle('truth', k === truth);
    });
    const out = this.q('[data-prediction]');
    if (!this.probs) out.textContent = this.init ? 'Classifying…' : 'The prediction appears once the model has loaded.';
    else {
      const ok = truth >= 0 ? (this.predicted === truth ? ' (correct)' : ` (true organ: ${displayName(truth)})`) : '';
      out.innerHTML = `Predicted: <strong>${displayName(this.predicted)}</strong>, ${(this.probs[this.predicted] * 100).toFixed(1)}%${ok}`;
    }
    this.root.dataset.predicted = String(this.predicted);
  }

  // ------------------------------------------------------------------ CAM
  private camRequest(): CamRequest {
    const t = this.q<HTMLSelectElement>('[data-target]').value;
    return {
      method: this.q<HTMLSelectElement>('[data-method]').value as CamMethod,
      stage: Number(this.q<HTMLSelectElement>('[data-stage]').value) as 1 | 2 | 3 | 4,
      target: t === 'auto' ? undefined : Number(t),
    };
  }

  async runCam(req = this.camRequest()): Promise<CamResultMsg | null> {
    if (!this.worker || !this.ct || !this.init) return null;
    this.cancelJob();
    const status = this.q('[data-cam-status]');
    const bar = this.q<HTMLProgressElement>('[data-cam-progress]');
    bar.value = 0;
    const t0 = performance.now();
    let timer = 0;
    const tick = (done?: number, total?: number) => {
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      status.textContent = `Computing live ${methodName(req.method)} (stage ${req.stage})${done !== undefined ? `: ${done} of ${total} channels` : '…'} ${s} s`;
    };
    this.root.dataset.camState = 'running';
    this.running = true;
    this.updateButtons();
    timer = window.setInterval(() => tick(lastDone, lastTotal), 250);
    let lastDone: number | undefined, lastTotal: number | undefined;
    try {
      const r = await this.runJob(() =>
        this.worker!.run({ type: 'cam', volume: this.ct!, opts: req, simulateFailure: this.takeSimulatedFailure() }, (m) => {
          if (m.phase !== 'cam') return;
          lastDone = m.done;
          lastTotal = m.total;
          bar.value = m.total ? m.done / m.total : 0;
          tick(m.done, m.total);
        }),
      );
      bar.value = 1;
      this.probs = r.probs;
      this.predicted = r.predicted;
      this.renderProbs();
      this.setCam({ cam: r.cam, source: 'live', method: r.method, stage: r.stage, target: r.target, ms: r.timings.totalMs, channels: r.channels });
      this.root.dataset.camState = 'done';
      return r;
    } catch (e) {
      if (isAbort(e)) {
        status.textContent = `Cancelled after ${((performance.now() - t0) / 1000).toFixed(1)} s.${this.cam ? ` Showing the ${this.cam.source} CAM.` : ''}`;
        this.root.dataset.camState = 'cancelled';
      } else {
        this.root.dataset.camState = 'error';
        this.showError(`Score-CAM failed: ${msg(e)}`, () => void this.runCam(req));
      }
      return null;
    } finally {
      clearInterval(timer);
      this.running = false;
      this.updateButtons();
    }
  }
  private running = false;
  private simulateFailure = false;
  private takeSimulatedFailure(): boolean {
    const f = this.simulateFailure;
    this.simulateFailure = false;
    return f;
  }

  private cancelJob(): void {
    this.job?.cancel();
  }

  private setCam(c: CamState): void {
    this.cam = c;
    this.lastCurves = null;
    const cp = this.maybe('[data-curve-plot]');
    if (cp) cp.innerHTML = '';
    const what = `${c.source === 'live' ? 'Live' : 'Precomputed'} ${methodName(c.method)}, stage ${c.stage}, target ${displayName(c.target)}`;
    this.q('[data-cam-status]').textContent =
      c.source === 'live'
        ? `${what}: ${c.channels} channels in ${((c.ms ?? 0) / 1000).toFixed(2)} s on ${BACKEND_LABEL[this.init!.backend]}.`
        : `${what} (from the build). The live one runs on request or when a volume opens.`;
    this.q('[data-cam-caption]').textContent = `${what}. Drag to rotate, scroll to zoom.`;
    this.root.dataset.camSource = c.source;
    this.view3d?.setCam(c.cam, SIZE);
    this.drawSlices();
    void this.draw3d();
    this.updateButtons();
  }

  private async runCurves(): Promise<void> {
    if (!this.worker || !this.ct || !this.cam) return;
    const bar = this.q<HTMLProgressElement>('[data-curves-progress]');
    const plot = this.q('[data-curve-plot]');
    plot.textContent = 'Computing…';
    this.running = true;
    this.updateButtons();
    const cam = this.cam;
    try {
      const r = await this.runJob(() =>
        this.worker!.run({ type: 'curves', volume: this.ct!, saliency: cam.cam, target: cam.target, steps: CURVE_STEPS }, (m) => {
          if (m.phase === 'curves') bar.value = m.total ? m.done / m.total : 0;
        }),
      );
      this.lastCurves = r;
      plot.innerHTML = curvesSvg(r.deletion, r.insertion, displayName(cam.target)) +
        `<p class="ex-small">Deletion AUC <strong>${r.deletion.auc.toFixed(3)}</strong> (lower is better), insertion AUC <strong>${r.insertion.auc.toFixed(3)}</strong> (higher is better); ${r.steps} steps in ${(r.ms / 1000).toFixed(1)} s, for the ${cam.source} ${methodName(cam.method)} map.</p>`;
    } catch (e) {
      plot.textContent = isAbort(e) ? 'Cancelled.' : '';
      if (!isAbort(e)) this.showError(`The curves failed: ${msg(e)}`, () => void this.runCurves());
    } finally {
      this.running = false;
      this.updateButtons();
    }
  }

  // ------------------------------------------------------------------ user volume
  async openFile(file: File): Promise<void> {
    const out = this.maybe('[data-upload-msg]');
    const say = (t: string, err = false) => {
      if (out) {
        out.textContent = t;
        out.classList.toggle('error', err);
      }
    };
    say(`Reading ${file.name} (${kb(file.size)}) in your browser…`);
    try {
      if (file.size > USER_MAX_FILE_BYTES) throw new Error(`${file.name}: too large: ${kb(file.size)} (limit ${kb(USER_MAX_FILE_BYTES)})`);
      const p = await parseUpload(file, SIZE, (read, total) => say(`Reading ${file.name} in your browser: ${kb(read)} of ${kb(total)}…`));
      // parsing ends here; drawing the new volume starts in a task of its own (the browser test times them apart)
      performance.mark('upload-parsed');
      await new Promise((r) => setTimeout(r, 0));
      ++this.volumeToken;
      this.cancelJob();
      this.entry = null;
      this.userName = file.name;
      this.precomputed = [];
      delete this.root.dataset.uploadError;
      this.setVolume(p.volume, null, p.warnings);
      this.q('[data-volume-info]').textContent = `Your file ${file.name}: ${p.description} No ground-truth mask.`;
      say(`Opened ${file.name}: ${p.description}`);
      this.q('[data-cam-status]').textContent = 'Your volume: no precomputed CAM.';
      this.root.dataset.source = 'user';
      await this.afterVolume(this.volumeToken);
    } catch (e) {
      if (isAbort(e)) return; // a newer upload replaced this one
      const text = msg(e).replace(new RegExp('^' + file.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ':\\s*'), '').replace(/\.?$/, '.');
      say(`Could not open ${file.name}: ${text} The explorer keeps the current volume.`, true);
      this.root.dataset.uploadError = '1';
    }
  }

  // ------------------------------------------------------------------ views
  private async start3d(): Promise<void> {
    const el = this.q('[data-plot]');
    try {
      const v = new View3d(el);
      await v.init();
      this.maybe('[data-plot-placeholder]')?.remove();
      this.view3d = v;
      // the plot follows the site's light / dark theme
      new MutationObserver(() => void this.draw3d()).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      if (this.ct) v.setVolume(this.ct, this.mask, SIZE);
      if (this.cam) v.setCam(this.cam.cam, SIZE);
      await this.draw3d();
    } catch (e) {
      el.textContent = `The 3D view could not start (${msg(e)}); the slices below still work.`;
    }
  }

  private drawing = false;
  private drawAgain = false;
  private async draw3d(): Promise<void> {
    if (!this.view3d || !this.ct) return;
    if (this.drawing) {
      this.drawAgain = true;
      return;
    }
    this.drawing = true;
    try {
      do {
        this.drawAgain = false;
        await this.view3d.draw({ ...this.viewOpts(), size: SIZE, ct: this.ct, cam: this.cam?.cam ?? null, mask: this.mask, pos: this.pos });
        this.root.dataset.draw3dMs = String(Math.round(this.view3d.lastDrawMs));
      } while (this.drawAgain);
    } finally {
      this.drawing = false;
    }
  }

  private viewOpts() {
    return {
      threshold: Number(this.q<HTMLInputElement>('[data-threshold]').value),
      opacity: Number(this.q<HTMLInputElement>('[data-opacity]').value),
      showCt: this.q<HTMLInputElement>('[data-show-ct]').checked,
      showCam: this.q<HTMLInputElement>('[data-show-cam]').checked,
      showMask: this.q<HTMLInputElement>('[data-show-mask]').checked && !!this.mask,
    };
  }

  private drawSlices(): void {
    if (!this.ct) return;
    const o = this.viewOpts();
    for (const axis of AXES) {
      drawSlice(this.q<HTMLCanvasElement>(`[data-slice="${axis}"]`), axis, this.pos, {
        size: SIZE, ct: this.ct, cam: this.cam?.cam ?? null, mask: this.mask, threshold: o.threshold, opacity: o.opacity, showCam: o.showCam, showMask: o.showMask,
      });
    }
  }

  private syncSliders(): void {
    const [z, y, x] = this.pos;
    const vals: Record<Axis, number> = { axial: z, coronal: y, sagittal: x };
    for (const axis of AXES) {
      this.q<HTMLInputElement>(`[data-slice-range="${axis}"]`).value = String(vals[axis]);
      this.q(`[data-slice-out="${axis}"]`).textContent = String(vals[axis]);
    }
  }

  private planesTimer = 0;
  private movePos(p: [number, number, number]): void {
    this.pos = p;
    this.syncSliders();
    this.drawSlices();
    clearTimeout(this.planesTimer);
    this.planesTimer = window.setTimeout(() => void this.draw3d(), 150);
  }

  private updateButtons(): void {
    const ready = !!this.init && !!this.ct;
    this.q<HTMLButtonElement>('[data-run]').disabled = !ready || this.running;
    this.q<HTMLButtonElement>('[data-cancel]').disabled = !this.running;
    const c = this.maybe<HTMLButtonElement>('[data-curves]');
    if (c) c.disabled = !ready || !this.cam || this.running;
    const u = this.maybe<HTMLInputElement>('[data-upload]');
    if (u) u.disabled = false;
  }

  private wireControls(): void {
    const organ = this.q<HTMLSelectElement>('[data-organ]');
    const vol = this.q<HTMLSelectElement>('[data-volume]');
    organ.addEventListener('change', () => {
      this.fillVolumes();
      const e = this.index?.volumes.find((v) => v.id === vol.value);
      if (e) void this.selectVolume(e);
    });
    vol.addEventListener('change', () => {
      const e = this.index?.volumes.find((v) => v.id === vol.value);
      if (e) void this.selectVolume(e);
    });
    this.q('[data-run]').addEventListener('click', () => void this.runCam());
    this.q('[data-cancel]').addEventListener('click', () => this.cancelJob());
    this.maybe('[data-curves]')?.addEventListener('click', () => void this.runCurves());
    this.q<HTMLSelectElement>('[data-backend-select]').addEventListener('change', (ev) => {
      this.backendChoice = (ev.target as HTMLSelectElement).value as BackendName | 'auto';
      this.modelReady = new Promise((r) => (this.resolveReady = r));
      void this.startModel().then(() => this.afterVolume(this.volumeToken));
    });
    this.q<HTMLSelectElement>('[data-method]').addEventListener('change', () => {
      if (this.cam?.source !== 'live') this.showPrecomputed();
    });
    const redraw = () => {
      this.q('[data-threshold-out]').textContent = Number(this.q<HTMLInputElement>('[data-threshold]').value).toFixed(2);
      this.q('[data-opacity-out]').textContent = Number(this.q<HTMLInputElement>('[data-opacity]').value).toFixed(2);
      this.drawSlices();
      void this.draw3d();
    };
    this.q<HTMLSelectElement>('[data-stage]').addEventListener('change', () => {
      if (this.cam?.source !== 'live') this.showPrecomputed();
    });
    for (const s of ['[data-threshold]', '[data-opacity]']) this.q(s).addEventListener('change', redraw);
    for (const s of ['[data-threshold]', '[data-opacity]']) this.q(s).addEventListener('input', () => {
      this.q('[data-threshold-out]').textContent = Number(this.q<HTMLInputElement>('[data-threshold]').value).toFixed(2);
      this.q('[data-opacity-out]').textContent = Number(this.q<HTMLInputElement>('[data-opacity]').value).toFixed(2);
      this.drawSlices();
    });
    for (const s of ['[data-show-ct]', '[data-show-cam]', '[data-show-mask]']) this.q(s).addEventListener('change', redraw);
    for (const axis of AXES) {
      const range = this.q<HTMLInputElement>(`[data-slice-range="${axis}"]`);
      range.addEventListener('input', () => {
        const p: [number, number, number] = [...this.pos];
        p[AXES.indexOf(axis)] = Number(range.value);
        this.movePos(p);
      });
      const canvas = this.q<HTMLCanvasElement>(`[data-slice="${axis}"]`);
      canvas.addEventListener('click', (ev) => {
        const r = canvas.getBoundingClientRect();
        this.movePos(clickToPos(axis, this.pos, (ev.clientX - r.left) / r.width, (ev.clientY - r.top) / r.height, SIZE));
      });
    }
    const input = this.maybe<HTMLInputElement>('[data-upload]');
    if (input) {
      input.disabled = false;
      input.addEventListener('change', () => {
        const f = input.files?.[0];
        if (f) void this.openFile(f);
      });
      const zone = this.q('[data-dropzone]');
      zone.addEventListener('dragover', (e) => {
        e.preventDefault();
        zone.classList.add('dragover');
      });
      zone.addEventListener('dragleave', () => zone.classList.remove('dragover'));
      zone.addEventListener('drop', (e) => {
        e.preventDefault();
        zone.classList.remove('dragover');
        const f = e.dataTransfer?.files?.[0];
        if (f) void this.openFile(f);
      });
    }
  }

  // ------------------------------------------------------------------ test / bench hook
  hook() {
    return {
      ready: () => this.modelReady.then(() => ({ backend: this.init!.backend, attempts: this.init!.attempts })),
      state: () => ({
        backend: this.init?.backend ?? null,
        volume: this.entry?.id ?? this.userName,
        predicted: this.predicted,
        probs: this.probs ? Array.from(this.probs) : null,
        cam: this.cam ? { source: this.cam.source, method: this.cam.method, stage: this.cam.stage, target: this.cam.target, ms: this.cam.ms ?? null } : null,
        precomputed: this.precomputed.map((p) => ({ method: p.method, stage: p.stage, target: p.target })),
        precomputedMismatch: this.root.dataset.precomputedMismatch === '1',
        curves: this.lastCurves ? { deletion: this.lastCurves.deletion.auc, insertion: this.lastCurves.insertion.auc } : null,
        draw3dMs: this.view3d?.lastDrawMs ?? null,
      }),
      runCam: async (req: CamRequest) => {
        const r = await this.runCam(req);
        return r ? { target: r.target, predicted: r.predicted, channels: r.channels, timings: r.timings, workers: r.workers } : null;
      },
      /** Pearson r between the current CAM and another (a precomputed one for the given method, or the previous live CAM). */
      camCorrelation: (method: CamMethod = 'scorecam', stage = 4) => {
        const p = this.precomputed.find((c) => c.method === method && c.stage === stage);
        if (!p || !this.cam) return null;
        return pearson(this.cam.cam, p.cam);
      },
      camSnapshot: () => (this.cam ? Array.from(this.cam.cam.filter((_, i) => i % 7 === 0)) : null),
      /** Switch backend (exact, no fallback) and time forward + CAM. */
      benchmark: async (o: { backend: BackendName; method?: CamMethod; stage?: 1 | 2 | 3 | 4; repeats?: number; curves?: boolean }) => {
        await this.modelReady;
        if (this.init?.backend !== o.backend) {
          this.backendChoice = o.backend;
          this.modelReady = new Promise((r) => (this.resolveReady = r));
          await this.startModel([o.backend]);
        }
        if (!this.init || this.init.backend !== o.backend) throw new Error(`backend ${o.backend} did not start`);
        await this.worker!.poolReady();
        const fwd: number[] = [];
        await this.runJob(() => this.worker!.run({ type: 'predict', volume: this.ct!, rerun: true })); // warm-up
        for (let i = 0; i < (o.repeats ?? 3); i++) fwd.push((await this.runJob(() => this.worker!.run({ type: 'predict', volume: this.ct!, rerun: true }))).ms);
        const r = await this.runCam({ method: o.method ?? 'scorecam', stage: o.stage ?? 4 });
        if (!r) throw new Error('CAM failed');
        if (o.curves) await this.runCurves();
        return {
          backend: o.backend,
          forwardMs: Math.min(...fwd),
          camMs: r.timings.totalMs,
          camForwardMs: r.timings.forwardMs,
          forwardInputs: r.timings.forwardInputs,
          channels: r.channels,
          workers: r.workers,
          fused: this.init.fused,
          curvesMs: o.curves ? (this.lastCurves?.ms ?? null) : null,
        };
      },
      openFile: (f: File) => this.openFile(f),
      /** The next CAM job fails in the worker as a lost GPU device would (tests the fallback). */
      simulateBackendFailure: () => {
        this.simulateFailure = true;
      },
    };
  }
}

function centreOf(mask: Uint8Array | null): [number, number, number] | null {
  if (!mask) return null;
  let n = 0, sz = 0, sy = 0, sx = 0;
  for (let z = 0; z < SIZE; z++) for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
    if (mask[(z * SIZE + y) * SIZE + x]) { n++; sz += z; sy += y; sx += x; }
  }
  return n ? [Math.round(sz / n), Math.round(sy / n), Math.round(sx / n)] : null;
}
function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
function kb(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
}
function methodName(m: CamMethod): string {
  return m === 'scorecam' ? 'Score-CAM' : m === 'faster-scorecam' ? 'Faster Score-CAM' : 'Grad-CAM';
}

export function startExplorers(): void {
  const roots = document.querySelectorAll<HTMLElement>('[data-explorer]');
  roots.forEach((root, i) => {
    const ex = new Explorer(root);
    if (i === 0) (window as unknown as { __explorer: unknown }).__explorer = ex.hook();
    void ex.start();
  });
}
void ORGAN_LABELS;
