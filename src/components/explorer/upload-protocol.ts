/** Messages between the explorer page and its upload-parsing worker (upload-worker.ts). */
import type { PreparedVolume } from '../../lib/data/user-volume';

export interface ToUploadWorker {
  file: File;
  /** the model's cube edge */
  size: number;
}

export type FromUploadWorker =
  | { type: 'progress'; read: number; total: number }
  | { type: 'result'; prepared: PreparedVolume }
  | { type: 'error'; message: string };
