/**
 * Node: a pool of node:worker_threads, each with its own tfjs backend (wasm: a single-thread
 * XNNPACK instance; tfjs turns wasm threads off in Node) and its own copy of the model, plus the
 * calling thread's model. Score-CAM's channel batches and the curves' steps are spread over all of
 * them by TaskPool (tasks/pool.ts); the math is the task kind's range function everywhere.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { serializeModel } from '../model/io';
import type { ResNet3d } from '../model/resnet3d';
import { LocalEndpoint, PortEndpoint, TaskPool, type PortLike, type TaskRunOptions, type TaskRunner } from '../tasks/pool';
import type { ForwardTask, Predictor, RangeResult } from '../tasks/batches';
import { FORWARD_RUNNERS } from './runners';

export interface NodePoolOptions {
  /** Models in parallel, this thread's included. Default: the number of cores. */
  size?: number;
  /** Backend of the helper threads (this thread keeps its own). Default 'wasm'. */
  backend?: 'wasm' | 'cpu';
  /** Helpers run the fused inference model (default true; false: the training model in inference mode). */
  fused?: boolean;
}

/** What a helper thread is started with (workerData). */
export interface HelperData {
  modelJson: ReturnType<typeof serializeModel>['modelJson'];
  weights: Uint8Array;
  backend: 'wasm' | 'cpu';
  fused: boolean;
  port: MessagePort;
}

export function adaptPort(port: MessagePort): PortLike {
  return {
    postMessage: (m, transfer) => port.postMessage(m, transfer),
    addEventListener: (_type, listener) => {
      port.on('message', (data: unknown) => listener({ data }));
    },
  };
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism());
}

export class NodePool implements TaskRunner {
  private constructor(
    private readonly pool: TaskPool,
    private readonly workers: Worker[],
  ) {}

  /**
   * `model` is this thread's model (the training model or its fused copy); the helpers get a copy
   * of `source`'s weights, exactly (float32).
   */
  static async start(source: ResNet3d, model: Predictor, o: NodePoolOptions = {}): Promise<NodePool> {
    const size = Math.max(1, Math.floor(o.size ?? defaultPoolSize()));
    const { modelJson, weights } = serializeModel(source);
    // From source, the entry is TypeScript: a parent's loader (tsx, vitest) does not carry over to
    // a worker's entry on Node 20, so a small bootstrap registers tsx in the worker and then
    // imports it. From a bundle (esbuild), the entry is bundled beside it as pool-worker.node.mjs.
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = new URL(fromSource ? './pool-worker.node.ts' : './pool-worker.node.mjs', import.meta.url);
    const tsxApi = fromSource ? pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : '';
    const bootstrap = fromSource
      ? `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`
      : `import(${JSON.stringify(entry.href)})`;
    const workers: Worker[] = [];
    const endpoints: PortEndpoint[] = [];
    try {
      await Promise.all(
        Array.from({ length: size - 1 }, async () => {
          const { port1, port2 } = new MessageChannel();
          const data: HelperData = { modelJson, weights, backend: o.backend ?? 'wasm', fused: o.fused ?? true, port: port2 };
          const w = new Worker(bootstrap, { eval: true, workerData: data, transferList: [port2] });
          workers.push(w);
          const ep = new PortEndpoint(adaptPort(port1));
          w.on('error', (e) => ep.fail(e));
          w.on('exit', (code) => ep.fail(new Error(`a pool helper thread exited (code ${code})`)));
          await new Promise<void>((resolve, reject) => {
            w.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(`pool helper failed to start: ${m.message}`))));
            w.once('error', reject);
          });
          endpoints.push(ep);
          port1.unref();
        }),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    // This thread yields a macrotask before each of its batches: the helpers' replies are messages,
    // read only when the event loop turns (without it, tfjs-wasm's synchronous .data() kept this
    // thread busy and the helpers idle: 15 of 16 batches ran here).
    return new NodePool(new TaskPool([new LocalEndpoint(model, FORWARD_RUNNERS, 1), ...endpoints]), workers);
  }

  get size(): number {
    return this.pool.size;
  }

  get lastShares(): number[] {
    return this.pool.lastShares;
  }

  run(volume: Float32Array, task: ForwardTask, o?: TaskRunOptions): Promise<RangeResult> {
    return this.pool.run(volume, task, o);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
