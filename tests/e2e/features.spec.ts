/** Behaviour of the shared site chrome: themes, skip link, nav state, copy buttons. */
import { test, expect } from '@playwright/test';
import { ORIGIN, BASE_SLASH } from './site-config';

const bg = (page: import('@playwright/test').Page) =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);

function luminance(rgb: string): number {
  const [r, g, b] = rgb.match(/\d+/g)!.map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('theme follows the system setting, and the toggle overrides it', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(ORIGIN + BASE_SLASH);
  expect(luminance(await bg(page))).toBeGreaterThan(200);
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(luminance(await bg(page))).toBeLessThan(60);

  const toggle = page.locator('[data-theme-toggle]');
  await expect(toggle).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(luminance(await bg(page))).toBeGreaterThan(200);
  // the choice persists across pages
  await page.goto(ORIGIN + BASE_SLASH + 'method/');
  expect(luminance(await bg(page))).toBeGreaterThan(200);
});

test('skip link moves focus to the main content', async ({ page }) => {
  await page.goto(ORIGIN + BASE_SLASH);
  await page.keyboard.press('Tab');
  const skip = page.locator('.skip-link');
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
});

test('the header marks the current page', async ({ page }) => {
  await page.goto(ORIGIN + BASE_SLASH + 'method/');
  const current = page.locator('header nav a[aria-current="page"]');
  await expect(current).toHaveCount(1);
  await expect(current).toHaveText('Method');
});

test('copy buttons copy the exact citation text', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });
  await page.goto(ORIGIN + BASE_SLASH + 'cite/');
  const blocks = page.locator('.copy-block');
  expect(await blocks.count()).toBeGreaterThan(0);
  for (let i = 0; i < (await blocks.count()); i++) {
    const block = blocks.nth(i);
    const expected = await block.locator('[data-copy-source]').textContent();
    await block.locator('[data-copy-button]').click();
    await expect(block.locator('[data-copy-status]')).toHaveText('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(expected);
  }
  await expect(page.locator('#bibtex')).toContainText('@misc{scorecam3d-site');
  await expect(page.locator('#cff')).toContainText('cff-version: 1.2.0');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });
  test('citations are plain selectable text and copy buttons stay hidden', async ({ page }) => {
    await page.goto(ORIGIN + BASE_SLASH + 'cite/');
    await expect(page.locator('#bibtex pre')).toContainText('@misc{scorecam3d-site');
    await expect(page.locator('[data-copy-button]').first()).toBeHidden();
    await expect(page.locator('[data-theme-toggle]')).toBeHidden();
  });
});
