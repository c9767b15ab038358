/**
 * Where the batches of a ForwardTask (batches.ts) run: this thread, or a pool of workers each with
 * its own model. The pool only distributes: every batch runs the task kind's range function
 * (cam/scorecam-task.ts, metrics/curve-task.ts, listed in parallel/runners.ts: the one implementation of the math) on some endpoint, and batches are handed out one at a time to
 * whichever endpoint is free (a loaded core just takes fewer), so the results are the same as on
 * one endpoint, bit for bit: the same batches go through the same model code.
 *
 * Endpoints: `LocalEndpoint` (a model in this thread) and `PortEndpoint` (a helper across a
 * MessagePort, a Web Worker's or a node:worker_threads one) answered by `serveTasks`. The
 * volume goes to each helper once (by key); a task's shared data (maps, voxel order, insertion
 * start) once per task.
 */
import { nextMacrotask, throwIfAborted } from '../util/async';
import { taskBatches, type ForwardTask, type Predictor, type RangeResult, type RangeRunners } from './batches';
import { classifyError, type ErrorKind } from '../model/errors';

function runnerFor(runners: RangeRunners, task: ForwardTask) {
  const f = runners[task.kind];
  if (!f) throw new Error(`no range function for '${task.kind}' tasks (known: ${Object.keys(runners).join(', ')})`);
  return f;
}

export interface TaskRunOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Each batch's values as it arrives (items `from`…, `perItem` values each), in completion order. */
  onBatch?: (from: number, values: Float32Array) => void;
}

/** Runs all items of a task; `forwardMs` is the time in forward passes (several endpoints: the summed time ÷ the number of endpoints). */
export interface TaskRunner {
  /** How many models run batches in parallel. */
  readonly size: number;
  run(volume: Float32Array, task: ForwardTask, o?: TaskRunOptions): Promise<RangeResult>;
}

export interface Endpoint {
  run(volume: Float32Array, volumeKey: number, task: ForwardTask, taskId: number, from: number, to: number, signal?: AbortSignal): Promise<RangeResult>;
  /** The task is finished: its shared data may go. */
  release(taskId: number): void;
  /** Ranges this endpoint may hold at once (default 1). */
  readonly depth?: number;
}

export class LocalEndpoint implements Endpoint {
  /** `yieldEvery` > 0: await a macrotask before each batch, so a worker can read a 'cancel' message. */
  constructor(
    private readonly model: Predictor,
    private readonly runners: RangeRunners,
    private readonly yieldEvery = 0,
  ) {}
  async run(volume: Float32Array, _key: number, task: ForwardTask, _id: number, from: number, to: number, signal?: AbortSignal): Promise<RangeResult> {
    if (this.yieldEvery > 0) {
      await nextMacrotask();
      throwIfAborted(signal);
    }
    return runnerFor(this.runners, task)(this.model, volume, task, from, to, { signal, yieldEvery: this.yieldEvery });
  }
  release(): void {}
}

// ---- the pool protocol (over a MessagePort) -------------------------------------------------------

export type ToHelper =
  | { type: 'volume'; key: number; volume: Float32Array }
  | { type: 'task'; id: number; task: ForwardTask }
  | { type: 'range'; id: number; task: number; volume: number; from: number; to: number }
  | { type: 'release'; task: number };

export type FromHelper =
  | { type: 'range-result'; id: number; values: Float32Array; forwardMs: number }
  | { type: 'range-error'; id: number; name: string; message: string; kind: ErrorKind };

/** The smallest common shape of a browser MessagePort / Worker and an adapted node:worker_threads port. */
export interface PortLike {
  postMessage(msg: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
}

export class HelperError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    name: string,
  ) {
    super(message);
    this.name = name;
  }
}

export class PortEndpoint implements Endpoint {
  /**
   * Two ranges in flight: the helper finds its next range queued when it finishes one, instead of
   * idling until the coordinating thread — busy with its own batch — reads the result and sends
   * another (measured on Node: one helper beside the main thread took 5 of 16 Score-CAM batches
   * with one range in flight, 0.69× the one-worker time).
   */
  readonly depth = 2;
  private volumeKey = -1;
  private readonly tasks = new Set<number>();
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: RangeResult) => void; reject: (e: Error) => void }>();

  constructor(private readonly port: PortLike) {
    port.addEventListener('message', (ev) => {
      const m = ev.data as FromHelper;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'range-result') p.resolve({ values: m.values, forwardMs: m.forwardMs });
      else p.reject(m.kind === 'abort' ? new DOMException(m.message, 'AbortError') : new HelperError(m.message, m.kind, m.name));
    });
  }

  run(volume: Float32Array, volumeKey: number, task: ForwardTask, taskId: number, from: number, to: number): Promise<RangeResult> {
    if (this.volumeKey !== volumeKey) {
      this.post({ type: 'volume', key: volumeKey, volume });
      this.volumeKey = volumeKey;
    }
    if (!this.tasks.has(taskId)) {
      this.post({ type: 'task', id: taskId, task });
      this.tasks.add(taskId);
    }
    const id = ++this.seq;
    return new Promise<RangeResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'range', id, task: taskId, volume: volumeKey, from, to });
    });
  }

  release(taskId: number): void {
    if (this.tasks.delete(taskId)) this.post({ type: 'release', task: taskId });
  }

  /** The helper died: fail what is waiting on it. */
  fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private post(m: ToHelper): void {
    this.port.postMessage(m);
  }
}

/** The helper side of a PortEndpoint: answers range requests with the task kind's range function on its own model. */
export function serveTasks(port: PortLike, model: () => Predictor, runners: RangeRunners): void {
  let volume: { key: number; data: Float32Array } | null = null;
  const tasks = new Map<number, ForwardTask>();
  const reply = (m: FromHelper, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  // one range at a time, in arrival order (each helper has one model and one thread)
  let chain = Promise.resolve();
  port.addEventListener('message', (ev) => {
    const m = ev.data as ToHelper;
    if (m.type === 'volume') volume = { key: m.key, data: m.volume };
    else if (m.type === 'task') tasks.set(m.id, m.task);
    else if (m.type === 'release') tasks.delete(m.task);
    else if (m.type === 'range') {
      chain = chain.then(async () => {
        try {
          const task = tasks.get(m.task);
          if (!task) throw new Error(`pool helper: unknown task ${m.task}`);
          if (!volume || volume.key !== m.volume) throw new Error(`pool helper: volume ${m.volume} was not sent`);
          const r = await runnerFor(runners, task)(model(), volume.data, task, m.from, m.to);
          reply({ type: 'range-result', id: m.id, values: r.values, forwardMs: r.forwardMs }, [r.values.buffer as ArrayBuffer]);
        } catch (e) {
          const c = classifyError(e);
          reply({ type: 'range-error', id: m.id, name: c.name, message: c.message, kind: c.kind });
        }
      });
    }
  });
}

// ---- the pool -----------------------------------------------------------------------------------

const volumeKeys = new WeakMap<Float32Array, number>();
let nextVolumeKey = 1;
/** A key per volume array: the same array is sent to each helper once. */
export function volumeKey(v: Float32Array): number {
  let k = volumeKeys.get(v);
  if (k === undefined) volumeKeys.set(v, (k = nextVolumeKey++));
  return k;
}

let nextTaskId = 1;

export class TaskPool implements TaskRunner {
  constructor(readonly endpoints: Endpoint[]) {
    if (endpoints.length === 0) throw new Error('a task pool needs at least one endpoint');
  }

  /** Batches each endpoint ran in the last run (how the work was shared). */
  lastShares: number[] = [];

  get size(): number {
    return this.endpoints.length;
  }

  async run(volume: Float32Array, task: ForwardTask, o: TaskRunOptions = {}): Promise<RangeResult> {
    const batches = taskBatches(task);
    const total = task.items;
    const per = task.perItem;
    const values = new Float32Array(total * per);
    const id = nextTaskId++;
    const key = volumeKey(volume);
    // one failure (or the caller's abort) stops every endpoint from taking more batches
    const stop = new AbortController();
    const onAbort = () => stop.abort(o.signal!.reason);
    o.signal?.addEventListener('abort', onAbort);
    let next = 0;
    let done = 0;
    let forwardMs = 0;
    const shares = this.endpoints.map(() => 0);
    this.lastShares = shares;
    o.onProgress?.(0, total);
    const drain = async (ep: Endpoint, e: number) => {
      while (next < batches.length) {
        throwIfAborted(stop.signal);
        const [from, to] = batches[next++];
        const r = await ep.run(volume, key, task, id, from, to, stop.signal);
        throwIfAborted(stop.signal);
        values.set(r.values, from * per);
        o.onBatch?.(from, r.values);
        forwardMs += r.forwardMs;
        shares[e]++;
        done += to - from;
        o.onProgress?.(done, total);
      }
    };
    try {
      throwIfAborted(o.signal);
      await Promise.all(
        this.endpoints.flatMap((ep, e) =>
          Array.from({ length: Math.max(1, ep.depth ?? 1) }, () =>
            drain(ep, e).catch((err: unknown) => {
              if (!stop.signal.aborted) stop.abort(err);
              throw err;
            }),
          ),
        ),
      );
    } catch (e) {
      throwIfAborted(o.signal);
      // the first failure, not the aborts it caused in the other endpoints
      throw stop.signal.reason instanceof Error ? stop.signal.reason : e;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      for (const ep of this.endpoints) ep.release(id);
    }
    return { values, forwardMs: forwardMs / this.endpoints.length };
  }
}

/** Everything in this thread, on one model. */
export function localRunner(model: Predictor, runners: RangeRunners, yieldEvery = 0): TaskRunner {
  return new TaskPool([new LocalEndpoint(model, runners, yieldEvery)]);
}
