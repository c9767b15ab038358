/**
 * Attributes the explorer's long tasks (issue 27): loads the built explorer in Debian's Chromium with
 * the V8 CPU profiler on (Chrome DevTools Protocol, 100 µs sampling), waits for the first 3D view,
 * then prints each long task after first paint with the functions and script files that ran in it
 * (self time of the profile's samples inside the task's window). Needs a server on the built site:
 * `npm run preview` (or the Playwright web server). Not a test: a tool to find what a task is.
 *
 * With --trace, a Chrome trace is recorded as well (devtools.timeline, v8, blink.user_timing) and
 * every main-thread task over 50 ms is printed as a tree of its trace events over 3 ms: what the
 * profiler shows as '(program)' (style, layout, paint, script compilation, GC) is named there.
 *
 *   npm run profile:explorer -- [--url http://127.0.0.1:4321/scorecam-3d/explorer/] [--top 15] [--trace]
 */
import { chromium } from '@playwright/test';
import { flag, num, parseCli, str, type CliSpec } from './lib/cli';
import { watchLongTasks } from './lib/long-tasks';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  parent?: number;
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const SPEC: CliSpec = {
  command: 'npm run profile:explorer --',
  summary: 'Loads the built explorer in Chromium with the CPU profiler (and with --trace a Chrome trace) and prints what ran in each long task after first paint. Needs `npm run preview`.',
  flags: {
    url: { type: 'string', arg: 'URL', help: 'the explorer page (query options allowed, e.g. ?cloud=full)', def: 'http://127.0.0.1:4321/scorecam-3d/explorer/' },
    top: { type: 'string', arg: 'N', help: 'rows per list', def: 15 },
    trace: { type: 'boolean', help: 'also record a Chrome trace: names the native work (layout, paint, GPU read-back) the profiler shows as (program)' },
  },
};
const v = parseCli(SPEC);
const url = str(v, 'url', `http://127.0.0.1:${process.env.E2E_PORT ?? 4321}${process.env.BASE_PATH ?? '/scorecam-3d'}/explorer/`);
const top = num(v, 'top', 15, { min: 1, max: 200 });
const tracing = flag(v, 'trace');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await watchLongTasks(page);
const cdp = await page.context().newCDPSession(page);
interface TraceEvent { name: string; cat: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: Record<string, unknown> }
const events: TraceEvent[] = [];
const traceDone = new Promise<void>((resolve) => {
  cdp.on('Tracing.dataCollected', (e) => void events.push(...(e.value as unknown as TraceEvent[])));
  cdp.on('Tracing.tracingComplete', () => resolve());
});
if (tracing) {
  await cdp.send('Tracing.start', {
    traceConfig: {
      includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing', 'toplevel', 'loading', 'blink', 'gpu', 'disabled-by-default-gpu.service', 'disabled-by-default-gpu.decoder', 'gpu.service', 'gpu.decoder', 'disabled-by-default-skia.gpu'],
    },
  } as never);
}
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
await page.goto(url);
await page.waitForFunction(() => document.querySelector('[data-explorer]')?.getAttribute('data-view3d') === 'ready', null, { timeout: 60_000 });
await page.waitForTimeout(1500);
// the profile's clock (µs, monotonic) against the page's performance.now(): read both at the end
const pageNowEnd = await page.evaluate(() => performance.now());
const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
if (tracing) {
  await cdp.send('Tracing.end');
  await traceDone;
}
// a string, not a function: tsx's keep-names helper (__name) does not exist in the page
const info = (await page.evaluate(`(() => {
  const m = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
  const fp = performance.getEntriesByType('paint').find((e) => e.name === 'first-paint')?.startTime ?? null;
  return { long: window.__longTasks, firstPaint: fp, slices: m('explorer:slices-first'), view3d: m('explorer:3d-first') };
})()`)) as { long: { start: number; duration: number }[]; firstPaint: number | null; slices: number | null; view3d: number | null };
await browser.close();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
for (const n of profile.nodes) for (const c of n.children ?? []) byId.get(c)!.parent = n.id;
// sample times in the page's performance.now() clock (ms); the offset is taken at the profile's end
const offset = pageNowEnd - profile.endTime / 1000;
const times: number[] = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d) / 1000 + offset);

const short = (u: string) => u.replace(/^.*\/_astro\//, '').replace(/^https?:\/\/[^/]+/, '') || '(native)';
const frame = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1}`;

console.log(`first paint ${info.firstPaint?.toFixed(0)} ms, first slices ${info.slices?.toFixed(0)} ms, first 3D view ${info.view3d?.toFixed(0)} ms`);
const tasks = info.long.filter((l) => info.firstPaint === null || l.start >= info.firstPaint);
if (!tasks.length) console.log('no long task after first paint');
for (const task of tasks) {
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  const roots = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (times[i] < task.start || times[i] > task.start + task.duration) continue;
    const dt = i + 1 < times.length ? times[i + 1] - times[i] : 0.1;
    const leaf = byId.get(profile.samples[i])!;
    self.set(frame(leaf), (self.get(frame(leaf)) ?? 0) + dt);
    // the file that holds the innermost JS frame, and the outermost JS frame (what the task started with)
    let js: ProfileNode | undefined;
    let outer: ProfileNode | undefined;
    for (let k: ProfileNode | undefined = leaf; k; k = k.parent ? byId.get(k.parent) : undefined) {
      if (k.callFrame.url && !js) js = k;
      if (k.callFrame.url) outer = k;
    }
    const file = js ? short(js.callFrame.url) : frame(leaf);
    files.set(file, (files.get(file) ?? 0) + dt);
    const root = outer ? frame(outer) : frame(leaf);
    roots.set(root, (roots.get(root) ?? 0) + dt);
    n++;
  }
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `    ${v.toFixed(1).padStart(7)} ms  ${k}`).join('\n');
  console.log(`\nlong task ${task.duration.toFixed(0)} ms at ${task.start.toFixed(0)} ms (${n} samples)`);
  console.log(`  by outermost JS frame:\n${list(roots)}`);
  console.log(`  by script file (innermost JS frame):\n${list(files)}`);
  console.log(`  self time:\n${list(self)}`);
}

if (tracing) {
  // align the trace clock with performance.now() through the explorer's user-timing marks
  const mark = events.find((e) => e.cat.includes('blink.user_timing') && e.name === 'explorer:3d-first');
  if (!mark || info.view3d === null) {
    console.log('\n(trace: no explorer:3d-first mark to align the clocks)');
  } else {
    const off = mark.ts / 1000 - info.view3d;
    const at = (ts: number) => ts / 1000 - off;
    const main = events.filter((e) => e.ph === 'X' && e.pid === mark.pid && e.tid === mark.tid && e.dur !== undefined);
    const long = main.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.dur! >= 50_000);
    console.log(`\ntrace: main-thread tasks over 50 ms (times in ms after navigation)`);
    for (const task of long) {
      console.log(`\n${task.name} ${(task.dur! / 1000).toFixed(0)} ms at ${at(task.ts).toFixed(0)} ms`);
      const inside = main.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur! && e.dur! >= 3000);
      inside.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
      const stack: TraceEvent[] = [];
      for (const e of inside.slice(0, 60)) {
        while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! < e.ts + e.dur!) stack.pop();
        const data = (e.args?.data ?? e.args?.beginData ?? {}) as Record<string, unknown>;
        const what = [data.url, data.functionName, data.type].filter(Boolean).map(String).map((x) => x.replace(/^.*\/_astro\//, '')).join(' ');
        console.log(`${'  '.repeat(stack.length + 1)}${(e.dur! / 1000).toFixed(1)} ms ${e.name}${what ? ` (${what})` : ''}`);
        stack.push(e);
      }
      // what the other processes' threads (the GPU process, the compositor, workers) did meanwhile
      const names = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, String((e.args as { name?: string })?.name)]));
      const busy = new Map<string, Map<string, number>>();
      for (const e of events) {
        if (e.ph !== 'X' || e.dur === undefined || (e.pid === mark.pid && e.tid === mark.tid)) continue;
        const lo = Math.max(e.ts, task.ts), hi = Math.min(e.ts + e.dur, task.ts + task.dur!);
        if (hi - lo < 3000) continue;
        const th = `${names.get(`${e.pid}:${e.tid}`) ?? 'thread'} ${e.pid}:${e.tid}`;
        const m = busy.get(th) ?? new Map<string, number>();
        m.set(e.name, Math.max(m.get(e.name) ?? 0, (hi - lo) / 1000));
        busy.set(th, m);
      }
      for (const [th, m] of busy) {
        const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
        console.log(`    meanwhile on ${th}: ${top}`);
      }
    }
  }
}
