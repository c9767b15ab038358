/**
 * axe-core scan of every built page in the light and the dark theme:
 * no serious or critical violations (WCAG 2.x A/AA rules + best practices).
 */
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ORIGIN, builtPages } from './site-config';

for (const path of builtPages()) {
  for (const colorScheme of ['light', 'dark'] as const) {
    test(`a11y ${path} (${colorScheme})`, async ({ page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto(ORIGIN + path);
      await page.waitForLoadState('networkidle');
      const results = await new AxeBuilder({ page })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
        .analyze();
      const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const report = bad
        .map((v) => `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.slice(0, 5).map((n) => `   ${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join('\n'))
        .join('\n');
      expect(bad, report).toEqual([]);
    });
  }
}
