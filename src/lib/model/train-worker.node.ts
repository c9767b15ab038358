/**
 * Node-only: one data-parallel training worker (a worker_threads thread, started by
 * parallel.node.ts). It holds a replica of the model on its own single-thread wasm backend and, per
 * step, takes the coordinator's current weights and its rows of the batch, and sends back the
 * gradients of its share of the loss (batch norm synchronised with the other ranks).
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from './backend.node.ts';
import { ResNet3d, type ResNet3dConfig } from './resnet3d';
import { AllGather, type AllGatherShared } from './allgather';
import { shardGradients } from './train';
import type { BatchStats } from './batchnorm';

export interface WorkerInit {
  type: 'init';
  config: ResNet3dConfig;
  shared: AllGatherShared;
  rank: number;
  backend: string;
}

export interface WorkerStep {
  type: 'step';
  /** The trainable variables, concatenated in `trainableVariables()` order. */
  weights: Float32Array;
  x: Float32Array;
  y: Int32Array;
  numClasses: number;
  batchCount: number;
  /** Ranks active in this step. */
  size: number;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'grads'; grads: Float32Array; loss: number; correct: number; assignMs: number }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('train-worker.node.ts runs as a worker thread');

let model: ResNet3d | null = null;
let sync: AllGather | null = null;

/** Replaces the replica's trainable weights with the coordinator's. */
function assignWeights(m: ResNet3d, flat: Float32Array): void {
  let off = 0;
  for (const v of m.trainableVariables()) {
    const t = tf.tensor(flat.subarray(off, off + v.size), v.shape);
    v.assign(t);
    t.dispose();
    off += v.size;
  }
  if (off !== flat.length) throw new Error(`weights: got ${flat.length} values, the replica has ${off}`);
}

function step(msg: WorkerStep): WorkerReply {
  if (!model || !sync) throw new Error('step before init');
  const t0 = performance.now();
  assignWeights(model, msg.weights);
  const assignMs = performance.now() - t0;
  sync.beginStep(msg.size);
  const s = model.config.inputSize;
  const n = msg.y.length;
  const x = tf.tensor5d(msg.x, [n, s, s, s, 1]);
  const y = tf.tensor1d(msg.y, 'int32');
  const stats: BatchStats[] = [];
  try {
    const r = shardGradients(model, x, y, msg.numClasses, msg.batchCount, sync, stats);
    const total = r.grads.reduce((a, g) => a + g.size, 0);
    const grads = new Float32Array(total);
    let off = 0;
    for (const g of r.grads) {
      grads.set(g.dataSync() as Float32Array, off);
      off += g.size;
    }
    tf.dispose(r.grads);
    return { type: 'grads', grads, loss: r.loss, correct: r.correct, assignMs };
  } finally {
    // Running statistics live on rank 0 only: these are the same pooled values it records.
    for (const st of stats) tf.dispose([st.mean, st.variance]);
    tf.dispose([x, y]);
  }
}

port.on('message', async (msg: WorkerInit | WorkerStep) => {
  try {
    if (msg.type === 'init') {
      await initNodeBackend(msg.backend);
      model = new ResNet3d(msg.config);
      sync = new AllGather(msg.shared, msg.rank);
      port.postMessage({ type: 'ready' } satisfies WorkerReply);
    } else {
      const reply = step(msg);
      port.postMessage(reply, reply.type === 'grads' ? [reply.grads.buffer as ArrayBuffer] : []);
    }
  } catch (e) {
    // Wake the ranks waiting for this one inside batch norm, then report.
    sync?.abort();
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
  }
});
