/**
 * `tsx scripts/lib/parallel-probe.ts MODEL_DIR REPS`: times REPS fused batch-8 forward passes of
 * the model on one wasm thread and prints {"ms": …} — the unit of work the parallel ceiling
 * (parallel-ceiling.ts) runs alone and in several processes at once.
 */
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { fuseForInference } from '../../src/lib/model/inference';
import { loadModelDir } from './model-dir';

const [dir, repsArg] = process.argv.slice(2);
await initNodeBackend('wasm');
const { model } = await loadModelDir(dir);
const fused = fuseForInference(model);
const s = model.config.inputSize;
const x = tf.randomUniform([8, s, s, s], 0, 1, 'float32', 7);
const pass = async () => {
  const p = fused.predict(x);
  await p.data();
  p.dispose();
};
await pass(); // XNNPACK builds its operators on first use
const t0 = performance.now();
for (let i = 0; i < Number(repsArg); i++) await pass();
console.log(JSON.stringify({ ms: performance.now() - t0 }));
