/**
 * Screenshots of the landing page for humans to look at (not compared):
 * test-results/screenshots/landing-{light,dark}-{desktop,phone}.png
 */
import { test, expect } from '@playwright/test';
import { ORIGIN, BASE_SLASH } from './site-config';

const viewports = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
};

for (const colorScheme of ['light', 'dark'] as const) {
  for (const [name, viewport] of Object.entries(viewports)) {
    test(`screenshot landing ${colorScheme} ${name}`, async ({ page }) => {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme });
      await page.goto(ORIGIN + BASE_SLASH);
      await page.waitForLoadState('networkidle');
      await expect(page.locator('h1')).toBeVisible();
      await page.screenshot({ path: `test-results/screenshots/landing-${colorScheme}-${name}.png`, fullPage: true });
    });
  }
}
