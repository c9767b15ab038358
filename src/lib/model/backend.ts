/**
 * Backend selection: the best backend this runtime has, in the order WebGPU → WebGL → WASM → CPU.
 * Browser and Node share it; Node code calls `initNodeBackend` (backend.node.ts) first to point
 * the wasm backend at its .wasm files.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  error?: string;
}

/** Registers the WebGPU backend lazily: its module touches `navigator.gpu` at import time. */
async function ensureRegistered(name: BackendName): Promise<void> {
  if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) {
    await import('@tensorflow/tfjs-backend-webgpu');
  }
}

/**
 * Tries each backend in order until one initialises and passes a smoke test; returns what
 * happened to each so the UI can say why it fell back.
 */
export async function selectBackend(order: readonly BackendName[] = BACKEND_ORDER): Promise<{ backend: BackendName; attempts: BackendAttempt[] }> {
  const attempts: BackendAttempt[] = [];
  for (const name of order) {
    try {
      await ensureRegistered(name);
      if (!tf.findBackendFactory(name)) throw new Error('not available in this build');
      const ok = await tf.setBackend(name);
      if (!ok) throw new Error('failed to initialise');
      await tf.ready();
      // A tiny op catches backends that initialise but cannot run (lost device, blocked GPU).
      const probe = tf.tidy(() => tf.sum(tf.mul(tf.ones([2, 2]), 2)));
      const v = (await probe.data())[0];
      probe.dispose();
      if (v !== 8) throw new Error(`smoke test returned ${v}`);
      attempts.push({ backend: name, ok: true });
      return { backend: name, attempts };
    } catch (e) {
      attempts.push({ backend: name, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${attempts.map((a) => `${a.backend}: ${a.error}`).join('; ')}`);
}
