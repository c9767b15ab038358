/**
 * The explorer's worker pool (client.ts, worker.ts): on wasm, Score-CAM spread over two workers
 * (each its own wasm instance and model) gives the single-worker map, and the curves too. At stage 1
 * (16 channels, 8 per worker): the split is the same code at every stage, and a stage-4 run (128
 * channels) would cost this test 8× the forward passes for nothing more.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IGNORED_CONSOLE } from './site-config';
import { rememberSpeed } from './explorer-speed';
import { pearson } from '../../src/lib/metrics/stats';

const MODEL = process.env.EXPLORER_MODEL ? `&model=${process.env.EXPLORER_MODEL}` : '';
const INDEX = JSON.parse(readFileSync(join('public', 'volumes', 'index.json'), 'utf8')) as { volumes: { id: string; label: number }[] };
const VOL = INDEX.volumes[0];

type Hook = {
  ready(): Promise<{ backend: string }>;
  state(): { probs: number[] | null; curves: { deletion: number; insertion: number } | null };
  runCam(r: { method: string; stage: number; target?: number }): Promise<{ target: number; channels: number; workers: number; timings: { totalMs: number } } | null>;
  camSnapshot(): number[] | null;
};
/** The explorer's test hook (explorer.ts), typed here for what this test uses. */
const hook = 'window.__explorer';


/** Full Score-CAM on `workers` wasm workers; waits until every helper has joined the pool. */
async function camWith(page: Page, workers: number) {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !IGNORED_CONSOLE.some((re) => re.test(m.text()))) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await rememberSpeed(page, 'wasm', workers);
  await page.goto(`explorer/?autorun=0${MODEL}&volume=${VOL.id}&backend=wasm&workers=${workers}`);
  expect((await page.evaluate<Awaited<ReturnType<Hook['ready']>>>(`${hook}.ready()`)).backend).toBe('wasm');
  await page.waitForFunction(() => window.__explorer.state().probs !== null, null, { timeout: 60_000 });
  // the benchmark hook waits until every helper worker has loaded and joined the pool
  await page.evaluate(`${hook}.benchmark({ backend: 'wasm', method: 'gradcam', stage: 4, repeats: 0 })`);
  const req = { method: 'scorecam', stage: 1, target: VOL.label };
  const run = () => page.evaluate<Awaited<ReturnType<Hook['runCam']>>>(`${hook}.runCam(${JSON.stringify(req)})`);
  const r = await run();
  expect(r?.workers).toBe(workers);
  const cam = (await page.evaluate<ReturnType<Hook['camSnapshot']>>(`${hook}.camSnapshot()`))!;
  await page.click('[data-curves]');
  await expect(page.locator('[data-curve-plot] svg').first()).toBeVisible({ timeout: 90_000 });
  const curves = (await page.evaluate<ReturnType<Hook['state']>['curves']>(`${hook}.state().curves`))!;
  expect(problems, problems.join('\n')).toEqual([]);
  return { cam, curves, ms: r!.timings.totalMs };
}

test('wasm: Score-CAM and the curves on two workers equal one worker', async ({ browser }) => {
  test.setTimeout(600_000);
  const one = await camWith(await browser.newPage(), 1);
  const two = await camWith(await browser.newPage(), 2);
  const r = pearson(one.cam, two.cam);
  test.info().annotations.push({ type: 'timing', description: `Score-CAM 1 worker ${one.ms.toFixed(0)} ms, 2 workers ${two.ms.toFixed(0)} ms; r ${r}` });
  expect(r).toBeGreaterThanOrEqual(0.9999);
  expect(two.curves.deletion).toBeCloseTo(one.curves.deletion, 6);
  expect(two.curves.insertion).toBeCloseTo(one.curves.insertion, 6);
});
