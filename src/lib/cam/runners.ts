/** Every task kind a worker pool runs, by kind: what a pool's helpers (and its local endpoint) need. */
import type { RangeRunners } from '../parallel/batches';
import { runCurveRange } from '../metrics/curve-task';
import { runScoreCamRange } from './scorecam-task';

export const FORWARD_RUNNERS: RangeRunners = { scorecam: runScoreCamRange, curves: runCurveRange };
