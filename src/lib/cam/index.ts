/** Score-CAM, Faster Score-CAM and Grad-CAM for the 3D ResNet: one library for build, CLIs and browser. */
export * from './types';
export { upsampleTrilinear, interpolationMatrix, Upsampler } from './upsample';
export { scoreCam, selectChannels, channelStats, combineWeights, stageActivations } from './scorecam';
export { gradCam } from './gradcam';
export { throwIfAborted, isAbortError } from '../util/async';
export { reluNormalize } from './common';

export { computeCam } from './compute';
export { localRunner, TaskPool, LocalEndpoint, PortEndpoint, serveTasks, type TaskRunner } from '../parallel/pool';
export { FORWARD_RUNNERS } from './runners';
