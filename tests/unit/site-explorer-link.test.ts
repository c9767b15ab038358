import { describe, expect, it } from 'vitest';
import { explorerLink, explorerQuery, parseExplorerQuery, parseMethodKey } from '../../src/lib/site/explorer-link';

describe('explorer links', () => {
  it('round-trips a state through the query', () => {
    const s = { volume: 'test-0066', method: 'gradcam' as const, stage: 2 as const, target: 7, threshold: 0.35 };
    expect(parseExplorerQuery(explorerQuery(s))).toEqual(s);
  });
  it('drops what is not a valid setting', () => {
    expect(parseExplorerQuery('volume=../../etc&method=magic&stage=9&target=11&threshold=1.5')).toEqual({});
    expect(parseExplorerQuery('target=10&threshold=0')).toEqual({ target: 10, threshold: 0 });
  });
  it('parses the runtime options once, with the state, and writes them back', () => {
    const q = parseExplorerQuery('volume=test-0001&backend=wasm&workers=2&threads=0&fused=0&autorun=1&model=resnet10-phantom64');
    expect(q).toEqual({ volume: 'test-0001', runtime: { backend: 'wasm', workers: 2, threads: 0, fused: false, autorun: true, model: 'resnet10-phantom64' } });
    expect(parseExplorerQuery(explorerQuery(q))).toEqual(q);
    expect(parseExplorerQuery('backend=tpu&workers=0&threads=x&fused=maybe&model=../x').runtime).toBeUndefined();
    // the view (view-state.ts) comes with the same parse
    expect(parseExplorerQuery('method=gradcam&view=surfaces&slice=1,2,3').view).toEqual({ mode: 'surfaces', slice: [1, 2, 3] });
  });
  it('links a Results snapshot (test index + cache method key) into the explorer', () => {
    expect(explorerLink({ testIndex: 66, methodKey: 'scorecam-s4', target: 0 })).toBe('explorer/?volume=test-0066&method=scorecam&stage=4&target=0');
    expect(parseMethodKey('faster-scorecam-s3')).toEqual({ method: 'faster-scorecam', stage: 3 });
    expect(parseMethodKey('random')).toBeNull();
  });
});
