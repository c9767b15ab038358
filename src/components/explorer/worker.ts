/// <reference lib="webworker" />
/**
 * The explorer's model worker: owns TensorFlow.js, the backend and the model, so the page
 * stays responsive while Score-CAM runs. One job at a time; 'cancel' aborts the running one
 * (the CAM and curve loops check the signal after every batch).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { selectBackend, type BackendName } from '../../lib/model/backend';
import { loadModel, ModelLoadError } from '../../lib/model/io';
import { stageSizes, type ResNet3d } from '../../lib/model/resnet3d';
import { computeCam } from '../../lib/cam';
import { isAbortError } from '../../lib/util/async';
import { argmax } from '../../lib/util/array';
import { deletionInsertion } from '../../lib/metrics/deletion';
import type { FromWorker, ToWorker } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

let model: ResNet3d | null = null;
let modelBytes = new Map<string, Uint8Array>();
const jobs = new Map<number, AbortController>();

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

function classify(e: unknown): FromWorker & { type: 'error' } {
  const err = e instanceof Error ? e : new Error(String(e));
  const kind = isAbortError(err) ? 'abort' : err instanceof ModelLoadError ? 'model' : err.name === 'DataFormatError' ? 'input' : 'backend';
  return { id: 0, type: 'error', name: err.name, message: err.message, kind };
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'cancel') {
    jobs.get(msg.job)?.abort(new DOMException('Cancelled by the reader.', 'AbortError'));
    return;
  }
  const ac = new AbortController();
  jobs.set(msg.id, ac);
  try {
    if (msg.type === 'init') {
      const t0 = performance.now();
      if (model) {
        model.dispose();
        model = null;
      }
      const { backend, attempts } = await selectBackend(msg.order);
      const base = msg.modelUrl.endsWith('/') ? msg.modelUrl : msg.modelUrl + '/';
      const loaded = await loadModel((file) => fetchWithProgress(base + file, msg.id, file), base.replace(/\/$/, ''));
      model = loaded.model;
      post({
        id: msg.id,
        type: 'result',
        result: {
          backend: backend as BackendName,
          attempts,
          manifest: loaded.manifest,
          stages: stageSizes(model.config),
          loadMs: performance.now() - t0,
        },
      });
      return;
    }
    if (!model) throw new Error('the model is not loaded');
    if (msg.type === 'predict') {
      const t0 = performance.now();
      const s = model.config.inputSize;
      const p = tf.tidy(() => model!.predict(tf.tensor(msg.volume, [1, s, s, s, 1])));
      const probs = (await p.data()) as Float32Array;
      p.dispose();
      post({ id: msg.id, type: 'result', result: { probs, predicted: argmax(probs), ms: performance.now() - t0 } });
      return;
    }
    if (msg.type === 'cam') {
      if (msg.simulateFailure) throw new Error(`simulated ${tf.getBackend()} failure (test hook)`);
      const r = await computeCam(model, msg.volume, {
        ...msg.opts,
        yieldEvery: 1,
        signal: ac.signal,
        onProgress: (done, total) => post({ id: msg.id, type: 'progress', phase: 'cam', done, total }),
      });
      post(
        {
          id: msg.id,
          type: 'result',
          result: {
            cam: r.cam,
            lowResShape: r.lowResShape,
            target: r.target,
            predicted: r.predicted,
            probs: r.probs,
            method: r.method,
            stage: r.stage,
            channels: r.channels,
            totalChannels: r.totalChannels,
            timings: r.timings,
          },
        },
        [r.cam.buffer],
      );
      return;
    }
    if (msg.type === 'curves') {
      const t0 = performance.now();
      const r = await deletionInsertion(model, msg.volume, msg.saliency, msg.target, {
        steps: msg.steps,
        yieldEvery: 1,
        signal: ac.signal,
        onProgress: (done, total) => post({ id: msg.id, type: 'progress', phase: 'curves', done, total }),
      });
      post({ id: msg.id, type: 'result', result: { deletion: r.deletion, insertion: r.insertion, steps: r.steps, ms: performance.now() - t0 } });
      return;
    }
  } catch (e) {
    post({ ...classify(e), id: msg.id });
  } finally {
    jobs.delete(msg.id);
  }
}

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  void handle(ev.data);
};
