/** Cancellation and cooperative yielding shared by the CAM and metrics loops (browser and Node). */

/** Throws the standard AbortError (a DOMException named 'AbortError') when the signal is aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    const reason = signal.reason;
    if (reason instanceof Error && reason.name === 'AbortError') throw reason;
    throw new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted.', 'AbortError');
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** Awaits one macrotask (setImmediate in Node, a MessageChannel tick or setTimeout elsewhere). */
export function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
