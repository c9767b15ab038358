/** Entry of a NodePool helper thread: its own backend and model, answering range requests (serveTasks). */
import { parentPort, workerData } from 'node:worker_threads';
import { initNodeBackend } from '../model/backend.node.ts';
import { fuseForInference, warmUp } from '../model/inference';
import { DEFAULT_BATCH_SIZE } from '../cam/types';
import { modelFromArtifacts } from '../model/io';
import { classifyError } from '../model/errors';
import { serveTasks } from '../tasks/pool';
import { FORWARD_RUNNERS } from './runners';
import { adaptPort, type HelperData } from './pool.node.ts';

const data = workerData as HelperData;
try {
  await initNodeBackend(data.backend);
  const source = modelFromArtifacts(data.modelJson, data.weights, 'pool helper');
  const model = data.fused ? fuseForInference(source) : source;
  warmUp(model, DEFAULT_BATCH_SIZE);
  serveTasks(adaptPort(data.port), () => model, FORWARD_RUNNERS);
  parentPort!.postMessage({ type: 'ready' });
} catch (e) {
  parentPort!.postMessage({ type: 'failed', message: classifyError(e).message });
}
