/** CAM methods (methods.ts: Score-CAM and its variants, Faster Score-CAM, Grad-CAM, …) for the 3D ResNet: one library for build, CLIs and browser. */
export * from './types';
export * from './methods';
export { upsampleTrilinear, interpolationMatrix, Upsampler } from './upsample';
export { selectChannels, channelStats, combineWeights } from './scorecam';
export { stageActivations } from './activations';
export { throwIfAborted, isAbortError } from '../util/async';
export { reluNormalize } from './common';

export { computeCam, weightedSum } from './compute';
export { localRunner, TaskPool, LocalEndpoint, PortEndpoint, serveTasks, type TaskRunner } from '../tasks/pool';
