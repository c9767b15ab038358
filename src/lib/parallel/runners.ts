/** Every task kind a worker pool runs, by kind: what a pool's helpers (and its local endpoint) need. */
import type { RangeRunners } from '../tasks/batches';
import { runCurveRange } from '../metrics/curve-task';
import { runScoreCamRange } from '../cam/scorecam-task';

export const FORWARD_RUNNERS: RangeRunners = { scorecam: runScoreCamRange, curves: runCurveRange };
