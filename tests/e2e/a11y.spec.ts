/**
 * axe-core scan of every built page in the light and the dark theme:
 * no serious or critical violations (WCAG 2.x A/AA rules + best practices).
 * Both themes scan one load of the page: the themes are CSS media queries (and the toggle listens
 * to the system setting), so the dark scan switches the emulated setting on the loaded page; a
 * group whose light scan failed loads the page afresh in dark. The themes change colours only (the
 * DOM, its roles, names and order are the same), so the dark scan runs the rules that read colours;
 * every other rule already ran on the same DOM in the light scan (halves the dark scan's time).
 */
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ORIGIN, builtPages } from './site-config';
import { sharedPage } from './shared-page';

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
/** The rules of TAGS whose result depends on the theme's colours. */
const COLOUR_RULES = ['color-contrast', 'link-in-text-block'];

for (const path of builtPages()) {
  test.describe(path, () => {
    const shared = sharedPage();
    for (const colorScheme of ['light', 'dark'] as const) {
      test(`a11y ${path} (${colorScheme})`, async () => {
        const page = shared.page;
        await page.emulateMedia({ colorScheme });
        if (await shared.open(ORIGIN + path)) await page.waitForLoadState('networkidle');
        const axe = new AxeBuilder({ page });
        const results = await (colorScheme === 'light' ? axe.withTags(TAGS) : axe.withRules(COLOUR_RULES)).analyze();
        const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        const report = bad
          .map((v) => `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.slice(0, 5).map((n) => `   ${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join('\n'))
          .join('\n');
        expect(bad, report).toEqual([]);
      });
    }
  });
}
