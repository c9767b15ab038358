/**
 * Issue 27: the explorer a reader falls for. In `npm test` these specs check what the reader gets
 * (the default view is the voxel cloud coloured by the CAM with the mask off and one legend; the
 * live CAM starts by itself or offers Run with an estimate; hover read-out; view state in the URL)
 * and print what they measured, with screenshots in test-results/screenshots/.
 *
 * The speed targets (first slices ≤ 1.5 s and first 3D view ≤ 3 s after navigation, no long task
 * over 200 ms after first paint, a threshold / opacity restyle ≤ 150 ms, the estimate within 30 %
 * of the run) are checked only by `npm run bench:explorer` (FEEL_TARGETS=1), on a machine quiet
 * enough to mean something: a test suite sharing two cores with a build measures its neighbours.
 */
import { test, expect, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type {} from '../../src/components/explorer/hook';
import { longTasks, watchLongTasks } from '../../scripts/lib/long-tasks';

const SHOTS = 'test-results/screenshots';
/** A measured number: in the report's annotations and on the console. */
function note(description: string) {
  test.info().annotations.push({ type: 'measured', description });
  console.log(`[measured] ${description}`);
}
mkdirSync(SHOTS, { recursive: true });

const FIRST_SLICES_MS = 1500;
const FIRST_3D_MS = 3000;
const LONG_TASK_MS = 200;
const RESTYLE_MS = 150;

/** Speed targets are enforced by `npm run bench:explorer` only (see above); soft, so one run reports every number. */
const ENFORCE_TARGETS = process.env.FEEL_TARGETS === '1';
function withinTarget(measured: number, target: number, what: string) {
  if (ENFORCE_TARGETS) expect.soft(measured, `${what}: ${measured.toFixed(0)} against the target ${target}`).toBeLessThanOrEqual(target);
}

async function marks(page: Page) {
  return page.evaluate(() => {
    const m = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? null;
    const fp = performance.getEntriesByType('paint').find((e) => e.name === 'first-paint')?.startTime ?? null;
    return { slices: m('explorer:slices-first'), view3d: m('explorer:3d-first'), firstPaint: fp };
  });
}

test.describe('explorer feel (issue 27)', () => {
  test('fast first views, no long task, quick restyles, live CAM without a click', async ({ page }) => {
    test.setTimeout(120_000);
    await watchLongTasks(page);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('explorer/');
    await page.waitForFunction(() => document.querySelector('[data-explorer]')?.getAttribute('data-view3d') === 'ready', null, { timeout: 30_000 });
    const t = await marks(page);
    const cloud = await page.locator('[data-explorer]').evaluate((e: HTMLElement) => `cloud stride ${e.dataset.cloudStride ?? '?'}, a full 64³ frame ${e.dataset.fullFrameMs ?? '?'} ms on the GPU`);
    note(`first slices ${t.slices?.toFixed(0)} ms, first 3D view ${t.view3d?.toFixed(0)} ms, first paint ${t.firstPaint?.toFixed(0)} ms after navigation (${cloud})`);
    expect(t.slices).not.toBeNull();
    expect(t.view3d).not.toBeNull();
    withinTarget(t.slices!, FIRST_SLICES_MS, 'first slices (ms)');
    withinTarget(t.view3d!, FIRST_3D_MS, 'first 3D view (ms)');

    // the default look: the cloud, the mask off, one legend, labels that do not overlap
    await expect(page.locator('select[data-view-mode]')).toHaveValue('cloud');
    await expect(page.locator('[data-show-mask]')).not.toBeChecked();
    await expect(page.locator('.js-plotly-plot')).toHaveCount(0);
    const labels = await page.locator('.c3d-label:not([hidden])').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ l: r.left, t: r.top, r: r.right, b: r.bottom })));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i], b = labels[j];
      expect(a.r <= b.l || b.r <= a.l || a.b <= b.t || b.b <= a.t, 'labels overlap').toBe(true);
    }

    await page.evaluate(() => window.__explorer.settled());
    await page.locator('.ex-views').screenshot({ path: `${SHOTS}/explorer-default-cloud.png` });
    // beside the original project's figure, where the seed assets are on this machine
    const original = process.env.ORIGINAL_PLOT ?? '/work/shared/seed/assets/plot_00404.png';
    if (existsSync(original)) {
      const shot = await page.locator('.c3d:not(.c3d-compare)').screenshot();
      const side = await page.context().newPage();
      await side.setViewportSize({ width: 1400, height: 560 });
      const img = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`;
      await side.setContent(`<body style="margin:0;display:flex;gap:8px;align-items:center;font:14px sans-serif"><figure style="margin:0;width:560px"><img src="${img(shot)}" style="width:100%"><figcaption>This site: default 3D view</figcaption></figure><figure style="margin:0;width:820px"><img src="${img(readFileSync(original))}" style="width:100%"><figcaption>Original project: plot_00404.png</figcaption></figure></body>`);
      await side.screenshot({ path: `${SHOTS}/explorer-cloud-vs-original.png` });
      await side.close();
    }

    // the live CAM starts by itself (default settings: Score-CAM, stage 4) when its estimate is
    // under 3 s; on a machine too busy for that, the reader is offered Run with the estimate, and
    // the estimate must still be within 30 % of the run it announces
    const root = page.locator('[data-explorer]');
    await expect(root).toHaveAttribute('data-cam-estimate-ms', /^\d+$/, { timeout: 60_000 });
    const est = Number(await root.getAttribute('data-cam-estimate-ms'));
    const calib = await root.getAttribute('data-calibration-ms');
    if (est < 3000) {
      await page.waitForFunction(() => window.__explorer.state().cam?.source === 'live', null, { timeout: 60_000 });
      expect(await root.getAttribute('data-autorun')).toBe('estimate');
    } else {
      await expect(page.locator('[data-cam-status]')).toContainText(/Press Run for the live Score-CAM.*about \d/);
      expect(await root.getAttribute('data-autorun')).toBeNull();
      await page.click('[data-run]');
      await page.waitForFunction(() => window.__explorer.state().cam?.source === 'live', null, { timeout: 90_000 });
    }
    const s = await page.evaluate(() => window.__explorer.state());
    note(`first visit: live CAM ${s.cam!.ms?.toFixed(0)} ms, estimate ${est} ms (${est < 3000 ? 'started by itself' : 'over 3 s on this load: Run offered'}; calibration ${calib})`);
    await page.evaluate(() => window.__explorer.settled());

    // restyles: threshold and opacity repaint the 3D view within the budget
    const restyle = (sel: string, value: string) =>
      page.evaluate(async ([sel, value]) => {
        const el = document.querySelector<HTMLInputElement>(sel)!;
        const t0 = performance.now();
        el.value = value;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, [sel, value] as const);
    const th = await restyle('[data-threshold]', '0.3');
    const op = await restyle('[data-opacity]', '0.8');
    await restyle('[data-threshold]', '0');
    await restyle('[data-opacity]', '0.6');
    note(`restyle: threshold ${th.toFixed(0)} ms, opacity ${op.toFixed(0)} ms`);
    withinTarget(th, RESTYLE_MS, 'threshold restyle (ms)');
    withinTarget(op, RESTYLE_MS, 'opacity restyle (ms)');

    const long = await longTasks(page);
    const after = long.filter((l) => t.firstPaint === null || l.start >= t.firstPaint);
    note(`long tasks after first paint: ${after.map((l) => `${l.duration.toFixed(0)} ms at ${l.start.toFixed(0)}`).join(', ') || 'none'}`);
    withinTarget(Math.max(0, ...after.map((l) => l.duration)), LONG_TASK_MS, 'longest task after first paint (ms)');

    // a second visit estimates from this browser's last run (kept in localStorage) and must be within 30 % of the run
    await page.reload();
    await expect(root).toHaveAttribute('data-cam-estimate-ms', /^\d+$/, { timeout: 60_000 });
    const est2 = Number(await root.getAttribute('data-cam-estimate-ms'));
    if (est2 >= 3000) {
      await expect(page.locator('[data-cam-status]')).toContainText(/Press Run for the live Score-CAM.*about \d/);
      await page.click('[data-run]');
    }
    await page.waitForFunction(() => window.__explorer.state().cam?.source === 'live', null, { timeout: 90_000 });
    const run2 = (await page.evaluate(() => window.__explorer.state())).cam!.ms!;
    note(`second visit: estimate ${est2} ms (${await root.getAttribute('data-calibration-ms')}), run ${run2.toFixed(0)} ms, ${est2 < 3000 ? 'started by itself' : 'Run offered'}`);
    expect(est2).toBeGreaterThan(0);
    withinTarget((100 * Math.abs(est2 - run2)) / run2, 30, 'second-visit estimate error (% of the run)');
  });

  test('hover read-out linked between the 3D view and the slices; the URL keeps the view', async ({ page }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('explorer/?autorun=0&view=cloud&slice=30,28,26&camera=50,30,1.20&show=ct,cam,mask');
    await page.waitForFunction(() => document.querySelector('[data-explorer]')?.getAttribute('data-view3d') === 'ready', null, { timeout: 30_000 });
    await page.evaluate(() => window.__explorer.settled());
    expect((await page.evaluate(() => window.__explorer.state())).pos).toEqual([30, 28, 26]);
    await expect(page.locator('[data-show-mask]')).toBeChecked();
    // hover the middle of the 3D view: the read-out names a voxel and the slices ring it
    const box = (await page.locator('.c3d-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect(page.locator('[data-readout]')).toHaveAttribute('data-hovering', '');
    await expect(page.locator('[data-readout]')).toContainText(/Under the pointer — Voxel x \d+, y \d+, z \d+: CT [\d.]+ · CAM [\d.]+ · (inside|outside) the/);
    await expect(page.locator('.ex-slice-box[data-hover]')).toHaveCount(3);
    await page.screenshot({ path: `${SHOTS}/explorer-hover-readout.png`, clip: { x: 0, y: Math.max(0, box.y - 80), width: 1280, height: Math.min(820, box.height + 260) } });
    // a slice hover moves the 3D marker and the read-out
    const axial = (await page.locator('[data-slice="axial"]').boundingBox())!;
    await page.mouse.move(axial.x + axial.width * 0.25, axial.y + axial.height * 0.5);
    await expect(page.locator('[data-readout]')).toContainText(/z 30:/);
    // the URL keeps what the reader set
    await page.selectOption('[data-view-mode]', 'surfaces');
    await expect.poll(() => new URL(page.url()).searchParams.get('view')).toBe('surfaces');
    const url = new URL(page.url());
    expect(url.searchParams.get('slice')).toBe('30,28,26');
    expect(url.searchParams.get('show')).toBe('ct,cam,mask');
    expect(url.searchParams.get('camera')).toBe('50,30,1.20');
  });
});

test.describe('landing page opens on the live thing (issue 27)', () => {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
    test(`a real CT volume and its CAM above the fold, live after load (${name})`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await page.goto('./');
      const fig = page.locator('[data-hero]');
      await expect(fig).toBeVisible();
      // the static figure (the build's render) is on the first screen before any script has run
      const img = (await page.locator('[data-hero-stage]').boundingBox())!;
      expect(img.y + img.height * 0.5, 'the figure is above the fold').toBeLessThan(viewport.height);
      await expect(fig.locator('figcaption')).toContainText(/test split/);
      await expect(fig).toHaveAttribute('data-hero-state', 'live', { timeout: 30_000 });
      await expect(fig.locator('.c3d-canvas')).toBeVisible();
      await page.screenshot({ path: `${SHOTS}/landing-fold-${name}.png` });
      // pick another organ
      const chip = fig.locator('[data-organ-id]').nth(6);
      await chip.click();
      await expect(chip).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
    });
  }
});

test.describe('reading the map and the smaller faults (issue 27)', () => {
  test('Score-CAM at work: scores on their own scale, the small-score sentence, clickable tiles; the grid follows the width', async ({ page }) => {
    test.setTimeout(150_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('explorer/?autorun=1');
    const fig = page.locator('[data-at-work]');
    await expect(fig).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    const ymax = Number(await fig.locator('[data-aw-ymax]').textContent());
    expect(ymax).toBeGreaterThan(0);
    expect(ymax).toBeLessThanOrEqual(1);
    await expect(fig.locator('[data-aw-bars-note]')).not.toBeEmpty();
    const tiles = fig.locator('[data-aw-tiles]');
    // one run, two widths: a phone-wide window re-lays the grid (8 columns) without running again
    for (const [name, viewport, cols, tile] of [['desktop', { width: 1280, height: 900 }, 16, 2], ['phone', { width: 390, height: 844 }, 8, 3]] as const) {
      await page.setViewportSize(viewport);
      await expect(tiles).toHaveAttribute('width', String(cols * 42));
      // a tile clicked shows that channel's mask and masked input
      const box = (await tiles.boundingBox())!;
      expect(box.width / cols, 'tiles large enough to read').toBeGreaterThanOrEqual(30);
      await tiles.click({ position: { x: (box.width / cols) * (tile + 0.5), y: (box.width / cols) * 0.5 } });
      await expect(fig).toHaveAttribute('data-selected', String(tile));
      await expect(page.locator('[data-aw-status]')).toContainText(/^Channel \d+/);
      await fig.screenshot({ path: `${SHOTS}/at-work-${name}.png` });
    }
    expect(await fig.getAttribute('data-state')).toBe('done');
  });

  test('a Results snapshot opens the explorer at the slice it shows', async ({ page }) => {
    await page.goto('results/');
    const link = page.locator('a.snapshot__open').first();
    const href = (await link.getAttribute('href'))!;
    const slice = new URL(href, 'http://x').searchParams.get('slice');
    expect(slice).toMatch(/^\d+,\d+,\d+$/);
    await link.click();
    await page.waitForURL(/explorer/);
    await page.waitForFunction(() => !!window.__explorer && window.__explorer.state().volume !== null, null, { timeout: 30_000 });
    expect((await page.evaluate(() => window.__explorer.state())).pos.join(',')).toBe(slice);
  });

  test('theme toggle, table captions, chart labels', async ({ page }) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('results/');
    const toggle = page.locator('[data-theme-toggle]').first();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await expect(toggle).toHaveAccessibleName(/Dark theme/);
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    // captions stay inside their scroll boxes
    const over = await page.locator('.table-wrap > table > caption').evaluateAll((cs) => cs.filter((c) => c.getBoundingClientRect().width > c.closest('.table-wrap')!.getBoundingClientRect().width + 1).length);
    expect(over).toBe(0);
    // chart text at least 11 px on a phone
    const sizes = await page.locator('svg.chart text').evaluateAll((ts) => ts.map((t) => (t as SVGTextElement).getBoundingClientRect().height).filter((h) => h > 0));
    expect(sizes.length).toBeGreaterThan(0);
    const small = await page.locator('svg.chart').evaluateAll((svgs) => svgs.map((s) => s.getBoundingClientRect().width / Number(s.getAttribute('width'))).filter((k) => k * 12 < 11));
    expect(small, 'charts drawn so small that 12-unit text is under 11 px').toEqual([]);
  });
});

test.describe('two maps side by side, deletion and insertion animated (issue 27)', () => {
  test('the build’s Grad-CAM beside Score-CAM on the same volume, cameras linked; the curves scrub', async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('explorer/?autorun=0&compare=gradcam-s4');
    await page.waitForFunction(() => document.querySelector('[data-explorer]')?.getAttribute('data-view3d') === 'ready', null, { timeout: 30_000 });
    await expect(page.locator('[data-plot]')).toHaveAttribute('data-comparing', '');
    await expect(page.locator('.c3d-compare .c3d-canvas')).toBeVisible();
    await expect(page.locator('[data-plot-title]').nth(1)).toContainText(/Grad-CAM, stage 4/);
    // one drag turns both views
    const box = (await page.locator('.c3d:not(.c3d-compare) .c3d-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 20, { steps: 4 });
    await page.mouse.up();
    await page.waitForTimeout(300);
    await expect.poll(() => new URL(page.url()).searchParams.get('compare')).toBe('gradcam-s4');
    expect(new URL(page.url()).searchParams.get('camera')).not.toBeNull();
    await page.locator('.ex-3d').screenshot({ path: `${SHOTS}/explorer-side-by-side.png` });

    // deletion and insertion: the masked slice beside each curve, scrubbable
    await page.evaluate(() => window.__explorer.ready());
    await page.waitForFunction(() => window.__explorer.state().probs !== null, null, { timeout: 90_000 });
    await page.click('[data-curves]');
    await expect(page.locator('[data-curve-anim]')).toBeVisible({ timeout: 150_000 });
    const step = page.locator('[data-anim-step]');
    await step.fill('8');
    await expect(page.locator('[data-curve-anim]')).toHaveAttribute('data-step', '8');
    await expect(page.locator('[data-anim-text]')).toContainText(/Step 8 of 32/);
    await page.locator('.ex-curves').screenshot({ path: `${SHOTS}/explorer-deletion-insertion.png` });
  });

  test('on a phone a swipe on the 3D view scrolls the page until the reader taps it', async ({ browser }) => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const page = await ctx.newPage();
    await page.goto('explorer/?autorun=0');
    await page.waitForFunction(() => document.querySelector('[data-explorer]')?.getAttribute('data-view3d') === 'ready', null, { timeout: 30_000 });
    const canvas = page.locator('.c3d:not(.c3d-compare) .c3d-canvas');
    expect(await canvas.evaluate((c) => getComputedStyle(c).touchAction)).toBe('pan-y');
    const plot = (await page.locator('[data-plot]').boundingBox())!;
    expect(plot.height, 'the plot fits the screen with room to spare').toBeLessThanOrEqual(844 * 0.6);
    await canvas.tap();
    await expect(page.locator('.c3d:not(.c3d-compare)')).toHaveAttribute('data-engaged', '');
    expect(await canvas.evaluate((c) => getComputedStyle(c).touchAction)).toBe('none');
    await page.locator('[data-touch-done]').tap();
    await expect(page.locator('.c3d:not(.c3d-compare)')).not.toHaveAttribute('data-engaged', '');
    await page.screenshot({ path: `${SHOTS}/explorer-phone.png` });
    await ctx.close();
  });
});
