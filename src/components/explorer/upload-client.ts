/** The page's side of the upload worker: one worker per file, terminated when done or replaced. */
import type { PreparedVolume } from '../../lib/data/user-volume';
import type { FromUploadWorker, ToUploadWorker } from './upload-protocol';

let current: { worker: Worker; reject: (e: unknown) => void } | null = null;

const spawn = (): Worker => new Worker(new URL('./upload-worker.ts', import.meta.url), { type: 'module', name: 'scorecam-upload' });
// a worker started with the page: once the page has loaded, opening a file makes no request (works offline)
let spare: Worker | null = typeof Worker === 'undefined' ? null : spawn();

/**
 * Reads and prepares `file` in a worker (see upload-worker.ts). Starting another upload cancels
 * this one: its worker is terminated and its promise rejects with an AbortError.
 * `onProgress` gets the bytes read so far.
 */
export function parseUpload(file: File, size: number, onProgress?: (read: number, total: number) => void): Promise<PreparedVolume> {
  if (current) {
    current.worker.terminate();
    current.reject(new DOMException('replaced by a newer upload', 'AbortError'));
  }
  const worker = spare ?? spawn();
  spare = null;
  return new Promise<PreparedVolume>((resolve, reject) => {
    const job = { worker, reject };
    current = job;
    const done = () => {
      worker.terminate();
      if (current === job) current = null;
      spare ??= spawn();
    };
    worker.onmessage = (ev: MessageEvent<FromUploadWorker>) => {
      const m = ev.data;
      if (m.type === 'progress') return onProgress?.(m.read, m.total);
      done();
      if (m.type === 'result') resolve(m.prepared);
      else reject(new Error(m.message));
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      done();
      reject(new Error(`the file reader stopped: ${ev.message || 'out of memory?'}`));
    };
    worker.postMessage({ file, size } satisfies ToUploadWorker);
  });
}
