/** The page's side of the upload worker (upload-worker.ts). */
import type { PreparedVolume } from '../../lib/data/user-volume';
import type { FromUploadWorker, ToUploadWorker } from './upload-protocol';

const spawn = (): Worker => new Worker(new URL('./upload-worker.ts', import.meta.url), { type: 'module', name: 'scorecam-upload' });

// Started with the page and kept between files, so once the page has loaded, opening a file makes
// no request at all (it works offline). It is replaced only when a running parse is cancelled.
let worker: Worker | null = typeof Worker === 'undefined' ? null : spawn();
let running: ((e: unknown) => void) | null = null;

/**
 * Reads and prepares `file` in the worker. Starting another upload while one is parsing cancels
 * it: the worker is terminated (freeing its memory at once) and that promise rejects with an
 * AbortError. `onProgress` gets the bytes read so far.
 */
export function parseUpload(file: File, size: number, onProgress?: (read: number, total: number) => void): Promise<PreparedVolume> {
  if (running && worker) {
    worker.terminate();
    worker = null;
    running(new DOMException('replaced by a newer upload', 'AbortError'));
  }
  const w = (worker ??= spawn());
  return new Promise<PreparedVolume>((resolve, reject) => {
    running = reject;
    const settle = () => {
      running = null;
      w.onmessage = null;
      w.onerror = null;
    };
    w.onmessage = (ev: MessageEvent<FromUploadWorker>) => {
      const m = ev.data;
      if (m.type === 'progress') return onProgress?.(m.read, m.total);
      settle();
      if (m.type === 'result') resolve(m.prepared);
      else reject(new Error(m.message));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      settle();
      // a crashed worker (e.g. out of memory) is not reused
      w.terminate();
      if (worker === w) worker = null;
      reject(new Error(`the file reader stopped: ${ev.message || 'out of memory?'}`));
    };
    w.postMessage({ file, size } satisfies ToUploadWorker);
  });
}
