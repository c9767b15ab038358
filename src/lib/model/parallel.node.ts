/**
 * Node-only: data-parallel training on worker threads. Rank 0 is the calling thread (it keeps the
 * model and the Adam state, as the single-thread loop does); ranks 1…N-1 are worker threads
 * (train-worker.node.ts), each with its own single-thread wasm backend and a model replica.
 *
 * A step: the batch is split into contiguous shards; every rank computes the gradients of its
 * share of the batch's mean loss, with batch norm synchronised across ranks (batchnorm.ts), so
 * the summed gradients are the single-thread step's gradients up to float rounding. Rank 0 sums
 * them, applies one Adam update and folds the pooled batch-norm statistics into the running
 * averages; the updated weights travel to the workers with the next step's shard (a broadcast:
 * `timings` shows it costs less than the Adam update each worker would otherwise repeat).
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { AllGather, createAllGatherShared } from './allgather';
import { updateRunningStats, type BatchStats } from './batchnorm';
import type { ResNet3d, ResNet3dConfig } from './resnet3d';
import { shardGradients, type DataParallel, type StepResult } from './train';
import type { WorkerInit, WorkerReply, WorkerStep } from './train-worker.node.ts';

/** Default worker count: every core, at most 4 (beyond that the batch of 8 gets too thin). */
export function defaultWorkers(cores: number): number {
  return Math.max(1, Math.min(4, cores));
}

/** Milliseconds spent per part of the steps so far (the bench prints them). */
export interface ParallelTimings {
  steps: number;
  /** Reading rank 0's weights into one array (for the broadcast). */
  packMs: number;
  /** Slowest worker's assignment of the broadcast weights, summed over steps. */
  assignMs: number;
  /** Summing the gradients, Adam's update and the running statistics on rank 0. */
  applyMs: number;
}

/**
 * sum += part, element by element. A function of its own: the same loop written inline in the
 * step's per-variable callback ran 6-10x slower (17-29 ms per step instead of 2.5 for 0.9 M
 * values): V8 kept that callback's loop in a slower tier.
 */
function addInto(sum: Float32Array, part: Float32Array): void {
  for (let k = 0; k < sum.length; k++) sum[k] += part[k];
}

/** tsx's ESM API (its `register` hook), found through tsx's own package exports. */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const entry = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'].import.default;
  return pathToFileURL(path.join(path.dirname(pkgFile), entry)).href;
}

/** Starts a worker thread on train-worker.node.ts, through tsx when it runs from TypeScript source. */
function startWorker(): Worker {
  const url = new URL('./train-worker.node.ts', import.meta.url).href;
  // An ESM worker on a .ts file needs tsx's loader registered inside that thread first.
  const code = `import(${JSON.stringify(tsxEsmApi())}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(code, { eval: true });
}

class Rank {
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(readonly worker: Worker, readonly rank: number) {
    worker.on('message', (r: WorkerReply) => {
      const p = this.pending;
      this.pending = null;
      if (r.type === 'error') p?.reject(new Error(`training worker ${rank}: ${r.message}`));
      else p?.resolve(r);
    });
    worker.on('error', (e) => this.fail(new Error(`training worker ${rank} crashed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`training worker ${rank} exited (code ${code})`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.pending?.reject(e);
    this.pending = null;
  }

  request(msg: WorkerInit | WorkerStep, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg, transfer);
    });
  }
}

/**
 * A DataParallel over `workers` ranks (the calling thread + workers-1 threads). The threads start
 * on the first step (they need the model's architecture). `dispose` ends them.
 */
export function createDataParallel(workers: number): DataParallel & { timings: ParallelTimings } {
  if (!Number.isInteger(workers) || workers < 2) throw new Error(`data-parallel training needs at least 2 workers, got ${workers}`);
  let ranks: Rank[] = [];
  let sync: AllGather | null = null;
  let started: Promise<void> | null = null;
  const timings: ParallelTimings = { steps: 0, packMs: 0, assignMs: 0, applyMs: 0 };

  const start = (config: ResNet3dConfig): Promise<void> => {
    const shared = createAllGatherShared(workers, 1 + 2 * Math.max(config.stemChannels, ...config.widths));
    sync = new AllGather(shared, 0);
    ranks = Array.from({ length: workers - 1 }, (_, i) => new Rank(startWorker(), i + 1));
    const backend = tf.getBackend();
    return Promise.all(ranks.map((r) => r.request({ type: 'init', config, shared, rank: r.rank, backend } satisfies WorkerInit))).then(() => undefined);
  };

  return {
    workers,
    timings,
    async step(model: ResNet3d, optimizer: tf.Optimizer, x: tf.Tensor5D, y: tf.Tensor1D, numClasses: number): Promise<StepResult> {
      started ??= start(model.config);
      await started;
      const n = x.shape[0];
      const active = Math.min(workers, n);
      // Contiguous shards, the first ones one row longer when n is not a multiple.
      const bounds = [0];
      for (let r = 0; r < active; r++) bounds.push(bounds[r] + Math.floor(n / active) + (r < n % active ? 1 : 0));
      const vars = model.trainableVariables();

      let t = performance.now();
      const weights = new Float32Array(vars.reduce((a, v) => a + v.size, 0));
      let off = 0;
      for (const v of vars) {
        weights.set(v.dataSync() as Float32Array, off);
        off += v.size;
      }
      timings.packMs += performance.now() - t;

      const xData = x.dataSync() as Float32Array;
      const yData = y.dataSync() as Int32Array;
      const vox = x.size / n;
      sync!.beginStep(active);
      const replies = ranks.slice(0, active - 1).map((r) => {
        const [a, b] = [bounds[r.rank], bounds[r.rank + 1]];
        const msg: WorkerStep = { type: 'step', weights, x: xData.slice(a * vox, b * vox), y: yData.slice(a, b), numClasses, batchCount: n, size: active };
        return r.request(msg, [msg.x.buffer as ArrayBuffer]);
      });

      const stats: BatchStats[] = [];
      let mine: ReturnType<typeof shardGradients>;
      const [x0, y0] = [tf.slice(x, 0, bounds[1]), tf.slice(y, 0, bounds[1])];
      try {
        mine = shardGradients(model, x0, y0, numClasses, n, sync!, stats);
      } catch (e) {
        sync!.abort();
        await Promise.allSettled(replies);
        sync!.reset();
        tf.dispose(stats.flatMap((s) => [s.mean, s.variance]));
        throw e;
      } finally {
        tf.dispose([x0, y0]);
      }
      let others: Array<Extract<WorkerReply, { type: 'grads' }>>;
      try {
        others = (await Promise.all(replies)) as Array<Extract<WorkerReply, { type: 'grads' }>>;
      } catch (e) {
        tf.dispose(mine.grads);
        tf.dispose(stats.flatMap((s) => [s.mean, s.variance]));
        throw e;
      }

      t = performance.now();
      timings.assignMs += Math.max(0, ...others.map((o) => o.assignMs));
      off = 0;
      const summed = mine.grads.map((g, i) => {
        const sum = new Float32Array(g.size);
        sum.set(g.dataSync() as Float32Array);
        for (const o of others) addInto(sum, o.grads.subarray(off, off + g.size));
        off += g.size;
        g.dispose();
        return { name: vars[i].name, tensor: tf.tensor(sum, vars[i].shape) };
      });
      // In trainable-variable order, as minimize() gives them: Adam's slots are matched by position.
      optimizer.applyGradients(summed);
      tf.dispose(summed.map((s) => s.tensor));
      updateRunningStats(stats);
      timings.applyMs += performance.now() - t;
      timings.steps++;
      return { loss: mine.loss + others.reduce((a, o) => a + o.loss, 0), correct: mine.correct + others.reduce((a, o) => a + o.correct, 0) };
    },
    async dispose(): Promise<void> {
      await Promise.all(ranks.map((r) => r.worker.terminate()));
      ranks = [];
      started = null;
    },
  };
}
