import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { ISOLATION_HEADERS, resolveFile, serveStatic } from '../../scripts/lib/static-server';

// the bench's cross-origin-isolated copy of the site (npm run bench:browser -- --isolated yes)
describe('static server for the built site', () => {
  const root = mkdtempSync(join(tmpdir(), 'static-'));
  mkdirSync(join(root, 'explorer'));
  writeFileSync(join(root, 'index.html'), '<p>home</p>');
  writeFileSync(join(root, 'explorer', 'index.html'), '<p>explorer</p>');
  writeFileSync(join(root, 'm.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, '..', 'secret.txt'), 'outside');

  it('maps the base path onto the folder, folders onto their index.html', () => {
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3d/')).toBe(join(root, 'index.html'));
    expect(resolveFile(root, '/scorecam-3d/', '/scorecam-3d/explorer/?autorun=0')).toBe(join(root, 'explorer', 'index.html'));
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3d/m.wasm')).toBe(join(root, 'm.wasm'));
    expect(resolveFile(root, '', '/explorer')).toBe(join(root, 'explorer', 'index.html'));
  });

  it('answers nothing outside the base path or the folder', () => {
    expect(resolveFile(root, 'scorecam-3d', '/other/index.html')).toBeNull();
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3dx/index.html')).toBeNull();
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3d/../secret.txt')).toBeNull();
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3d/%2e%2e/secret.txt')).toBeNull();
    expect(resolveFile(root, 'scorecam-3d', '/scorecam-3d/missing.js')).toBeNull();
  });

  let server: Server;
  const port = 45871;
  beforeAll(async () => {
    server = await serveStatic({ root, base: 'scorecam-3d', port, headers: ISOLATION_HEADERS });
  });
  afterAll(() => server?.close());

  it('sends the isolation headers and the wasm type on every response', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/scorecam-3d/m.wasm`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/wasm');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    const missing = await fetch(`http://127.0.0.1:${port}/scorecam-3d/nope.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });
});
