/** Node-only: point tfjs-backend-wasm at the .wasm files in node_modules and pick a backend. */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendName } from './backend';

let wasmPathSet = false;

export async function initNodeBackend(name: BackendName | string = 'wasm'): Promise<string> {
  if (!wasmPathSet) {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(path.join(dir, 'dist') + path.sep);
    wasmPathSet = true;
  }
  if (name !== 'wasm' && name !== 'cpu') throw new Error(`backend '${name}' is not available in Node (use wasm or cpu)`);
  if (!(await tf.setBackend(name))) throw new Error(`could not start the ${name} backend`);
  await tf.ready();
  return tf.getBackend();
}
