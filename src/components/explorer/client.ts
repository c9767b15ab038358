/** Promise-based wrapper around the model worker. */
import type { FromWorker, ToWorker } from './protocol';

type Dist<T> = T extends unknown ? Omit<T, 'id'> : never;
export type Request = Dist<Exclude<ToWorker, { type: 'cancel' }>>;

export class WorkerError extends Error {
  constructor(
    message: string,
    public readonly kind: 'abort' | 'model' | 'backend' | 'input',
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

export class ModelWorker {
  private worker: Worker;
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; onProgress?: (m: FromWorker & { type: 'progress' }) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'scorecam-model' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m);
      else {
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.result);
        else p.reject(new WorkerError(m.message, m.kind, m.name));
      }
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      const err = new WorkerError(`the model worker crashed: ${ev.message || 'unknown error'}`, 'backend');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  run<T>(req: Request, onProgress?: (m: FromWorker & { type: 'progress' }) => void, transfer: Transferable[] = []): Job<T> {
    const id = this.next++;
    const promise = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
    });
    this.worker.postMessage({ ...req, id }, transfer);
    return { id, promise, cancel: () => this.worker.postMessage({ id: 0, type: 'cancel', job: id } satisfies ToWorker) };
  }

  terminate(): void {
    this.worker.terminate();
    const err = new WorkerError('stopped', 'abort');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
