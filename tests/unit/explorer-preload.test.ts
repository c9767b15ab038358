/**
 * The explorer's worker loads every CAM method's weights code at start-up (preloadMethodCode in
 * src/components/explorer/runtime/worker.ts), so no script is fetched once a reader has opened a file
 * of their own. It names the registry's import() targets itself: this checks that the two lists agree,
 * so a method added to src/lib/cam/methods.ts is preloaded too.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const targets = (src: string, prefix: string) =>
  [...src.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]).filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)).sort();

describe('explorer worker preloads the CAM methods', () => {
  it('imports every module the registry loads lazily', () => {
    const registry = [...new Set(targets(readFileSync('src/lib/cam/methods.ts', 'utf8'), './'))];
    const worker = targets(readFileSync('src/components/explorer/runtime/worker.ts', 'utf8'), '../../../lib/cam/');
    expect(registry.length).toBeGreaterThan(0);
    expect(worker).toEqual(registry);
  });
});
