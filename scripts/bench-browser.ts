/**
 * npm run bench:browser -- [--backends wasm,webgl,webgpu,cpu] [--volume test-0000] [--model <folder>]
 *                          [--full-on webgl] [--workers N] [--timeout 300] [--url http://127.0.0.1:4321/scorecam-3d/]
 *                          [--at-work open|closed] [--isolated yes|no] [--readme]
 *
 * Score-CAM in headless Chromium (/usr/bin/chromium, --enable-unsafe-webgpu) on each TF.js
 * backend, for one shipped volume, through the explorer's test hook (window.__explorer.benchmark);
 * each CAM runs five times per page: the first run (one-time costs included) and the fastest of the other four are printed.
 * Builds nothing: serves the existing dist/ with `astro preview` (or uses --url / a running one).
 * Prints milliseconds and ratios against the wasm forward pass and wasm Score-CAM of the same run.
 * On wasm: the unfused model on one worker (the baseline), the fused model on one worker and on
 * N workers (default: the page's own pool size, from navigator.hardwareConcurrency and memory),
 * each with full Score-CAM (stage 4) and the deletion/insertion curves. Full Score-CAM also runs
 * on the backends in --full-on (default wasm, webgl); the others (software WebGPU and CPU are slow
 * here) run Faster Score-CAM, and wasm runs that too so each row has a same-method baseline.
 * Unless --isolated no, wasm also runs on one worker with a wasm thread per core on a copy of
 * dist/ served with COOP/COEP (port + 1): multithreaded wasm, against the pool of workers.
 * --readme writes the table into src/lib/cam/README.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser } from '@playwright/test';
import { availableParallelism, loadavg } from 'node:os';
import type { Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { choice, flag, num, parseCli, str, writeFileAtomic, type CliSpec } from './lib/cli';
import { withBenchTable, type BenchSection } from './lib/bench-table';
import { ISOLATION_HEADERS, serveStatic } from './lib/static-server';

interface Row {
  backend: string;
  method: string;
  forwardMs: number;
  camMs: number;
  /** the page's first CAM run (one-time costs in every worker included) */
  camFirstMs: number;
  /** time in forward passes per worker during that CAM run (summed over the pool ÷ workers) */
  camForwardMs: number;
  channels: number;
  forwardInputs: number;
  workers: number;
  /** batches each worker ran (the coordinator first) */
  shares?: number[];
  fused: boolean;
  /** threads per worker (more than 1: multithreaded wasm, on the cross-origin-isolated copy of the site) */
  threads: number;
  isolated: boolean;
  curvesMs: number | null;
  error?: string;
}

interface Plan {
  backend: string;
  method: string;
  /** URL parameters: workers=N, fused=0 */
  workers?: number;
  fused?: boolean;
  curves?: boolean;
  /** on the copy of the site served with COOP/COEP (multithreaded wasm can load there) */
  isolated?: boolean;
  /** wasm threads per worker (URL parameter threads=N) */
  threads?: number;
}

export const SPEC: CliSpec = {
  command: 'npm run bench:browser --',
  summary: 'Score-CAM in headless Chromium on each TF.js backend, through the explorer (serves dist/ with astro preview): wasm unfused, fused, and on a worker pool.',
  flags: {
    backends: { type: 'string', arg: 'LIST', def: 'wasm,webgl,webgpu,cpu', help: 'backends to time' },
    'full-on': { type: 'string', arg: 'LIST', def: 'wasm,webgl', help: 'backends that run full Score-CAM (others: Faster)' },
    volume: { type: 'string', arg: 'ID', help: 'shipped volume id, e.g. test-0000' },
    model: { type: 'string', arg: 'DIR', help: 'model folder under the site' },
    workers: { type: 'string', arg: 'N', help: 'pool size for the pool rows (default: the page chooses)' },
    readme: { type: 'boolean', help: 'write the table into src/lib/cam/README.md (between its bench-browser markers)' },
    isolated: { type: 'string', arg: 'yes|no', def: 'yes', help: 'also time wasm on one worker on a cross-origin-isolated copy of dist/ (COOP/COEP headers, port+1): the multithreaded wasm build' },
    'at-work': { type: 'string', arg: 'open|closed', def: 'open', help: "the explorer's Score-CAM at work panel (open: its painting shares the cores with the workers)" },
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

function requireDist(): void {
  if (!existsSync('dist/explorer/index.html')) throw new Error('dist/ is missing or has no explorer: run `npm run build` first');
}

/** The run's settings, from the command line. */
function benchOptions() {
  const v = parseCli(SPEC);
  const base = (process.env.BASE_PATH ?? '/scorecam-3d').replace(/^\/*|\/*$/g, '');
  const port = num(v, 'port', 4327, { min: 1, max: 65535 });
  let url = str(v, 'url', `http://127.0.0.1:${port}/${base ? base + '/' : ''}`);
  if (!url.endsWith('/')) url += '/';
  const backends = str(v, 'backends', 'wasm,webgl,webgpu,cpu').split(',').filter(Boolean);
  return {
    base,
    port,
    url,
    backends,
    fullOn: new Set(str(v, 'full-on', 'wasm,webgl').split(',')),
    timeoutMs: num(v, 'timeout', 300, { min: 1, max: 3600 }) * 1000,
    volume: str(v, 'volume', ''),
    model: str(v, 'model', ''),
    poolWorkers: str(v, 'workers', ''),
    atWork: choice(v, 'at-work', ['open', 'closed'] as const, 'open'),
    readme: flag(v, 'readme'),
    isolated: choice(v, 'isolated', ['yes', 'no'] as const, 'yes') === 'yes' && backends.includes('wasm'),
  };
}
type Options = ReturnType<typeof benchOptions>;

/**
 * The site (an existing server at --url, or `astro preview` of dist/) and, with --isolated, a copy
 * of dist/ served with COOP/COEP: GitHub Pages sends neither, so the site as published runs
 * single-thread wasm in each worker; the copy shows what the multithreaded build would give.
 */
async function startServers(o: Options): Promise<{ isolatedUrl: string; close(): void }> {
  let server: ChildProcess | null = null;
  if (!(await reachable(o.url + 'explorer/'))) {
    requireDist();
    server = spawn('npx', ['astro', 'preview', '--port', String(o.port), '--host', '127.0.0.1'], { stdio: 'ignore', detached: true });
    const t0 = Date.now();
    while (!(await reachable(o.url + 'explorer/'))) {
      if (Date.now() - t0 > 60_000) throw new Error(`astro preview did not answer on ${o.url}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  let isolatedServer: Server | null = null;
  if (o.isolated) {
    requireDist();
    isolatedServer = await serveStatic({ root: 'dist', base: o.base, port: o.port + 1, headers: ISOLATION_HEADERS });
  }
  return {
    isolatedUrl: `http://127.0.0.1:${o.port + 1}/${o.base ? o.base + '/' : ''}`,
    close: () => {
      if (server?.pid) process.kill(-server.pid);
      isolatedServer?.close();
    },
  };
}

/** The pages to time, in order. */
function planRuns(o: Options): Plan[] {
  const plan: Plan[] = [];
  for (const b of o.backends) {
    if (b === 'wasm') {
      // the pool comparison: unfused on one worker (baseline), fused on one worker, fused on the page's pool
      plan.push({ backend: b, method: 'scorecam', workers: 1, fused: false, curves: true });
      plan.push({ backend: b, method: 'scorecam', workers: 1, curves: true });
      plan.push({ backend: b, method: 'scorecam', workers: o.poolWorkers ? Number(o.poolWorkers) : undefined, curves: true });
      // one worker whose wasm runs a thread per core, against the pool's worker per core
      if (o.isolated) plan.push({ backend: b, method: 'scorecam', workers: 1, curves: true, isolated: true, threads: availableParallelism() });
    } else if (o.fullOn.has(b)) plan.push({ backend: b, method: 'scorecam' });
    if (!o.fullOn.has(b) || b === 'wasm') plan.push({ backend: b, method: 'faster-scorecam', workers: b === 'wasm' ? 1 : undefined });
  }
  if (!plan.some((p) => p.backend === 'wasm' && p.method === 'faster-scorecam') && plan.some((p) => p.method === 'faster-scorecam')) {
    plan.unshift({ backend: 'wasm', method: 'faster-scorecam', workers: 1 });
  }
  return plan;
}

// per page: the first CAM run, then the fastest of four more. A later run alone was at times
// 1.2-1.4x slower than the first (a disturbance, not the method's speed), and with two more runs
// one pool page read 1336 ms when its first run took 1241: both later runs were disturbed
const CAM_RUNS = 5;

/** One planned page: a fresh page per run, so no state (or GPU memory) is carried from one backend to the next. */
async function runPage(browser: Browser, p: Plan, o: Options, isolatedUrl: string): Promise<Row> {
  const { backend, method, workers, fused, curves, isolated: iso, threads } = p;
  const page = await browser.newPage();
  const q = new URLSearchParams({ autorun: '0', backend });
  if (o.volume) q.set('volume', o.volume);
  if (o.model) q.set('model', o.model);
  if (workers) q.set('workers', String(workers));
  if (fused === false) q.set('fused', '0');
  if (threads) q.set('threads', String(threads));
  process.stderr.write(`${backend} ${method} ${workers ?? 'pool'} worker(s)${fused === false ? ' unfused' : ''}${iso ? ' isolated page' : ''}… `);
  try {
    await page.goto(`${iso ? isolatedUrl : o.url}explorer/?${q}`);
    if (iso && !(await page.evaluate(() => crossOriginIsolated))) throw new Error('the page is not cross-origin isolated');
    await page.waitForFunction(() => (window as unknown as { __explorer?: unknown }).__explorer, null, { timeout: 60_000 });
    if (o.atWork === 'closed') await page.evaluate(() => document.querySelector<HTMLDetailsElement>('details.ex-atwork')?.removeAttribute('open'));
    const r = (await Promise.race([
      page.evaluate(
        ([b, m, c, n]) => (window as unknown as { __explorer: { benchmark(o: unknown): Promise<unknown> } }).__explorer.benchmark({ backend: b, method: m, stage: 4, curves: c, camRepeats: n }),
        [backend, method, !!curves, CAM_RUNS] as const,
      ),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`timed out after ${o.timeoutMs / 1000} s`)), o.timeoutMs)),
    ])) as Omit<Row, 'method'>;
    process.stderr.write(`${(r.camMs / 1000).toFixed(1)} s\n`);
    return { ...r, method, isolated: !!iso };
  } catch (e) {
    const error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    process.stderr.write(`failed: ${error}\n`);
    return { backend, method, forwardMs: NaN, camMs: NaN, camFirstMs: NaN, camForwardMs: NaN, channels: 0, forwardInputs: 0, workers: workers ?? 0, fused: fused !== false, threads: 0, isolated: !!iso, curvesMs: null, error };
  } finally {
    await page.close();
  }
}

const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : '–');
const fmtMs = (v: number | null) => (v !== null && Number.isFinite(v) ? v.toFixed(0) : '–');

/** The baseline row: wasm, unfused model, one worker. */
const baselineRow = (rows: Row[]) => rows.find((r) => r.backend === 'wasm' && r.method === 'scorecam' && r.workers === 1 && !r.fused && !r.isolated);

function printTable(rows: Row[], version: string, atWork: string): void {
  const base1 = baselineRow(rows);
  const wasmFwd = base1?.forwardMs ?? rows.find((r) => r.backend === 'wasm' && Number.isFinite(r.forwardMs))?.forwardMs ?? NaN;
  const wasmCam = (m: string) => rows.find((r) => r.backend === 'wasm' && r.method === m && r.workers === 1 && r.fused && !r.isolated)?.camMs ?? NaN;
  console.log(`\nBrowser Score-CAM (stage 4), headless Chromium ${version}, one 64³ volume, the "at work" panel ${atWork}; ratios from this run`);
  console.log('baseline: wasm, unfused model, 1 worker. "vs 1 fused": the same method on one worker with the fused model.');
  console.log('CAM ms: the fastest of the page\'s four later runs; first: its first run, which also pays one-time costs (XNNPACK operators, weight packing) in every worker.');
  console.log('in fwd: the share of the CAM run each worker spent in forward passes (the rest: building masked inputs, messages, waiting).');
  console.log('threads: per worker; "isolated" rows ran on a copy of the site served with COOP/COEP, where wasm loads its multithreaded build (GitHub Pages cannot send those headers).');
  console.log('backend  method            workers threads model    forward ms  fwd/base  CAM ms  first  in fwd  channels  CAM/base  CAM/1 fused  curves ms  curves/base');
  for (const r of rows) {
    console.log(
      [
        r.backend.padEnd(8),
        r.method.padEnd(17),
        String(r.workers || '–').padStart(7),
        `${r.threads || '–'}${r.isolated ? ' isolated' : ''}`.padStart(7),
        (r.fused ? 'fused' : 'unfused').padEnd(8),
        fmtMs(r.forwardMs).padStart(10),
        ratio(r.forwardMs, wasmFwd).padStart(9),
        fmtMs(r.camMs).padStart(7),
        fmtMs(r.camFirstMs).padStart(6),
        (Number.isFinite(r.camForwardMs) && r.camMs ? `${((100 * r.camForwardMs) / r.camMs).toFixed(0)} %` : '–').padStart(7),
        String(r.channels || '–').padStart(9),
        ratio(r.camMs, base1?.camMs ?? NaN).padStart(9),
        ratio(r.camMs, wasmCam(r.method)).padStart(12),
        fmtMs(r.curvesMs).padStart(10),
        ratio(r.curvesMs ?? NaN, base1?.curvesMs ?? NaN).padStart(12),
        r.shares && r.shares.length > 1 ? `  batches per worker ${r.shares.join('/')}` : '',
        r.error ? `  (${r.error})` : '',
      ].join(' '),
    );
  }
}

/** The targets (pool ≤ 0.6× one worker, fused ≥ 1.3× unfused), multithreaded wasm, and the load. */
function targetNotes(rows: Row[]): string[] {
  const base1 = baselineRow(rows);
  const pool = rows.find((r) => r.backend === 'wasm' && r.method === 'scorecam' && r.workers > 1 && !r.isolated);
  const one = rows.find((r) => r.backend === 'wasm' && r.method === 'scorecam' && r.workers === 1 && r.fused && !r.isolated);
  const threaded = rows.find((r) => r.isolated && r.method === 'scorecam' && Number.isFinite(r.camMs));
  const notes: string[] = [];
  if (pool && one) {
    const k = pool.camMs / one.camMs;
    notes.push(`target: Score-CAM on ${pool.workers} workers ≤ 0.6× one worker (fused, wasm): ${k.toFixed(2)}×: ${k <= 0.6 ? 'MET' : 'NOT MET'} (first runs: ${(pool.camFirstMs / one.camFirstMs).toFixed(2)}×)`);
  } else notes.push('no multi-worker wasm row (the page chose one worker: navigator.hardwareConcurrency or memory); pass --workers N');
  if (threaded && one) {
    const vsPool = pool ? `, the pool of ${pool.workers} single-thread workers ${(pool.camMs / one.camMs).toFixed(2)}×` : '';
    notes.push(`multithreaded wasm, 1 worker × ${threaded.threads} threads (isolated page): ${(threaded.camMs / one.camMs).toFixed(2)}× one single-thread worker${vsPool}`);
  }
  if (one && base1) {
    const k = base1.camMs / one.camMs;
    notes.push(`target: fused ≥ 1.3× faster than unfused on wasm (Score-CAM, 1 worker): ${k.toFixed(2)}×: ${k >= 1.3 ? 'MET' : 'NOT MET'}`);
  }
  notes.push(`load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  return notes;
}

/** --readme: the table between the bench-browser markers of src/lib/cam/README.md. */
function writeReadme(rows: Row[], base1: Row, notes: string[], version: string, o: Options): void {
  const file = path.join('src', 'lib', 'cam', 'README.md');
  const section: BenchSection = {
    title: `Score-CAM (stage 4) in headless Chromium ${version}, the explorer's worker pool, "at work" panel ${o.atWork}`,
    baseline: { name: 'wasm, unfused model, 1 worker', ms: base1.camMs },
    rows: rows
      .filter((r) => Number.isFinite(r.camMs))
      .map((r) => ({
        name: `${r.backend} ${r.method}, ${r.workers} worker${r.workers > 1 ? 's' : ''}${r.threads > 1 ? ` × ${r.threads} threads (isolated page)` : ''}, ${r.fused ? 'fused' : 'unfused'}`,
        ms: r.camMs,
        ratio: r.camMs / base1.camMs,
        detail: [
          `first run ${fmtMs(r.camFirstMs)} ms`,
          r.camMs ? `${((100 * r.camForwardMs) / r.camMs).toFixed(0)} % in forward passes` : '',
          `${r.channels} channels`,
          r.curvesMs !== null ? `curves ${fmtMs(r.curvesMs)} ms (${ratio(r.curvesMs, base1.curvesMs ?? NaN)})` : '',
          r.shares && r.shares.length > 1 ? `batches per worker ${r.shares.join('/')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      })),
    notes: [`CAM ms: the fastest of ${CAM_RUNS - 1} runs after the page's first; ratios from this run`, ...notes],
  };
  writeFileAtomic(file, withBenchTable(readFileSync(file, 'utf8'), 'bench-browser', [section], `one 64³ volume${o.volume ? ` (${o.volume})` : ''}`));
  console.log(`wrote the browser table into ${file}`);
}

async function main() {
  const o = benchOptions();
  const servers = await startServers(o);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update'],
  });
  const rows: Row[] = [];
  try {
    for (const p of planRuns(o)) rows.push(await runPage(browser, p, o, servers.isolatedUrl));
  } finally {
    await browser.close();
    servers.close();
  }
  printTable(rows, browser.version(), o.atWork);
  const notes = targetNotes(rows);
  for (const n of notes) console.log(n);
  const base1 = baselineRow(rows);
  if (o.readme && base1) writeReadme(rows, base1, notes, browser.version(), o);
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
