/**
 * The explorer's state as a URL query, both ways: the explorer keeps its address bar in step with
 * its controls, and the Results page (snapshots, table rows) links into it at a volume and setting.
 * Pure TypeScript; unknown or malformed values are dropped, so a hand-edited URL cannot break the page.
 */
import { isCamMethod, parseMethodKey, type CamMethod } from '../cam/methods';
import { volumeId } from '../data/shipped';

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

/** The precompute cache's method keys: `scorecam-s4` → {method, stage} (the registry, cam/methods.ts). */
export { parseMethodKey };

/** Query string (without '?') of a state; only the fields that are set, in a fixed order. */
export function explorerQuery(s: ExplorerState): string {
  const q = new URLSearchParams();
  if (s.volume) q.set('volume', s.volume);
  if (s.method) q.set('method', s.method);
  if (s.stage) q.set('stage', String(s.stage));
  if (s.target !== undefined) q.set('target', String(s.target));
  if (s.threshold !== undefined) q.set('threshold', s.threshold.toFixed(2));
  return q.toString();
}

/** Reads a state from a query; keeps only valid fields. */
export function parseExplorerQuery(search: string | URLSearchParams, numClasses = 11): ExplorerState {
  const q = typeof search === 'string' ? new URLSearchParams(search) : search;
  const out: ExplorerState = {};
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
