/**
 * npm run bench:browser -- [flags; see --help]
 *
 * Score-CAM in headless Chromium (/usr/bin/chromium, --enable-unsafe-webgpu) on each TF.js
 * backend, for one shipped volume, through the explorer's test hook (window.__explorer.benchmark).
 * Builds nothing: serves the existing dist/ with `astro preview` (or uses --url / a running one).
 * Prints milliseconds and ratios against the wasm forward pass and wasm Score-CAM of the same run.
 * Full Score-CAM (stage 4, 128 channels) runs on wasm and on the backends in --full-on (default
 * wasm, webgl); the others (software WebGPU and CPU are slow here) run Faster Score-CAM (16 channels),
 * and wasm runs that too so each row has a same-method baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { num, parseCli, runCli, str, type CliSpec } from './lib/cli';

interface Row {
  backend: string;
  method: string;
  forwardMs: number;
  camMs: number;
  channels: number;
  forwardInputs: number;
  error?: string;
}

export const SPEC: CliSpec = {
  command: 'npm run bench:browser --',
  summary: 'Score-CAM in headless Chromium on each TF.js backend, through the explorer (serves dist/ with astro preview).',
  flags: {
    backends: { type: 'string', arg: 'LIST', def: 'wasm,webgl,webgpu,cpu', help: 'backends to time' },
    'full-on': { type: 'string', arg: 'LIST', def: 'wasm,webgl', help: 'backends that run full Score-CAM (others: Faster)' },
    volume: { type: 'string', arg: 'ID', help: 'shipped volume id, e.g. test-0000' },
    model: { type: 'string', arg: 'DIR', help: 'model folder under the site' },
    timeout: { type: 'string', arg: 'SECONDS', def: 300, help: 'per-backend timeout (1-3600)' },
    port: { type: 'string', arg: 'PORT', def: 4327, help: 'port for astro preview' },
    url: { type: 'string', arg: 'URL', help: 'use a running site instead' },
  },
};

async function reachable(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1500) });
    return r.ok;
  } catch {
    return false;
  }
}

async function main() {
  const v = parseCli(SPEC);
  const base = (process.env.BASE_PATH ?? '/scorecam-3d').replace(/^\/*|\/*$/g, '');
  const port = num(v, 'port', 4327, { min: 1, max: 65535 });
  let url = str(v, 'url', `http://127.0.0.1:${port}/${base ? base + '/' : ''}`);
  if (!url.endsWith('/')) url += '/';
  const backends = str(v, 'backends', 'wasm,webgl,webgpu,cpu').split(',').filter(Boolean);
  const fullOn = new Set(str(v, 'full-on', 'wasm,webgl').split(','));
  const timeoutMs = num(v, 'timeout', 300, { min: 1, max: 3600 }) * 1000;
  const volume = str(v, 'volume', '');
  const model = str(v, 'model', '');

  let server: ChildProcess | null = null;
  if (!(await reachable(url + 'explorer/'))) {
    if (!existsSync('dist/explorer/index.html')) throw new Error('dist/ is missing or has no explorer: run `npm run build` first');
    server = spawn('npx', ['astro', 'preview', '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore', detached: true });
    const t0 = Date.now();
    while (!(await reachable(url + 'explorer/'))) {
      if (Date.now() - t0 > 60_000) throw new Error(`astro preview did not answer on ${url}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update'],
  });
  const rows: Row[] = [];
  try {
    const plan: Array<{ backend: string; method: string }> = [];
    for (const b of backends) {
      if (fullOn.has(b)) plan.push({ backend: b, method: 'scorecam' });
      if (!fullOn.has(b) || b === 'wasm') plan.push({ backend: b, method: 'faster-scorecam' });
    }
    if (!plan.some((p) => p.backend === 'wasm' && p.method === 'faster-scorecam') && plan.some((p) => p.method === 'faster-scorecam')) {
      plan.unshift({ backend: 'wasm', method: 'faster-scorecam' });
    }
    for (const { backend, method } of plan) {
      // a fresh page per run: no state (or GPU memory) carried from one backend to the next
      const page = await browser.newPage();
      const q = new URLSearchParams({ autorun: '0', backend });
      if (volume) q.set('volume', volume);
      if (model) q.set('model', model);
      process.stderr.write(`${backend} ${method}… `);
      try {
        await page.goto(`${url}explorer/?${q}`);
        await page.waitForFunction(() => (window as unknown as { __explorer?: unknown }).__explorer, null, { timeout: 60_000 });
        const r = (await Promise.race([
          page.evaluate(
            ([b, m]) => (window as unknown as { __explorer: { benchmark(o: unknown): Promise<unknown> } }).__explorer.benchmark({ backend: b, method: m, stage: 4 }),
            [backend, method],
          ),
          new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs)),
        ])) as Omit<Row, 'method'>;
        rows.push({ ...r, method });
        process.stderr.write(`${(r.camMs / 1000).toFixed(1)} s\n`);
      } catch (e) {
        const error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
        rows.push({ backend, method, forwardMs: NaN, camMs: NaN, channels: 0, forwardInputs: 0, error });
        process.stderr.write(`failed: ${error}\n`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    if (server?.pid) process.kill(-server.pid);
  }

  const wasmFwd = rows.find((r) => r.backend === 'wasm' && Number.isFinite(r.forwardMs))?.forwardMs ?? NaN;
  const wasmCam = (m: string) => rows.find((r) => r.backend === 'wasm' && r.method === m)?.camMs ?? NaN;
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '–');
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
  console.log(`\nBrowser Score-CAM (stage 4), headless Chromium ${browser.version()}, one 64³ volume; ratios vs wasm in this run`);
  console.log('backend  method            forward ms  fwd/wasm  CAM ms    channels  CAM/wasm fwd  CAM/wasm same method');
  for (const r of rows) {
    console.log(
      [
        r.backend.padEnd(8),
        r.method.padEnd(17),
        ms(r.forwardMs).padStart(10),
        ratio(r.forwardMs, wasmFwd).padStart(9),
        ms(r.camMs).padStart(8),
        String(r.channels || '–').padStart(9),
        ratio(r.camMs, wasmFwd).padStart(13),
        ratio(r.camMs, wasmCam(r.method)).padStart(21),
        r.error ? `  (${r.error})` : '',
      ].join(' '),
    );
  }
}

runCli(main);
