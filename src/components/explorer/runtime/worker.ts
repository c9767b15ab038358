/// <reference lib="webworker" />
/**
 * The explorer's model worker: owns TensorFlow.js, the backend and the model, so the page stays
 * responsive while Score-CAM runs. One script, two roles:
 * - the coordinator ('init'): selects the backend, loads the model, keeps the current volume and
 *   its unmasked forward pass (prediction + stage activations, run once per volume and stage), and
 *   runs Score-CAM and the curves, spreading their batches over itself and the helpers attached
 *   to it (TaskPool, src/lib/tasks/pool.ts); one job at a time, 'cancel' aborts the running one;
 * - a helper ('helper'): the same model on the same backend, answering batch requests from the
 *   coordinator over a MessagePort (serveTasks).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { selectBackend, type BackendName } from '../../../lib/model/backend';
import { loadModel } from '../../../lib/model/io';
import { BackendError, InputError, classifyError } from '../../../lib/model/errors';
import { fuseForInference, warmUp, type FusedResNet3d } from '../../../lib/model/inference';
import { stageSizes, type ResNet3d } from '../../../lib/model/resnet3d';
import { camMethod, computeCam, DEFAULT_BATCH_SIZE, stageActivations, usesRunner, type StageActivations } from '../../../lib/cam';
import { LocalEndpoint, PortEndpoint, TaskPool, serveTasks, type PortLike } from '../../../lib/tasks/pool';
import { FORWARD_RUNNERS } from '../../../lib/parallel/runners';
import { argmax } from '../../../lib/util/array';
import { deletionInsertion } from '../../../lib/metrics/deletion';
import { curveStates } from '../baseline';
import type { FromWorker, InitResult, PredictResult, ToWorker } from './protocol';
import { headLogits, poolMaps, prepareOod, scoreOod, type PreparedOod } from '../../../lib/ood';

const scope = self as unknown as DedicatedWorkerGlobalScope;
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

/** Backends whose work a pool of workers can split: one core each. A GPU is one device, shared. */
const POOLABLE: readonly BackendName[] = ['wasm', 'cpu'];
/**
 * The fused inference model is verified equal to the training model on wasm and cpu (unit test);
 * on WebGL/WebGPU the training model's forward runs until it is measured there.
 */
const FUSED: readonly BackendName[] = ['wasm', 'cpu'];
/** Batch-8 forward passes per volume take ~0.55-0.6× a batch-1 pass on wasm (npm run bench). */
const BATCH_GAIN = 0.6;

let model: ResNet3d | null = null;
let inference: ResNet3d | FusedResNet3d | null = null;
const modelBytes = new Map<string, Uint8Array>();
const jobs = new Map<number, AbortController>();
/** The coordinator's helpers (attached as they finish loading). */
const helpers = new Map<number, PortEndpoint>();
let plannedPool = 1;
/** The current volume and its unmasked passes by stage. */
let volume: { key: number; data: Float32Array; passes: Map<number, StageActivations> } | null = null;
/** Measured wall ms per masked input on the current pool (null until a run). */
let measuredPerInput: { ms: number; workers: number } | null = null;
/** The last unmasked forward pass's time (ms), for the estimate before any run. */
let lastForwardMs = Infinity;
/** The model's out-of-distribution calibration (ood.json), or why there is none. */
let oodCheck: { prepared: PreparedOod | null; note: string | null } = { prepared: null, note: null };

/**
 * Loads every CAM method's weights code now, at start-up, not on a method's first run: the registry
 * (lib/cam/methods.ts) imports each method's weights lazily, so the worker fetched a script when a
 * reader first picked a method, possibly after opening a file of their own (the page promises that
 * nothing is sent then). These are the registry's own import() targets, so they resolve to the very
 * chunks its `weights` load; tests/unit/explorer-preload.test.ts checks that the lists agree.
 */
function preloadMethodCode(): Promise<unknown> {
  return Promise.all([
    import('../../../lib/cam/scorecam'),
    import('../../../lib/cam/gradcam'),
    import('../../../lib/cam/gradcampp'),
    import('../../../lib/cam/uniform'),
  ]);
}

/** Loads the calibration the manifest names (manifest.ood.file), checked against the loaded weights. */
async function loadOod(modelUrl: string, manifest: InitResult['manifest'], id: number): Promise<void> {
  oodCheck = { prepared: null, note: null };
  const m = manifest as InitResult['manifest'] & { ood?: { file?: string } };
  const file = m.ood?.file;
  if (!file) {
    oodCheck.note = 'This model was exported without an out-of-distribution calibration (npm run evaluate writes one), so nothing checks whether a volume is like its training data.';
    return;
  }
  try {
    const base = modelUrl.endsWith('/') ? modelUrl : modelUrl + '/';
    const p = prepareOod(JSON.parse(new TextDecoder().decode(await fetchWithProgress(base + file, id, file))), file);
    if (p.calibration.model.weightsSha256 !== m.weights?.sha256) throw new Error('it was fitted to other weights than the loaded model');
    oodCheck.prepared = p;
  } catch (e) {
    oodCheck.note = `The out-of-distribution check is off: ${file} could not be used (${e instanceof Error ? e.message : String(e)}).`;
  }
}

/** The out-of-distribution score from the volume's stage-4 pass: its pooled maps are the penultimate features. */
function oodOf(a: StageActivations): Pick<PredictResult, 'ood' | 'oodNote'> {
  const p = oodCheck.prepared;
  if (!p || !model || a.stage !== 4) return { ood: null, oodNote: oodCheck.note };
  const features = poolMaps(a.maps, a.channels);
  const logits = headLogits(features, model.variables.get('fc.w')!.dataSync(), model.variables.get('fc.b')!.dataSync());
  return { ood: scoreOod(p, features, logits, a.volume, model.config.inputSize), oodNote: null };
}

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

async function fetchWithProgress(url: string, id: number, label: string): Promise<Uint8Array> {
  const cached = modelBytes.get(url);
  if (cached) return cached;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText || ''}`.trim());
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    post({ id, type: 'progress', phase: 'model', done: got, total, label });
  }
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  modelBytes.set(url, out);
  return out;
}

async function load(order: readonly BackendName[], modelUrl: string, id: number, fused: boolean, threads: number) {
  if (inference && inference !== model) inference.dispose();
  model?.dispose();
  model = inference = null;
  // Multithreaded wasm only when asked (?threads=N): on a cross-origin-isolated page tfjs would
  // otherwise load it in every worker of the pool, and one worker on 2 threads measured 0.69x one
  // single-thread worker where the pool of 2 took 0.60x (npm run bench:browser, 2 cores)
  if (threads === 0) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const { backend, attempts } = threads > 0 ? await withWasmThreads(threads, () => selectBackend(order)) : await selectBackend(order);
  const base = modelUrl.endsWith('/') ? modelUrl : modelUrl + '/';
  const loaded = await loadModel((file) => fetchWithProgress(base + file, id, file), base.replace(/\/$/, ''));
  model = loaded.model;
  inference = fused && FUSED.includes(backend) ? fuseForInference(model) : model;
  return { backend, attempts, manifest: loaded.manifest };
}

/**
 * Starts the backend with `threads` wasm threads (`?threads=N`; only a cross-origin-isolated page
 * loads the multithreaded build). tfjs-backend-wasm takes the thread count once, when its module
 * starts, and caps it at half of navigator.hardwareConcurrency (it assumes two hyperthreads per
 * core: on 2 cores, 1 thread whatever is asked), so the worker shows it 2 × threads until then.
 */
async function withWasmThreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  setThreadsCount(threads);
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    return await start();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

/** The wasm backend's thread count (its multithreaded build runs only on a cross-origin-isolated page); 1 elsewhere. */
function backendThreads(): number {
  const b = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return tf.getBackend() === 'wasm' ? Math.max(1, b.wasm?.tfjs?.getThreadsCount?.() ?? 1) : 1;
}

/** Up to this many workers (the page decides from the core count and memory, client.ts). */
function poolFor(backend: BackendName, requested: number): number {
  return POOLABLE.includes(backend) ? Math.max(1, requested) : 1;
}

function portLike(port: MessagePort): PortLike {
  port.start();
  return { postMessage: (m, t) => port.postMessage(m, t ?? []), addEventListener: (_t, l) => port.addEventListener('message', l) };
}

function currentPool(): TaskPool {
  return new TaskPool([new LocalEndpoint(inference!, FORWARD_RUNNERS, 1), ...helpers.values()]);
}

function needVolume(key: number): Float32Array {
  if (!volume || volume.key !== key) throw new InputError(`volume ${key} was not sent to the model worker`);
  return volume.data;
}

/** The unmasked pass at `stage`, run once per volume and stage. */
async function unmasked(stage: number): Promise<StageActivations> {
  const v = volume!;
  let a = v.passes.get(stage);
  if (!a) {
    a = await stageActivations(inference!, v.data, stage);
    v.passes.set(stage, a);
  }
  return a;
}

function perInputEstimate(forwardMs: number): number {
  const workers = 1 + helpers.size;
  if (measuredPerInput && measuredPerInput.workers === workers) return measuredPerInput.ms;
  return (forwardMs * BATCH_GAIN) / workers;
}

type Msg<T extends ToWorker['type']> = Extract<ToWorker, { type: T }>;
/** Messages that only change state: answered by nothing. */
type StateType = 'cancel' | 'volume' | 'attach' | 'detach';
/** Jobs: answered by one 'result' (or 'ready') or 'error' message with their id; 'cancel' aborts them. */
type JobType = Exclude<ToWorker['type'], StateType>;

const STATE: { [T in StateType]: (msg: Msg<T>) => void } = {
  cancel: (msg) => jobs.get(msg.job)?.abort(new DOMException('Cancelled by the reader.', 'AbortError')),
  volume: (msg) => {
    volume = { key: msg.key, data: msg.volume, passes: new Map() };
  },
  attach: (msg) => {
    helpers.set(msg.helper, new PortEndpoint(portLike(msg.port)));
    measuredPerInput = null;
  },
  detach: (msg) => {
    // a helper died (the page saw its error event): fail what waits on it, and go on without it
    helpers.get(msg.helper)?.fail(new Error(`a helper worker stopped: ${msg.reason}`));
    helpers.delete(msg.helper);
    measuredPerInput = null;
  },
};

const JOBS: { [T in JobType]: (msg: Msg<T>, signal: AbortSignal) => Promise<void> } = {
  helper: async (msg) => {
    await load([msg.backend], msg.modelUrl, msg.id, msg.fused, msg.threads);
    if (tf.getBackend() !== msg.backend) throw new BackendError(`helper started ${tf.getBackend()}, not ${msg.backend}`);
    warmUp(inference!, DEFAULT_BATCH_SIZE);
    serveTasks(portLike(msg.port), () => inference!, FORWARD_RUNNERS);
    post({ id: msg.id, type: 'ready' });
  },
  init: async (msg) => {
    const t0 = performance.now();
    helpers.clear();
    volume = null;
    measuredPerInput = null;
    const code = preloadMethodCode();
    const { backend, attempts, manifest } = await load(msg.order, msg.modelUrl, msg.id, msg.fused, msg.threads);
    await loadOod(msg.modelUrl, manifest, msg.id);
    await code;
    plannedPool = poolFor(backend, msg.poolSize);
    const result: InitResult = {
      backend,
      attempts,
      manifest,
      stages: stageSizes(model!.config),
      loadMs: performance.now() - t0,
      poolSize: plannedPool,
      fused: inference !== model,
      threads: backendThreads(),
    };
    post({ id: msg.id, type: 'result', request: 'init', result });
  },
  predict: async (msg) => {
    needVolume(msg.volumeKey);
    const t0 = performance.now();
    if (msg.rerun) volume!.passes.delete(4);
    const fresh = !volume!.passes.has(4);
    const a = await unmasked(4);
    const ms = performance.now() - t0;
    // a cached pass costs nothing: estimate from the pass when it ran
    if (fresh) lastForwardMs = ms;
    post({ id: msg.id, type: 'result', request: 'predict', result: { probs: a.probs, predicted: argmax(a.probs), ms: lastForwardMs, perInputMs: perInputEstimate(lastForwardMs), ...oodOf(a) } });
  },
  cam: async (msg, signal) => {
    if (msg.simulateFailure) throw new BackendError(`simulated ${tf.getBackend()} failure (test hook)`);
    const data = needVolume(msg.volumeKey);
    const pool = currentPool();
    const method = camMethod(msg.opts.method);
    // gradient methods run on the training model and make their own unmasked pass
    const activations = method.needsGradients ? undefined : await unmasked(msg.opts.stage);
    const r = await computeCam(method.needsGradients ? model! : inference!, data, {
      ...msg.opts,
      yieldEvery: 1,
      signal,
      runner: pool,
      activations,
      onProgress: (done, total) => post({ id: msg.id, type: 'progress', phase: 'cam', done, total }),
      ...(msg.opts.detail && method.atWork && activations ? { onScores: atWorkReporter(msg.id, activations, msg.opts.target ?? argmax(activations.probs)) } : {}),
    });
    const pooled = usesRunner(msg.opts.method, r.totalChannels);
    if (pooled && r.timings.forwardInputs > 8) measuredPerInput = { ms: r.timings.totalMs / r.timings.forwardInputs, workers: pool.size };
    const { cam, lowResShape, target, predicted, probs, stage, channels, totalChannels, timings } = r;
    const result = { cam, lowResShape, target, predicted, probs, method: r.method, stage, channels, totalChannels, timings, workers: pooled ? pool.size : 1, shares: pooled ? [...pool.lastShares] : [1] };
    post({ id: msg.id, type: 'result', request: 'cam', result }, [cam.buffer]);
  },
  curves: async (msg, signal) => {
    const data = needVolume(msg.volumeKey);
    const t0 = performance.now();
    const pool = currentPool();
    const probs = volume!.passes.values().next().value?.probs;
    const ends = msg.baseline ? curveStates(msg.baseline, data) : {};
    const r = await deletionInsertion(inference!, data, msg.saliency, msg.target, {
      ...ends,
      steps: msg.steps,
      yieldEvery: 1,
      signal,
      runner: pool,
      unmaskedProbs: probs,
      onProgress: (done, total) => post({ id: msg.id, type: 'progress', phase: 'curves', done, total }),
    });
    const ms = performance.now() - t0;
    if (r.timings.forwardInputs > 8) measuredPerInput = { ms: ms / r.timings.forwardInputs, workers: pool.size };
    post({ id: msg.id, type: 'result', request: 'curves', result: { deletion: r.deletion, insertion: r.insertion, steps: r.steps, ms, workers: pool.size } });
  },
};

/** Jobs that need the model loaded first. */
const NEEDS_MODEL: ReadonlySet<JobType> = new Set(['predict', 'cam', 'curves']);

const isState = (msg: ToWorker): msg is Msg<StateType> => Object.hasOwn(STATE, msg.type);

async function handle(msg: ToWorker): Promise<void> {
  if (isState(msg)) return (STATE[msg.type] as (m: ToWorker) => void)(msg);
  const ac = new AbortController();
  jobs.set(msg.id, ac);
  try {
    if (NEEDS_MODEL.has(msg.type) && (!model || !inference)) throw new Error('the model is not loaded');
    await (JOBS[msg.type] as (m: ToWorker, s: AbortSignal) => Promise<void>)(msg, ac.signal);
  } catch (e) {
    const c = classifyError(e);
    if (c.kind === 'bug') console.error('model worker bug:', e);
    post({ id: msg.id, type: 'error', ...c });
  } finally {
    jobs.delete(msg.id);
  }
}

/**
 * Score-CAM at work: the first batch of scores brings the maps of the channels being run (at stage
 * resolution, a few kB), every batch its scores; the page redraws the figure from these.
 */
function atWorkReporter(id: number, a: StageActivations, target: number) {
  let sent = false;
  return (from: number, scores: Float32Array, channels: Int32Array) => {
    if (!sent) {
      sent = true;
      const m = a.shape[0] * a.shape[1] * a.shape[2];
      const maps = new Float32Array(channels.length * m);
      channels.forEach((k, j) => maps.set(a.maps.subarray(k * m, (k + 1) * m), j * m));
      post({ id, type: 'detail', detail: { kind: 'channels', maps, shape: a.shape, indices: channels.slice(), target } }, [maps.buffer]);
    }
    post({ id, type: 'detail', detail: { kind: 'scores', from, scores: scores.slice() } });
  };
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  void handle(ev.data);
};
