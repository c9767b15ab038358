/** The page's side of the cloud worker (cloud-worker.ts): one worker for the page, jobs by id. */
import { cloudPoints, type CloudPoints } from '../../lib/viz/cloud-view';
import type { CloudJob } from './cloud-worker';

let worker: Worker | null = null;
let next = 0;
const pending = new Map<number, { resolve: (p: CloudPoints) => void; reject: (e: Error) => void }>();

function spawn(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  try {
    const w = new Worker(new URL('./cloud-worker.ts', import.meta.url), { type: 'module', name: 'scorecam-cloud' });
    w.onmessage = (e: MessageEvent<{ id: number; points?: CloudPoints; error?: string }>) => {
      const job = pending.get(e.data.id);
      if (!job) return;
      pending.delete(e.data.id);
      if (e.data.points) job.resolve(e.data.points);
      else job.reject(new Error(e.data.error ?? 'cloud worker failed'));
    };
    w.onerror = () => {
      for (const j of pending.values()) j.reject(new Error('the cloud worker stopped'));
      pending.clear();
      worker = null;
    };
    return w;
  } catch {
    return null;
  }
}

/** The tissue points of an S³ CT at a grid step, built in the worker (on the page where there is none). */
export function buildCloud(ct: Float32Array, size: number, stride: number): Promise<CloudPoints> {
  worker ??= spawn();
  if (!worker) return Promise.resolve(cloudPoints(ct, size, stride));
  const id = ++next;
  const w = worker;
  return new Promise<CloudPoints>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // a copy goes to the worker: the page keeps its CT
    const job: CloudJob = { id, ct: ct.slice(), size, stride };
    w.postMessage(job, [job.ct.buffer]);
  });
}
