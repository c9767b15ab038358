/**
 * The explorer as a reader meets it: the backend it picks by itself on this machine (software
 * WebGPU/WebGL: WebAssembly must win) and how fast; slices identical to the static snapshot
 * renderer; repaint times of a threshold change and a slice move; the URL following the controls;
 * a Results snapshot opening its volume; axe in light and dark; screenshots at desktop and phone size.
 */
import { test, expect, type Page } from '@playwright/test';
import { axeViolations } from './axe';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {} from '../../src/components/explorer/hook';
import { parseShippedVolume, type ShippedIndex } from '../../src/lib/data/shipped';
import { renderSnapshot } from '../../src/lib/viz/snapshot';
import { VIEWS } from '../../src/lib/viz/orient';
import { parseExplorerQuery } from '../../src/lib/site/explorer-link';

const INDEX = JSON.parse(readFileSync(join('public', 'volumes', 'index.json'), 'utf8')) as ShippedIndex;
const VOL = INDEX.volumes.find((v) => v.label === 7) ?? INDEX.volumes[0]; // a lung
/**
 * Repaint budgets (ms). The slice views must follow a control within 100 ms. The 3D view's partial
 * update (restyle of one trace) costs what plotly's renderer costs for the triangles on screen: on
 * this 2-core machine's software GL (SwiftShader) 0.1–0.6 s at 16³ against 3–5 s for the full
 * rebuild it replaces; on a real GPU a few ms. Its budget here is 1.5 s and under half a full draw.
 * The absolute budgets are checked by `npm run bench:explorer` (FEEL_TARGETS=1) only; `npm test`
 * checks the relative ones (a partial repaint under half a full draw; a burst coalesced).
 */
const ENFORCE_TARGETS = process.env.FEEL_TARGETS === '1';
const SLICE_BUDGET_MS = 100;
const PLOT_BUDGET_MS = 1500;
const SHOTS = join('test-results', 'explorer-shots');

async function fullyLoaded(page: Page) {
  await page.evaluate(() => window.__explorer.ready());
  await page.waitForFunction(() => window.__explorer.state().probs !== null && window.__explorer.state().draw3dMs !== null, null, { timeout: 60_000 });
  await page.evaluate(() => window.__explorer.settled());
}

test.describe('explorer for a reader', () => {
  test('picks WebAssembly by measured speed on this machine and predicts within 15 s', async ({ page }) => {
    test.setTimeout(60_000);
    const t0 = Date.now();
    await page.goto(`explorer/?volume=${VOL.id}&autorun=0`);
    await page.waitForFunction(() => window.__explorer?.state().probs !== null, null, { timeout: 15_000 });
    const ms = Date.now() - t0;
    const s = await page.evaluate(() => window.__explorer.state());
    test.info().annotations.push({ type: 'measured', description: `first prediction ${ms} ms after navigation; ${JSON.stringify(s.measurements)}` });
    expect(s.backend).toBe('wasm');
    expect(s.backendChoice).toBe('auto');
    expect(s.measurements.find((m) => m.backend === 'wasm')?.forwardMs).toBeGreaterThan(0);
    await expect(page.locator('[data-backend-note]')).toContainText(/fastest measured: .*WebAssembly \(SIMD\) \d+ ms per forward pass/);
    await expect(page.locator('[data-backend-option="webgl"]')).toHaveAttribute('aria-pressed', 'false');
  });

  test('slices agree pixel for pixel with the snapshot renderer on a shipped volume', async ({ page }) => {
    await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm`);
    await page.waitForFunction(() => window.__explorer?.state().volume !== null, null, { timeout: 30_000 });
    await page.uncheck('[data-show-cam]');
    await page.uncheck('[data-show-mask]');
    const pos = (await page.evaluate(() => window.__explorer.state())).pos;
    const pixels = await page.evaluate((views) => views.map((v) => {
      const c = document.querySelector<HTMLCanvasElement>(`[data-slice="${v}"]`)!;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
    }), [...VIEWS]);
    const S = INDEX.dataset.size;
    const vol = parseShippedVolume(readFileSync(join('public', 'volumes', VOL.file)), VOL, S);
    const cam = new Float32Array(S ** 3);
    cam[(pos[0] * S + pos[1]) * S + pos[2]] = 1; // the snapshot slices through the CAM maximum
    const { image } = renderSnapshot(vol.image, cam, null, S, { scale: 1, gap: 0, mip: false });
    VIEWS.forEach((view, k) => {
      let diff = 0;
      for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) for (let ch = 0; ch < 3; ch++)
        if (pixels[k][(r * S + c) * 4 + ch] !== image.rgba[(r * image.width + k * S + c) * 4 + ch]) diff++;
      expect(diff, `${view}: pixels differing from the snapshot renderer`).toBe(0);
    });
  });

  test('a threshold change and a slice move repaint: partial, coalesced, within the budget', async ({ page }) => {
    test.setTimeout(90_000);
    await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm`);
    await fullyLoaded(page);
    const measure = (sel: string, value: string) =>
      page.evaluate(async ([sel, value]) => {
        const el = document.querySelector<HTMLInputElement>(sel)!;
        const t0 = performance.now();
        el.value = value;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        const slices = performance.now() - t0;
        await window.__explorer.settled();
        return { slices, total: performance.now() - t0, update3d: window.__explorer.state().update3dMs };
      }, [sel, value] as const);
    const runs: Record<string, { slices: number; total: number }[]> = { threshold: [], slice: [] };
    for (const v of ['0.3', '0.6', '0.4', '0.7']) runs.threshold.push(await measure('[data-threshold]', v));
    for (const v of ['20', '40', '25', '35']) runs.slice.push(await measure('[data-slice-range="axial"]', v));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const report = Object.entries(runs).map(([k, r]) => `${k}: slices ${med(r.map((x) => x.slices)).toFixed(1)} ms, with the 3D view ${med(r.map((x) => x.total)).toFixed(1)} ms (median of ${r.length})`).join('; ');
    const full = (await page.evaluate(() => window.__explorer.state())).draw3dMs;
    test.info().annotations.push({ type: 'measured', description: `${report}; the full 3D draw it replaces: ${full?.toFixed(0)} ms` });
    console.log(`repaint: ${report}; full 3D draw ${full?.toFixed(0)} ms`);
    // a dragged slider: 12 changes while the 3D view draws queue one more draw, not twelve
    const burst = await page.evaluate(async () => {
      const el = document.querySelector<HTMLInputElement>('[data-threshold]')!;
      const t0 = performance.now();
      for (let i = 0; i < 12; i++) {
        el.value = String(0.3 + 0.05 * (i % 8));
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
      await window.__explorer.settled();
      return performance.now() - t0;
    });
    test.info().annotations.push({ type: 'measured', description: `12 threshold changes in a burst: 3D view settled after ${burst.toFixed(0)} ms` });
    expect(burst).toBeLessThan(3 * med(runs.threshold.map((x) => x.total)) + 200);
    for (const r of Object.values(runs)) {
      if (ENFORCE_TARGETS) {
        expect.soft(med(r.map((x) => x.slices))).toBeLessThan(SLICE_BUDGET_MS);
        expect.soft(med(r.map((x) => x.total))).toBeLessThan(PLOT_BUDGET_MS);
      }
      expect(med(r.map((x) => x.total))).toBeLessThan(full! / 2);
    }
  });

  test('the URL follows the controls and restores them', async ({ page }) => {
    test.setTimeout(120_000);
    await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm`);
    await page.evaluate(() => window.__explorer.ready());
    await page.selectOption('[data-stage]', '2');
    await page.selectOption('[data-method]', 'gradcam');
    await page.selectOption('[data-target]', '3');
    // set the slider as a drag would end (fill waits for animation frames, which a busy plot delays)
    await page.locator('[data-threshold]').evaluate((el: HTMLInputElement) => {
      el.value = '0.7';
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    });
    // (the URL also keeps the view: slice, layers, camera; see explorer-feel.spec.ts)
    await expect.poll(() => parseExplorerQuery(new URL(page.url()).search)).toMatchObject({ volume: VOL.id, method: 'gradcam', stage: 2, target: 3, threshold: 0.7 });
    // Grad-CAM is quick: it reran by itself, for the final settings (a run started between two
    // control changes finishes stale and is followed by another)
    await page.waitForFunction(() => {
      const st = window.__explorer.state();
      return st.cam?.method === 'gradcam' && st.cam?.source === 'live' && st.camStale === false;
    }, null, { timeout: 30_000 });
    await page.reload();
    await page.waitForFunction(() => window.__explorer?.state().volume !== null, null, { timeout: 30_000 });
    await expect(page.locator('[data-method]')).toHaveValue('gradcam');
    await expect(page.locator('[data-stage]')).toHaveValue('2');
    await expect(page.locator('[data-target]')).toHaveValue('3');
    await expect(page.locator('[data-threshold]')).toHaveValue('0.7');
    await expect(page.locator('[data-volume]')).toHaveValue(VOL.id);
  });

  test('every Results snapshot and per-organ row links into the explorer at its volume, and the link opens it', async ({ page }) => {
    await page.goto('results/');
    const links = page.locator('[data-explorer-link]');
    const n = await links.count();
    expect(n).toBeGreaterThan(0);
    // the per-organ table: one link per organ, to a volume of that organ with Score-CAM for it
    // (read in one round trip: row by row, 3 per row, it outlasted the test's minute on a loaded machine)
    const rows = await page.locator('[data-table="faithfulness-per-organ"] tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ label: Number(tr.getAttribute('data-label')), href: tr.querySelector<HTMLAnchorElement>('a[data-explorer-link]')?.href ?? '' })));
    expect(rows.length).toBeGreaterThan(0);
    for (const { label, href } of rows) {
      expect(href, `per-organ row ${label} has an explorer link`).not.toBe('');
      const q = parseExplorerQuery(new URL(href).search);
      expect(INDEX.volumes.find((v) => v.id === q.volume)?.label, `per-organ row ${label}`).toBe(label);
      expect(q.target).toBe(label);
    }
    const hrefs = await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    const missing = hrefs.map((h) => parseExplorerQuery(new URL(h).search).volume).filter((id) => !INDEX.volumes.some((v) => v.id === id));
    expect(missing, 'snapshot volumes the explorer does not ship: run npm run export-volumes (it adds the snapshot volumes)').toEqual([]);
    // the per-organ table sits in a closed <details>: open the first link a reader can see
    const shown = page.locator('[data-explorer-link]:visible').first();
    const want = parseExplorerQuery(new URL(await shown.evaluate((a) => (a as HTMLAnchorElement).href)).search);
    await shown.click();
    await page.waitForFunction((id) => window.__explorer?.state().volume === id, want.volume, { timeout: 30_000 });
    await expect(page.locator('[data-method]')).toHaveValue(want.method!);
  });

  // one load for both themes: they are CSS media queries, so the dark pass switches the setting on the
  // loaded page and runs the rules that read colours (the DOM is the one the light pass checked)
  test('axe-clean and screenshots, light and dark', async ({ page }) => {
    test.setTimeout(120_000);
    mkdirSync(SHOTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm`);
    await fullyLoaded(page);
    for (const scheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(() => window.__explorer.settled());
      await page.screenshot({ path: join(SHOTS, `desktop-${scheme}.png`) });
      const bad = await axeViolations(page, scheme);
      expect(bad.map((v) => `${scheme} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => window.__explorer.settled());
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(SHOTS, `phone-${scheme}.png`) });
      await page.screenshot({ path: join(SHOTS, `phone-${scheme}-full.png`), fullPage: true });
      // the 3D view starts within the first screen on a phone
      const top = await page.locator('[data-plot]').evaluate((el) => el.getBoundingClientRect().top + window.scrollY);
      expect(top).toBeLessThan(844);
    }
  });
});

test('voxel cloud mode: the original look, timed against the surfaces', async ({ page }) => {
  test.setTimeout(120_000);
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm`);
  await fullyLoaded(page);
  const surfaces = (await page.evaluate(() => window.__explorer.state())).draw3dMs!;
  await page.selectOption('[data-view-mode]', 'cloud');
  await page.evaluate(() => window.__explorer.settled());
  const cloud = (await page.evaluate(() => window.__explorer.state())).draw3dMs!;
  await expect(page.locator('[data-cloud-note]')).toContainText(/Voxel cloud/);
  const note = await page.locator('[data-cloud-note]').textContent();
  const t0 = Date.now();
  await page.locator('[data-threshold]').fill('0.3');
  await page.evaluate(() => window.__explorer.settled());
  const thr = Date.now() - t0;
  console.log(`3D full draw: surfaces ${surfaces.toFixed(0)} ms, voxel cloud ${cloud.toFixed(0)} ms (${note}); cloud threshold restyle ${thr} ms`);
  test.info().annotations.push({ type: 'measured', description: `surfaces ${surfaces.toFixed(0)} ms, cloud ${cloud.toFixed(0)} ms; ${note}` });
  await page.locator('[data-plot]').scrollIntoViewIfNeeded();
  await page.locator('.ex-views').screenshot({ path: join(SHOTS, 'cloud-light.png') });
  // the full 64³ cloud, for the record
  await page.goto(`explorer/?volume=${VOL.id}&autorun=0&backend=wasm&cloud=full`);
  await fullyLoaded(page);
  await page.selectOption('[data-view-mode]', 'cloud');
  await page.evaluate(() => window.__explorer.settled());
  const full = (await page.evaluate(() => window.__explorer.state())).draw3dMs!;
  const t1 = Date.now();
  await page.locator('[data-threshold]').fill('0.3');
  await page.evaluate(() => window.__explorer.settled());
  console.log(`full 64³ cloud: draw ${full.toFixed(0)} ms, threshold restyle ${Date.now() - t1} ms; ${await page.locator('[data-cloud-note]').textContent()}`);
  await page.locator('.ex-views').screenshot({ path: join(SHOTS, 'cloud-full-light.png') });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('shows a static snapshot and a note, no dead controls', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('explorer/');
    await expect(page.locator('.ex-nojs')).toContainText('needs JavaScript');
    await expect(page.locator('.ex-nojs img')).toBeVisible();
    await expect(page.locator('[data-run]')).toBeHidden();
    await expect(page.locator('[data-organ]')).toBeHidden();
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'nojs-light.png') });
  });
});
