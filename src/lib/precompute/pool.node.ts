/**
 * A pool of worker processes for the precompute (Node only). Each worker loads the model and the
 * dataset once, then takes tasks one at a time from the parent's queue, so N workers keep N cores
 * busy even when volumes differ in cost (the extras volumes take several times longer): scales
 * with --workers up to the machine's cores. tfjs-wasm in Node runs one thread per process.
 */
import { fork, type ChildProcess } from 'node:child_process';

export type Task<T> = { id: number; payload: T };
type FromWorker<R> = { type: 'ready' } | { type: 'result'; id: number; result: R } | { type: 'error'; id: number; message: string };
type ToWorker<T> = { type: 'task'; id: number; payload: T } | { type: 'exit' };

/**
 * Runs `payloads` on `workers` forked copies of `script` (started with `args`), longest first if
 * the caller sorted them so, and calls onResult as each finishes. Rejects on the first error.
 */
export function runPool<T, R>(
  script: string,
  args: string[],
  workers: number,
  payloads: T[],
  onResult: (payload: T, result: R) => void,
  log: (m: string) => void,
): Promise<void> {
  if (!payloads.length) return Promise.resolve();
  const queue: Task<T>[] = payloads.map((payload, id) => ({ id, payload }));
  const n = Math.max(1, Math.min(workers, payloads.length));
  const children: ChildProcess[] = [];
  return new Promise<void>((resolve, reject) => {
    let done = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const c of children) c.kill();
      reject(e);
    };
    for (let w = 0; w < n; w++) {
      const child = fork(script, [...args, '--worker-id', String(w)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      children.push(child);
      child.stdout!.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => log(`[w${w}] ${l}`)));
      child.stderr!.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => log(`[w${w}] ${l}`)));
      const next = () => {
        const t = queue.shift();
        child.send((t ? { type: 'task', id: t.id, payload: t.payload } : { type: 'exit' }) satisfies ToWorker<T>);
      };
      child.on('message', (m: FromWorker<R>) => {
        if (m.type === 'ready') next();
        else if (m.type === 'error') fail(new Error(`worker ${w}: ${m.message}`));
        else {
          onResult(payloads[m.id], m.result);
          done++;
          next();
          if (done === payloads.length) resolve();
        }
      });
      child.on('exit', (code) => {
        if (code !== 0 && done < payloads.length) fail(new Error(`worker ${w} exited with code ${code}`));
      });
    }
  });
}

/** The worker side: set up once, then answer tasks until told to exit. */
export async function serveWorker<T, R>(setup: () => Promise<(payload: T) => Promise<R>>): Promise<void> {
  if (!process.send) throw new Error('serveWorker must run in a forked process');
  const handle = await setup();
  await new Promise<void>((resolve) => {
    process.on('message', async (m: ToWorker<T>) => {
      if (m.type === 'exit') return resolve();
      try {
        const result = await handle(m.payload);
        process.send!({ type: 'result', id: m.id, result } satisfies FromWorker<R>);
      } catch (e) {
        process.send!({ type: 'error', id: m.id, message: (e as Error).stack ?? String(e) } satisfies FromWorker<R>);
      }
    });
    process.send!({ type: 'ready' } satisfies FromWorker<R>);
  });
  process.disconnect?.();
}
