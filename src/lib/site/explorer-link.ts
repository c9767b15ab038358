/**
 * The explorer's state as a URL query, both ways: the explorer keeps its address bar in step with
 * its controls, and the Results page (snapshots, table rows) links into it at a volume and setting.
 * Pure TypeScript; unknown or malformed values are dropped, so a hand-edited URL cannot break the page.
 */
import { isCamMethod, parseMethodKey, type CamMethod } from '../cam/methods';
import { volumeId } from '../data/shipped';
import { parseViewState, type ViewState } from './view-state';

export interface ExplorerState {
  /** shipped volume id, e.g. "test-0066" */
  volume?: string;
  method?: CamMethod;
  stage?: 1 | 2 | 3 | 4;
  /** class index to explain; absent: the predicted class */
  target?: number;
  /** CAM display threshold in [0, 1) */
  threshold?: number;
}

/**
 * How the explorer's model runs: options for tests, benchmarks and readers who want a backend.
 * The page parses them once (parseExplorerQuery) and hands them to its model runtime.
 */
export interface ExplorerRuntime {
  /** TensorFlow.js backend to try first (`?backend=`); absent: measured and chosen. */
  backend?: (typeof BACKENDS)[number];
  /** Model folder under models/ (`?model=`). */
  model?: string;
  /** Workers in the pool (`?workers=N`, N ≥ 1); absent: from the device's cores and memory. */
  workers?: number;
  /** wasm threads per worker (`?threads=N`: multithreaded wasm, on a cross-origin-isolated page only). */
  threads?: number;
  /** false: the training model's forward instead of the fused inference model (`?fused=0`, benchmarks). */
  fused?: boolean;
  /** `?autorun=1`: always run the live CAM when a volume opens; `0`: never; absent: when it is quick. */
  autorun?: boolean;
}

/**
 * What the page's query says: the state (links), and where given the runtime options and the view
 * (view-state.ts: mode, layers, opacity, slice, camera; the page writes it back with its own controls).
 */
export interface ExplorerQuery extends ExplorerState {
  runtime?: ExplorerRuntime;
  view?: ViewState;
}

const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** The precompute cache's method keys: `scorecam-s4` → {method, stage} (the registry, cam/methods.ts). */
export { parseMethodKey };

/** Query string (without '?') of a state (and runtime options); only the fields that are set, in a fixed order. */
export function explorerQuery(s: ExplorerQuery): string {
  const q = new URLSearchParams();
  if (s.volume) q.set('volume', s.volume);
  if (s.method) q.set('method', s.method);
  if (s.stage) q.set('stage', String(s.stage));
  if (s.target !== undefined) q.set('target', String(s.target));
  if (s.threshold !== undefined) q.set('threshold', s.threshold.toFixed(2));
  const r = s.runtime ?? {};
  if (r.backend) q.set('backend', r.backend);
  if (r.model) q.set('model', r.model);
  if (r.workers !== undefined) q.set('workers', String(r.workers));
  if (r.threads !== undefined) q.set('threads', String(r.threads));
  if (r.fused !== undefined) q.set('fused', r.fused ? '1' : '0');
  if (r.autorun !== undefined) q.set('autorun', r.autorun ? '1' : '0');
  return q.toString();
}

/** The runtime options of a query; absent when it sets none. */
function parseRuntime(q: URLSearchParams): ExplorerRuntime | undefined {
  const r: ExplorerRuntime = {};
  const b = q.get('backend');
  if (b && (BACKENDS as readonly string[]).includes(b)) r.backend = b as ExplorerRuntime['backend'];
  const model = q.get('model');
  if (model && /^[A-Za-z0-9._-]{1,64}$/.test(model)) r.model = model;
  const count = (k: string, min: number) => {
    const v = q.get(k);
    return v !== null && /^\d{1,3}$/.test(v) && Number(v) >= min ? Number(v) : undefined;
  };
  const workers = count('workers', 1);
  if (workers !== undefined) r.workers = workers;
  const threads = count('threads', 0);
  if (threads !== undefined) r.threads = threads;
  const flag = (k: string) => {
    const v = q.get(k);
    return v === '0' ? false : v === '1' ? true : undefined;
  };
  const fused = flag('fused');
  if (fused !== undefined) r.fused = fused;
  const autorun = flag('autorun');
  if (autorun !== undefined) r.autorun = autorun;
  return Object.keys(r).length ? r : undefined;
}

/** Reads a state, the runtime options and the view from a query; keeps only valid fields. */
export function parseExplorerQuery(search: string | URLSearchParams, numClasses = 11, size = 64): ExplorerQuery {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const out: ExplorerQuery = {};
  const volume = q.get('volume');
  if (volume && /^[A-Za-z0-9._-]{1,64}$/.test(volume)) out.volume = volume;
  const method = q.get('method');
  if (isCamMethod(method)) out.method = method;
  const stage = Number(q.get('stage'));
  if ([1, 2, 3, 4].includes(stage)) out.stage = stage as 1 | 2 | 3 | 4;
  const t = q.get('target');
  if (t !== null && /^\d+$/.test(t) && Number(t) < numClasses) out.target = Number(t);
  const th = q.get('threshold');
  if (th !== null && th !== '' && Number.isFinite(Number(th)) && Number(th) >= 0 && Number(th) < 1) out.threshold = Number(th);
  const runtime = parseRuntime(q);
  if (runtime) out.runtime = runtime;
  const view = parseViewState(q, size);
  if (Object.keys(view).length) out.view = view;
  return out;
}

/**
 * Site-relative link (no base: wrap it in withBase) into the explorer at a test volume and setting.
 * The Results page's snapshot figures and table rows use this.
 */
export function explorerLink(s: ExplorerState & { testIndex?: number; methodKey?: string }): string {
  const { testIndex, methodKey, ...rest } = s;
  const mk = methodKey ? parseMethodKey(methodKey) : null;
  const state: ExplorerState = { ...rest };
  if (testIndex !== undefined && !state.volume) state.volume = volumeId('test', testIndex);
  if (mk && !state.method) {
    state.method = mk.method;
    if (mk.stage >= 1 && mk.stage <= 4) state.stage = mk.stage as 1 | 2 | 3 | 4;
  }
  const q = explorerQuery(state);
  return `explorer/${q ? `?${q}` : ''}`;
}
