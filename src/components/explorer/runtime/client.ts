/**
 * Promise-based wrapper around the model workers: one coordinator (worker.ts, 'init') that the page
 * talks to, and on the CPU backends (wasm, cpu) helpers that load the same model and take a share
 * of Score-CAM's channel batches and the curves' steps (each Web Worker its own single-thread wasm
 * instance and model: no cross-origin isolation needed, unlike multithreaded wasm).
 */
import { classifyError, type ErrorKind } from '../../../lib/model/errors';
import type { CamDetail, FromWorker, Request, RequestType, ResultMsg, ResultOf, ToWorker } from './protocol';

export class WorkerError extends Error {
  constructor(
    message: string,
    public readonly kind: ErrorKind,
    name = 'WorkerError',
  ) {
    super(message);
    this.name = kind === 'abort' ? 'AbortError' : name;
  }
}

export interface Job<T> {
  id: number;
  promise: Promise<T>;
  cancel(): void;
}

/**
 * Memory one worker needs, measured in Node on the shipped 64³ model (fused, batch 8): the wasm
 * heap grows to ~250 MB over Score-CAM + curves at stage 4 and ~300 MB with stages 1-3; plus the
 * model bytes and JavaScript buffers: 350 MB is the estimate per worker.
 */
export const WORKER_MEMORY_MB = 350;
/** Share of the device's memory the pool may take. */
const MEMORY_SHARE = 0.5;
/** navigator.deviceMemory is Chrome-only (GB, rounded, at most 8); elsewhere assume 4 GB. */
const ASSUMED_DEVICE_GB = 4;

/** Options of the model workers, from the page's query (lib/site/explorer-link: parseExplorerQuery). */
export interface RuntimeOptions {
  /** Workers in the pool (`?workers=N`); absent: poolSizeFor this device. */
  workers?: number;
  /** wasm threads per worker (`?threads=N`); absent or 0: the single-thread build. */
  threads?: number;
  /** false: the training model's forward (`?fused=0`, benchmarks); default the fused inference model. */
  fused?: boolean;
}

/** Workers for this device: one per core, capped so the pool stays within half the memory. `?workers=N` overrides (tests, benchmarks). */
export function poolSizeFor(nav: { hardwareConcurrency?: number; deviceMemory?: number } = globalThis.navigator ?? {}, override?: string | null): { size: number; reason: string } {
  const forced = Number(override);
  if (override && Number.isInteger(forced) && forced >= 1) return { size: forced, reason: `?workers=${forced}` };
  const cores = Math.max(1, nav.hardwareConcurrency ?? 1);
  const gb = nav.deviceMemory ?? ASSUMED_DEVICE_GB;
  const byMemory = Math.max(1, Math.floor((gb * 1024 * MEMORY_SHARE) / WORKER_MEMORY_MB));
  const size = Math.min(cores, byMemory);
  return { size, reason: `${cores} cores, ${nav.deviceMemory ? '' : 'assumed '}${gb} GB memory at ~${WORKER_MEMORY_MB} MB per worker` };
}

interface Pending {
  request: RequestType;
  settle: (m: ResultMsg) => void;
  reject: (e: unknown) => void;
  onProgress?: (m: FromWorker & { type: 'progress' }) => void;
  onDetail?: (d: CamDetail) => void;
}

const volumeKeys = new WeakMap<Float32Array, number>();
let nextVolumeKey = 1;

export class ModelWorker {
  private worker: Worker;
  /** Helpers that joined the pool, by index; `spawned` also holds those still loading. */
  private readonly helpers = new Map<number, Worker>();
  private readonly spawned: Worker[] = [];
  private next = 1;
  private pending = new Map<number, Pending>();
  /** The volume the coordinator holds. */
  private sentVolume = -1;
  /** Workers this page may use (the coordinator narrows it to 1 on GPU backends). */
  readonly plannedWorkers: { size: number; reason: string };

  /** The fused inference model (default; `?fused=0` runs the training model's forward, for benchmarks). */
  readonly fused: boolean;
  /** wasm threads per worker: `?threads=N` (multithreaded wasm, on a cross-origin-isolated page), else 0: the single-thread build */
  readonly threads: number;
  private poolWaiters: Array<() => void> = [];
  /** Helpers still loading. */
  private starting = 0;

  constructor(o: RuntimeOptions = {}) {
    this.plannedWorkers = poolSizeFor(undefined, o.workers ? String(o.workers) : null);
    this.fused = o.fused ?? true;
    this.threads = Math.max(0, Math.floor(o.threads ?? 0));
    this.worker = this.spawn('scorecam-model');
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m);
      else if (m.type === 'detail') p.onDetail?.(m.detail);
      else if (m.type === 'result') {
        this.pending.delete(m.id);
        p.settle(m);
      } else if (m.type === 'error') {
        this.pending.delete(m.id);
        p.reject(new WorkerError(m.message, m.kind, m.name));
      }
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      // a crash is classified by its message like any error (a wasm abort is memory, a lost GPU a backend failure)
      const c = classifyError(new Error(ev.message || 'unknown error'));
      const err = new WorkerError(`the model worker crashed: ${c.message}`, c.kind);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private spawn(name: string): Worker {
    return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name });
  }

  /** Workers now sharing Score-CAM (the coordinator and the helpers loaded so far). */
  get workers(): number {
    return 1 + this.helpers.size;
  }

  run<R extends Request>(
    req: R,
    onProgress?: (m: FromWorker & { type: 'progress' }) => void,
    transfer: Transferable[] = [],
    onDetail?: (d: CamDetail) => void,
  ): Job<ResultOf<R['type']>> {
    const id = this.next++;
    const r: Request = req;
    const promise = new Promise<ResultOf<R['type']>>((resolve, reject) => {
      const settle = (m: ResultMsg) => {
        // The reply names its request; the map from request to result type is checked here, once.
        if (m.request !== r.type) {
          reject(new WorkerError(`the model worker answered a '${r.type}' request with a '${m.request}' result`, 'bug'));
          return;
        }
        if (m.request === 'init' && r.type === 'init') this.startHelpers(m.result.poolSize - 1, m.result.backend, r.modelUrl);
        resolve(m.result as ResultOf<R['type']>);
      };
      this.pending.set(id, { request: r.type, settle, reject, onProgress, onDetail });
    });
    let msg: ToWorker;
    switch (r.type) {
      case 'init':
        msg = { id, type: 'init', order: r.order, modelUrl: r.modelUrl, poolSize: this.plannedWorkers.size, fused: this.fused, threads: this.threads };
        break;
      case 'predict':
        msg = { id, type: 'predict', volumeKey: this.sendVolume(r.volume), rerun: r.rerun };
        break;
      case 'cam':
        msg = { id, type: 'cam', volumeKey: this.sendVolume(r.volume), opts: r.opts, simulateFailure: r.simulateFailure };
        break;
      case 'curves':
        msg = { id, type: 'curves', volumeKey: this.sendVolume(r.volume), saliency: r.saliency, target: r.target, steps: r.steps, baseline: r.baseline };
        break;
    }
    this.worker.postMessage(msg, transfer);
    return { id, promise, cancel: () => this.worker.postMessage({ id: 0, type: 'cancel', job: id } satisfies ToWorker) };
  }

  /** The volume travels to the coordinator once; requests name it by key. */
  private sendVolume(v: Float32Array): number {
    let key = volumeKeys.get(v);
    if (key === undefined) volumeKeys.set(v, (key = nextVolumeKey++));
    if (key !== this.sentVolume) {
      this.worker.postMessage({ id: 0, type: 'volume', key, volume: v } satisfies ToWorker);
      this.sentVolume = key;
    }
    return key;
  }

  /** Resolves with the pool size once every helper has joined or failed to start. */
  poolReady(): Promise<number> {
    if (this.starting === 0) return Promise.resolve(this.workers);
    return new Promise((resolve) => this.poolWaiters.push(() => resolve(this.workers)));
  }

  private helperSettled(): void {
    if (--this.starting > 0) return;
    const w = this.poolWaiters;
    this.poolWaiters = [];
    for (const f of w) f();
  }

  /** Helpers load in the background; each joins the coordinator's pool when ready. */
  private startHelpers(count: number, backend: ResultOf<'init'>['backend'], modelUrl: string): void {
    this.starting += Math.max(0, count);
    for (let i = 0; i < count; i++) {
      const h = this.spawn(`scorecam-helper-${i + 1}`);
      this.spawned.push(h);
      const index = i + 1;
      const { port1, port2 } = new MessageChannel();
      h.onmessage = (ev: MessageEvent<FromWorker>) => {
        const m = ev.data;
        if (m.type === 'ready') {
          this.helpers.set(index, h);
          this.worker.postMessage({ id: 0, type: 'attach', helper: index, port: port1 } satisfies ToWorker, [port1]);
          this.helperSettled();
        } else if (m.type === 'error') {
          // A helper that cannot start leaves the pool smaller, not broken.
          console.warn(`explorer: helper worker ${index} did not start (${m.kind}): ${m.message}`);
          h.terminate();
          this.helperSettled();
        }
      };
      h.onerror = (ev) => {
        ev.preventDefault();
        h.terminate();
        if (!this.helpers.has(index)) this.helperSettled();
        if (this.helpers.delete(index)) this.worker.postMessage({ id: 0, type: 'detach', helper: index, reason: ev.message || 'crashed' } satisfies ToWorker);
      };
      h.postMessage({ id: index, type: 'helper', backend, modelUrl, fused: this.fused, threads: this.threads, port: port2 } satisfies ToWorker, [port2]);
    }
  }

  terminate(): void {
    this.worker.terminate();
    for (const h of this.spawned) h.terminate();
    this.spawned.length = 0;
    this.helpers.clear();
    this.starting = 1;
    this.helperSettled();
    const err = new WorkerError('stopped', 'abort');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
