/// <reference lib="webworker" />
/**
 * Parses a reader's own volume (.npy, .nii, .nii.gz) off the main thread: a 157 MB int16 volume
 * blocked the page for 3.4 s, and a .nii.gz whose trailer lies about its size for 45 s, when this
 * ran on the page. The file is read as a stream (a .nii.gz is inflated chunk by chunk, with the
 * caps of src/lib/data/inflate.ts), prepared for the model (prepareUserVolume: the same code the
 * CLI's `explain --file` runs), and the S³ float32 volume is transferred back, not copied.
 * One file per worker: the page terminates it to cancel, which also frees all its memory.
 */
import { prepareUserVolume, readUserFileStream } from '../../lib/data/user-volume';
import type { FromUploadWorker, ToUploadWorker } from './upload-protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function* chunksOf(file: Blob, onRead: (n: number) => void): AsyncIterable<Uint8Array> {
  const reader = file.stream().getReader();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.length;
    onRead(read);
    yield value;
  }
}

scope.onmessage = async (ev: MessageEvent<ToUploadWorker>) => {
  const { file, size } = ev.data;
  const post = (m: FromUploadWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  try {
    const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
    const t = file.size >= 18 ? new Uint8Array(await file.slice(file.size - 4).arrayBuffer()) : new Uint8Array(4);
    const isize = (t[0] | (t[1] << 8) | (t[2] << 16) | (t[3] << 24)) >>> 0;
    let last = 0;
    const arr = await readUserFileStream(file.name, file.size, head, chunksOf(file, (n) => {
      if (n - last >= 4 << 20 || n === file.size) {
        last = n;
        post({ type: 'progress', read: n, total: file.size });
      }
    }), isize);
    const prepared = prepareUserVolume(arr, file.name, size);
    post({ type: 'result', prepared }, [prepared.volume.buffer]);
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
};
