/**
 * The compact explorer in the Method article (CompactExplorer.astro): Score-CAM runs live on the
 * article's volume with the "at work" figure filling in, the slider sums the strongest channels,
 * and the map's curves are scored under three baseline states. Without JavaScript nothing dead shows.
 */
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IGNORED_CONSOLE } from './site-config';

const SHOTS = join('test-results', 'explorer-shots');

test('Method: Score-CAM at work on the article’s volume, then three baseline states', async ({ page }) => {
  test.setTimeout(300_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !IGNORED_CONSOLE.some((re) => re.test(m.text()))) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto('method/');
  const cx = page.locator('[data-compact-explorer]');
  await expect(cx).toHaveAttribute('data-js', '1');
  await cx.locator('[data-cx-run]').click();
  // while it runs, the figure fills in batch by batch
  await expect(cx.locator('[data-at-work]')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect(cx.locator('[data-aw-status]')).toContainText(/\d+ of \d+ channels scored/);
  mkdirSync(SHOTS, { recursive: true });
  await cx.screenshot({ path: join(SHOTS, 'method-at-work-running.png') });
  await expect(cx).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await expect(cx.locator('[data-at-work]')).toHaveAttribute('data-state', 'done');
  // the page's own sum of every scored channel is the worker's Score-CAM map
  await expect(cx.locator('[data-aw-status]')).toContainText(/All \d+ scored channels: Pearson r 1\.000/);
  const sumPixels = await cx.locator('[data-aw-sum]').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
    return lit;
  });
  expect(sumPixels).toBeGreaterThan(500);
  await cx.locator('[data-aw-scrub]').fill('5');
  await expect(cx.locator('[data-aw-status]')).toContainText(/The 5 strongest of \d+ scored channels: Pearson r 0\.\d{3}/);

  await cx.locator('[data-cx-baselines]').click();
  await expect(cx).toHaveAttribute('data-curves', 'done', { timeout: 180_000 });
  await expect(cx.locator('[data-cx-curves] svg')).toHaveCount(2);
  const status = (await cx.locator('[data-cx-status]').textContent()) ?? '';
  await cx.screenshot({ path: join(SHOTS, 'method-at-work-baselines.png') });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const r = await new AxeBuilder({ page }).include('[data-compact-explorer]').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${colorScheme} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
  }
  const daucs = status.match(/deletion AUCs ([\d.]+) \/ ([\d.]+) \/ ([\d.]+)/)!.slice(1).map(Number);
  expect(daucs.every((v) => v >= 0 && v <= 1)).toBe(true);
  // the states differ in what they leave of the organ: the scores are not all the same
  expect(Math.max(...daucs) - Math.min(...daucs)).toBeGreaterThan(0.05);
  expect(problems, problems.join('\n')).toEqual([]);
});

test('Method without JavaScript: the compact explorer shows its text, no dead buttons', async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto('method/');
  const cx = page.locator('[data-compact-explorer]');
  await expect(cx.locator('.cx-lede')).toBeVisible();
  await expect(cx.locator('[data-cx-run]')).toBeHidden();
  await expect(cx.locator('[data-at-work]')).toBeHidden();
  await ctx.close();
});
