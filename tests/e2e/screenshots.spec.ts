/**
 * Screenshots of the landing page for humans to look at (not compared):
 * test-results/screenshots/landing-{light,dark}-{desktop,phone}.png
 */
import { test, expect } from '@playwright/test';
import { ORIGIN, BASE_SLASH } from './site-config';
import { sharedPage } from './shared-page';

const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
};

// one load of the landing page for the four shots: the themes are CSS media queries and the layout
// follows the viewport, so the later shots switch both on the loaded page
test.describe('landing screenshots', () => {
  const shared = sharedPage();
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const [name, viewport] of Object.entries(viewports)) {
      test(`screenshot landing ${colorScheme} ${name}`, async () => {
        const page = shared.page;
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme });
        if (await shared.open(ORIGIN + BASE_SLASH)) await page.waitForLoadState('networkidle');
        await expect(page.locator('h1')).toBeVisible();
        await page.screenshot({ path: `test-results/screenshots/landing-${colorScheme}-${name}.png`, fullPage: true });
      });
    }
  }
});
