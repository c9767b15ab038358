/**
 * The write-up pages read well without JavaScript (tables, figures, curves are static HTML/SVG/PNG),
 * and screenshots of every article page for humans to look at (not compared):
 * test-results/screenshots/article-<page>-{light,dark}-{desktop,phone}.png
 */
import { test, expect } from '@playwright/test';
import { ORIGIN, BASE_SLASH } from './site-config';
import { sharedPage } from './shared-page';

const ARTICLES = ['method', 'data', 'results', 'cite'];
const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
};

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('results: real tables with captions, snapshots with alt text, inline SVG curves', async ({ page }) => {
    await page.goto(ORIGIN + BASE_SLASH + 'results/');
    const tables = page.locator('table[data-table]');
    const n = await tables.count();
    test.skip(n === 0, 'no precomputed results in this build');
    // some long tables sit in collapsed <details> (a reader opens them): open them all first
    await page.locator('details').evaluateAll((ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    for (let i = 0; i < n; i++) {
      await expect(tables.nth(i).locator('caption')).not.toBeEmpty();
      await expect(tables.nth(i).locator('th[scope]').first()).toBeVisible();
    }
    // one snapshot per organ, plus the failure cases the build found (at most one of each kind)
    const imgs = page.locator('figure.snapshot img');
    const nImg = await imgs.count();
    expect(nImg).toBeGreaterThanOrEqual(11);
    expect(nImg).toBeLessThanOrEqual(13);
    for (let i = 0; i < nImg; i++) {
      const img = imgs.nth(i);
      await img.scrollIntoViewIfNeeded();
      expect((await img.getAttribute('alt'))!.length).toBeGreaterThan(40);
      await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).toBe(true);
    }
    await expect(page.locator('figure.snapshot svg[role="img"]')).toHaveCount(2 * nImg); // deletion + insertion per snapshot
    await expect(page.locator('.curves svg[role="img"]')).toHaveCount(2);
  });
});

// one load per article for its four screenshots: the themes are CSS media queries and the layout
// follows the viewport, so the later shots switch both on the loaded page
for (const article of ARTICLES) {
  test.describe(`screenshots of ${article}`, () => {
    const shared = sharedPage();
    for (const colorScheme of ['light', 'dark'] as const) {
      for (const [name, viewport] of Object.entries(viewports)) {
        test(`screenshot ${article} ${colorScheme} ${name}`, async () => {
          const page = shared.page;
          await page.setViewportSize(viewport);
          await page.emulateMedia({ colorScheme });
          if (await shared.open(ORIGIN + BASE_SLASH + article + '/')) await page.waitForLoadState('networkidle');
          await expect(page.locator('h1')).toBeVisible();
          // lazy images: scroll through so the full-page shot has them (once: the later shots of the
          // loaded page find them all loaded)
          if (await page.evaluate(() => [...document.images].some((img) => !img.complete))) {
            await page.evaluate(async () => {
              for (let y = 0; y < document.body.scrollHeight; y += 800) {
                window.scrollTo(0, y);
                await new Promise((r) => setTimeout(r, 30));
              }
              window.scrollTo(0, 0);
            });
            await page.waitForLoadState('networkidle');
          }
          await page.screenshot({ path: `test-results/screenshots/article-${article}-${colorScheme}-${name}.png`, fullPage: true });
        });
      }
    }
  });
}
