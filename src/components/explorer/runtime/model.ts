/**
 * The model side of the explorer, and the one entrance to its runtime (runtime/): the worker, the
 * backend it runs on and how that was chosen. The page constructs a ModelRunner with the options
 * of its parsed query (workers, threads, fused); nothing in runtime/ reads the address bar.
 * 'auto' times a warm forward pass (after shader compilation) on each GPU backend that is not a
 * software renderer and on WebAssembly, and keeps the fastest; an explicit choice tries that
 * backend first and falls back in BACKEND_ORDER. A backend that fails mid-run falls back too.
 */
import type { BackendName } from '../../../lib/model/backend';
import { ModelWorker, WorkerError, type RuntimeOptions } from './client';
import type { InitResult } from './protocol';
import { probeRenderers } from './backend-probe';
import { BACKEND_LABEL, msg } from '../ui';
import { formatBytes } from '../../../lib/data/npy';

/** Same order as lib/model/backend's BACKEND_ORDER (not imported: that module pulls in TensorFlow.js, which only the worker loads). */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendMeasurement {
  backend: BackendName;
  /** warm forward pass, ms (absent when the backend was skipped or failed) */
  forwardMs?: number;
  /** why it was not measured (software renderer, unavailable, failed) */
  skipped?: string;
}

export interface ModelEvents {
  progress(label: string | null, frac?: number): void;
  /** the backend changed by itself (a failure mid-run) */
  fellBack(): void;
}

interface Job<T> {
  promise: Promise<T>;
  cancel(): void;
}

export class ModelRunner {
  worker: ModelWorker | null = null;
  init: InitResult | null = null;
  measurements: BackendMeasurement[] = [];
  /** why the backend changed by itself (a failure mid-run), shown once */
  fallbackNote = '';
  ready: Promise<void>;
  private resolveReady!: () => void;
  private job: Job<unknown> | null = null;
  private gen = 0;

  constructor(
    private modelUrl: string,
    private size: number,
    private events: ModelEvents,
    private options: RuntimeOptions = {},
  ) {
    this.ready = new Promise((r) => (this.resolveReady = r));
  }

  private resetReady(): void {
    this.ready = new Promise((r) => (this.resolveReady = r));
  }

  /** Start a worker on the first backend of `order` that works. */
  private async boot(order: BackendName[]): Promise<{ worker: ModelWorker; init: InitResult }> {
    const worker = new ModelWorker(this.options);
    const job = worker.run({ type: 'init', order, modelUrl: this.modelUrl }, (m) => {
      if (m.phase === 'model') this.events.progress(`Downloading ${m.label ?? 'the model'}: ${formatBytes(m.done)}${m.total ? ` of ${formatBytes(m.total)}` : ''}`, m.total ? m.done / m.total : -1);
    });
    try {
      return { worker, init: await job.promise };
    } catch (e) {
      worker.terminate();
      throw e;
    }
  }

  /** Warm forward time: the first pass compiles shaders / allocates, the second is timed. */
  private async warmForward(worker: ModelWorker): Promise<number> {
    const zeros = new Float32Array(this.size ** 3);
    await worker.run({ type: 'predict', volume: zeros }).promise;
    return (await worker.run({ type: 'predict', volume: zeros }).promise).ms;
  }

  /** Load the model. Resolves when ready; throws (after showing nothing) when no backend starts. */
  async start(choice: BackendName | 'auto', order?: BackendName[]): Promise<void> {
    const gen = ++this.gen;
    if (gen > 1) this.resetReady();
    this.worker?.terminate();
    this.worker = null;
    this.init = null;
    this.events.progress('Starting TensorFlow.js…', -1);
    let best: { worker: ModelWorker; init: InitResult; ms: number } | null = null;
    const measurements: BackendMeasurement[] = [];
    if (order || choice !== 'auto') {
      const o = order ?? BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(choice as BackendName));
      const r = await this.boot(o);
      best = { ...r, ms: NaN };
    } else {
      const probe = await probeRenderers();
      const candidates: BackendName[] = [];
      for (const b of ['webgpu', 'webgl'] as const) {
        const p = probe[b];
        if (!p.available) measurements.push({ backend: b, skipped: p.description });
        else if (p.software) measurements.push({ backend: b, skipped: `software renderer (${p.description})` });
        else candidates.push(b);
      }
      candidates.push('wasm');
      for (const b of candidates) {
        if (gen !== this.gen) return;
        this.events.progress(`Timing a forward pass on ${BACKEND_LABEL[b]}…`, -1);
        try {
          const r = await this.boot([b]);
          const ms = await this.warmForward(r.worker);
          measurements.push({ backend: b, forwardMs: ms });
          if (!best || ms < best.ms) {
            best?.worker.terminate();
            best = { ...r, ms };
          } else r.worker.terminate();
        } catch (e) {
          measurements.push({ backend: b, skipped: `failed: ${msg(e)}` });
        }
      }
      // nothing measured (wasm failed too): the plain JavaScript backend is the last resort
      if (!best) best = { ...(await this.boot(['cpu'])), ms: NaN };
    }
    if (gen !== this.gen) {
      best.worker.terminate();
      return;
    }
    this.worker = best.worker;
    this.init = best.init;
    this.measurements = measurements;
    this.events.progress(null);
    this.resolveReady();
  }

  cancel(): void {
    this.job?.cancel();
  }

  /** Run a worker job; a backend failure mid-run falls back to the next backend and retries once. */
  async run<T>(make: (w: ModelWorker) => Job<T>): Promise<T> {
    if (!this.worker) throw new Error('the model is not loaded');
    const job = make(this.worker);
    this.job = job;
    try {
      return await job.promise;
    } catch (e) {
      if (e instanceof WorkerError && e.kind === 'backend' && this.init) {
        const cur = this.init.backend;
        const rest = BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(cur) + 1);
        if (rest.length === 0) throw e;
        this.fallbackNote = `${BACKEND_LABEL[cur]} failed mid-run (${e.message}); switched to the next backend.`;
        await this.start('auto', rest);
        if (!this.worker) throw e;
        this.events.fellBack();
        const again = make(this.worker);
        this.job = again;
        return await again.promise;
      }
      throw e;
    } finally {
      this.job = null;
    }
  }
}
