/**
 * What went wrong, for a caller that must decide what to do next: a backend failure is worth a
 * fallback to the next backend; running out of memory is not (the next backend is slower and no
 * bigger); bad input needs another input; anything else is a bug to report, not to retry.
 * Worker and pool errors cross a postMessage as { name, message, kind }.
 */

export type ErrorKind = 'abort' | 'model' | 'input' | 'backend' | 'memory' | 'bug';

/** Bad input the caller can fix (wrong volume size, stage or target). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A backend that cannot run (failed to start, lost its device). */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

/**
 * Messages the backends give when they run out of memory: the JS engine (array buffers), tfjs-wasm
 * (the 4 GB wasm cap aborts with "Aborted()"), WebGL ("OOM", failed texture allocation), WebGPU.
 */
const MEMORY = /out of memory|\bOOM\b|allocation failed|could not allocate|failed to allocate|Invalid array length|Aborted\(\)|Cannot enlarge memory/i;
/**
 * Messages of backends that cannot run: a lost WebGL context or WebGPU device, shaders that do
 * not compile or link, wasm that does not instantiate, a backend that did not initialise.
 */
const BACKEND =
  /context (was )?lost|device (was )?lost|GPUDevice|failed to compile|compile (fragment|vertex|shader)|link (vertex|fragment|program)|shader|WebGL|WebGPU|WebAssembly\.instantiate|wasm (validation|instantiate)|backend .*(not .*initiali[sz]ed|could not start|failed to initiali[sz]e)|no TensorFlow\.js backend/i;

export interface ClassifiedError {
  name: string;
  message: string;
  kind: ErrorKind;
}

export function classifyError(e: unknown): ClassifiedError {
  const err = e instanceof Error ? e : new Error(String(e));
  const named = (kind: ErrorKind): ClassifiedError => ({ name: err.name, message: err.message, kind });
  if (err.name === 'AbortError') return named('abort');
  if (err.name === 'ModelLoadError') return named('model');
  if (err.name === 'InputError' || err.name === 'DataFormatError') return named('input');
  if (err.name === 'BackendError') return named('backend');
  if (err instanceof RangeError && /array buffer|allocation|memory|array length/i.test(err.message)) return named('memory');
  if (MEMORY.test(err.message)) return named('memory');
  if (BACKEND.test(err.message)) return named('backend');
  // Unknown: a bug. Keep the stack's first frames, so the report says where.
  const where = err.stack?.split('\n').slice(1, 3).map((l) => l.trim()).join(' ← ');
  return { name: err.name, message: where ? `${err.message} (at ${where})` : err.message, kind: 'bug' };
}
